"""`python -m device_registry`: run the device-registry."""

from ssp_runtime.serve import serve

from device_registry.app import create_app
from device_registry.settings import DEFAULT_PORT, SERVICE, Settings


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings, SERVICE, DEFAULT_PORT)


if __name__ == "__main__":
    main()
