"""Settings of the command-dispatcher (environment variables with the `SSP_` prefix)."""

from ssp_runtime.settings import ServiceSettings

SERVICE = "command-dispatcher"
DEFAULT_PORT = 8003


class Settings(ServiceSettings):
    pass
