"""`python -m permission_service`: run the permission-service."""

from ssp_runtime.serve import serve

from permission_service.app import create_app
from permission_service.settings import DEFAULT_PORT, SERVICE, Settings


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings, SERVICE, DEFAULT_PORT)


if __name__ == "__main__":
    main()
