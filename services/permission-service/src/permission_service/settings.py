"""Settings of the permission-service (environment variables with the `SSP_` prefix)."""

from ssp_runtime.settings import ServiceSettings

SERVICE = "permission-service"
DEFAULT_PORT = 8001


class Settings(ServiceSettings):
    pass
