from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from ssp_contracts import (
    EVENT_TYPES,
    Action,
    CommandParams,
    CommandRequested,
    DeviceReported,
    DeviceReportKind,
    ManagementMode,
    Platform,
)
from ssp_contracts.cloudevents import to_headers, to_value
from ssp_contracts.topics import TOPICS, spec_for

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def request(**overrides):
    fields = dict(org_id="acme", command_id="c1", device_id="d1", action=Action.LOCK,
                  requested_by="u1", requested_at=NOW)
    fields.update(overrides)
    return CommandRequested(**fields)


def test_round_trip_through_json_is_lossless():
    event = request(params=CommandParams(message="Please call", phone_number="+49 30 1234"))
    assert CommandRequested.model_validate_json(to_value(event)) == event


def test_cloudevents_headers_name_type_source_and_subject():
    headers = to_headers(request(), source="portal-gateway")
    assert headers["ce_type"] == "ssp.command.requested.v1"
    assert headers["ce_source"] == "portal-gateway"
    assert headers["ce_subject"] == "d1"
    assert headers["ce_specversion"] == "1.0"
    assert len(headers["ce_id"]) == 36


def test_events_are_frozen_and_reject_unknown_fields():
    event = request()
    with pytest.raises(ValidationError):
        event.device_id = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        CommandRequested.model_validate({**event.model_dump(), "surprise": 1})


@pytest.mark.parametrize("bad", [{"org_id": ""}, {"org_id": "a b"}, {"device_id": "x" * 200},
                                 {"action": "self_destruct"}])
def test_invalid_fields_are_refused(bad):
    with pytest.raises(ValidationError):
        request(**bad)


def test_pin_must_be_six_digits():
    assert CommandParams(pin="123456").pin == "123456"
    for pin in ("12345", "1234567", "abcdef"):
        with pytest.raises(ValidationError):
            CommandParams(pin=pin)


def test_every_event_type_is_unique_and_every_topic_has_a_spec():
    assert len({cls.event_type for cls in EVENT_TYPES.values()}) == len(EVENT_TYPES)
    for name in TOPICS:
        assert spec_for(name + ".dlq").name == name + ".dlq"
    assert TOPICS["ssp.devices"].kafka_config()["cleanup.policy"] == "compact"
    assert TOPICS["ssp.commands.requested"].kafka_config()["cleanup.policy"] == "delete"
    with pytest.raises(KeyError):
        spec_for("no.such.topic")


def test_device_report_battery_is_a_fraction():
    with pytest.raises(ValidationError):
        DeviceReported(org_id="acme", report_id="r", device_id="d", kind=DeviceReportKind.INVENTORY,
                       platform=Platform.IOS, management_mode=ManagementMode.IOS_SUPERVISED,
                       inventory={"battery_level": 57}, occurred_at=NOW)
