"""`python -m portal_gateway`: run the portal-gateway."""

from ssp_runtime.ops_http import ops_app
from ssp_runtime.serve import serve

from portal_gateway.app import create_app
from portal_gateway.settings import DEFAULT_PORT, SERVICE, Settings


def main() -> None:
    settings = Settings()
    app = create_app(settings)
    # With SSP_OPS_PORT the ops endpoints get their own listener (create_app left them out).
    extra = [(ops_app(app.state.service), settings.ops_host, settings.ops_port)] \
        if settings.ops_port else []
    serve(app, settings, SERVICE, DEFAULT_PORT, extra=extra)


if __name__ == "__main__":
    main()
