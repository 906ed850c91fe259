"""Settings of the device-registry (environment variables with the `SSP_` prefix)."""

from ssp_runtime.settings import ServiceSettings

SERVICE = "device-registry"
DEFAULT_PORT = 8002


class Settings(ServiceSettings):
    pass
