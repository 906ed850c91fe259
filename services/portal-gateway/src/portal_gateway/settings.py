"""Settings of the portal-gateway (environment variables with the `SSP_` prefix)."""

from ssp_runtime.settings import ServiceSettings

SERVICE = "portal-gateway"
DEFAULT_PORT = 8000


class Settings(ServiceSettings):
    pass
