import subprocess
import sys

import pytest
from pydantic import SecretStr
from ssp_runtime.failpoints import EXIT_CODE
from ssp_runtime.settings import ServiceSettings


def test_connection_strings_use_the_operator_names(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    monkeypatch.setenv("MONGODB_URL", "mongodb://user:pw@db/")
    s = ServiceSettings()
    assert s.kafka_bootstrap_servers == "k1:9092,k2:9092"
    assert "pw" not in repr(s) and "pw" not in str(s.model_dump())
    assert s.database_name("device-registry") == "ssp_device_registry"


def test_placeholder_secrets_are_refused_outside_demo_mode():
    with pytest.raises(ValueError, match="real secret"):
        ServiceSettings(demo_mode=False).require_secret("SSP_X", SecretStr("changeme"))
    with pytest.raises(ValueError):
        ServiceSettings(demo_mode=False).require_secret("SSP_X", None)
    ServiceSettings(demo_mode=False).require_secret("SSP_X", SecretStr("a-long-random-value"))
    ServiceSettings(demo_mode=True).require_secret("SSP_X", SecretStr("demo"))


def test_failpoint_ends_the_process_only_when_armed():
    code = "from ssp_runtime.failpoints import failpoint; failpoint('x.y'); print('survived')"
    armed = subprocess.run([sys.executable, "-c", code], env={"SSP_FAILPOINTS": "a,x.y"},
                           capture_output=True, text=True, check=False)
    assert armed.returncode == EXIT_CODE and "survived" not in armed.stdout
    calm = subprocess.run([sys.executable, "-c", code], env={}, capture_output=True, text=True,
                          check=False)
    assert calm.returncode == 0 and "survived" in calm.stdout


def test_keyed_failpoint_fires_only_for_its_key():
    code = ("from ssp_runtime.failpoints import failpoint; failpoint('p', 'other'); "
            "print('survived', flush=True); failpoint('p', 'mine')")
    run = subprocess.run([sys.executable, "-c", code], env={"SSP_FAILPOINTS": "p@mine"},
                         capture_output=True, text=True, check=False)
    assert run.returncode == EXIT_CODE and "survived" in run.stdout
