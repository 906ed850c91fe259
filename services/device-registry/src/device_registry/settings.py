"""Settings of the device-registry (environment variables with the `SSP_` prefix)."""

from pydantic import Field
from ssp_runtime.settings import ServiceSettings

SERVICE = "device-registry"
DEFAULT_PORT = 8002


class Settings(ServiceSettings):
    device_census_s: float = Field(
        60.0, gt=0, description="How often devices are counted by platform and state for the "
        "ssp_devices metric (a scan of the devices collection)")
