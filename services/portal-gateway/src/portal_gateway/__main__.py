"""`python -m portal_gateway`: run the portal-gateway."""

from ssp_runtime.serve import serve

from portal_gateway.app import create_app
from portal_gateway.settings import DEFAULT_PORT, SERVICE, Settings


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings, SERVICE, DEFAULT_PORT)


if __name__ == "__main__":
    main()
