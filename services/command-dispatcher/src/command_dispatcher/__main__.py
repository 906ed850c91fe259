"""`python -m command_dispatcher`: run the command-dispatcher."""

from command_dispatcher.app import create_app
from command_dispatcher.settings import DEFAULT_PORT, SERVICE, Settings
from ssp_runtime.serve import serve


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings, SERVICE, DEFAULT_PORT)


if __name__ == "__main__":
    main()
