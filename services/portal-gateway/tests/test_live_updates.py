"""The in-process pub/sub behind the SSE stream."""

from __future__ import annotations

from portal_gateway.live_updates import QUEUE_SIZE, LiveUpdate, LiveUpdates


def test_updates_reach_only_the_users_listeners_and_a_full_queue_drops():
    live = LiveUpdates()
    update = LiveUpdate("command", {"command_id": "c1"})
    with live.listen("alice") as alice, live.listen("bob") as bob:
        assert live.anyone_listening
        live.notify("alice", update)
        live.notify(None, update)  # a device without owner: nobody
        assert alice.get_nowait() == update and bob.empty()
        for _ in range(QUEUE_SIZE + 5):
            live.notify("alice", update)  # never raises, never blocks the consumer
        assert alice.qsize() == QUEUE_SIZE
    assert not live.anyone_listening
