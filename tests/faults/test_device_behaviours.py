"""Devices that make the pipeline's life hard, judged by the same oracle: slow iPhones (latency,
and NotNow half the time), a Windows laptop that never answers again (its commands expire,
and a slow iPhone may answer after its command's TTL), and an iPhone that answers twice."""

from __future__ import annotations

import json

import pytest
from ssp_contracts.enums import Action
from ssp_simulators.apple.session import Behaviour

from tests.faults.pipeline import running_pipeline
from tests.support.windows import windows_id

SLOW = Behaviour(not_now_probability=0.5, latency_s=(0.2, 2.0), not_now_retry_s=1.0)
# Short enough for expiry to happen within the test, long enough for most slow answers.
TTL_MINUTES = {"locate": 0.25, "refresh": 0.25, "lock": 0.5}


@pytest.mark.timeout(600)
async def test_slow_silent_and_repeating_devices(services, bootstrap, mongo, run_id):
    async with running_pipeline(services, bootstrap, run_id, behaviour=SLOW,
                                SSP_TTL_MINUTES=json.dumps(TTL_MINUTES),
                                SSP_EXPIRY_SWEEP_S="1") as pipeline:
        # The laptop leaves the fleet's polling: from now on it never answers.
        silent = pipeline.windows.devices[-1]
        pipeline.windows.devices = pipeline.windows.devices[:-1]
        await pipeline.request(4 * len(pipeline.targets))
        problems = await pipeline.verdict(mongo, timeout_s=180)
        assert not problems, "\n".join(problems)

        finals = {cid: found[0] for cid, found in pipeline.oracle.finals().items()}
        accepted = pipeline.oracle.accepted.values()
        silent_ones = [finals[a.command_id] for a in accepted
                       if a.device_id == windows_id(silent)]
        outcomes = {(f["status"], f.get("reason_code")) for f in silent_ones}
        # A repeat of an action still pending is refused by the permission-service (one
        # pending command per device and action), or, if it was decided before the first one's
        # status was read, canceled by the dispatcher as a duplicate; the rest expire.
        assert ("expired", "device_did_not_answer") in outcomes
        assert outcomes <= {("expired", "device_did_not_answer"),
                            ("rejected", "command.pending"),
                            ("canceled", "duplicate_pending")}
        declined = [r for d in pipeline.apple.devices for r in d.received if r.status == "NotNow"]
        assert declined, "no iPhone said NotNow: the slow device was not exercised"

        # An iPhone answers again commands it already acknowledged: nothing is decided twice,
        # nothing runs twice.
        acked_locks = [a for a in accepted if a.action is Action.LOCK
                       and finals[a.command_id]["status"] == "acknowledged"
                       and a.device_id in {d.udid for d in pipeline.apple.devices}][:3]
        assert acked_locks, "no acknowledged iPhone lock to answer twice"
        for command in acked_locks:
            session = pipeline.apple.session(pipeline.apple.device(command.device_id))
            reply = await session.answer_again(command.command_id)
            assert reply.status_code == 200, reply.text
        problems = await pipeline.verdict(mongo, timeout_s=30)
        assert not problems, "\n".join(problems)
        print(f"\nslow, silent and repeating devices: {dict(pipeline.oracle.summary())}, "
              f"{len(declined)} NotNow answers")
