"""Which address login throttling counts: X-Forwarded-For only through trusted proxies."""

from __future__ import annotations

import pytest
from portal_gateway.http.client_address import resolve_client, trusted_networks

PROXIES = trusted_networks(["10.0.0.0/8", "192.0.2.7"])


def test_an_untrusted_peer_is_counted_whatever_it_forwards():
    assert resolve_client("203.0.113.9", ["1.1.1.1"], PROXIES) == "203.0.113.9"
    assert resolve_client("203.0.113.9", [], ()) == "203.0.113.9"


def test_a_trusted_proxy_names_the_client():
    assert resolve_client("10.1.2.3", ["198.51.100.4"], PROXIES) == "198.51.100.4"


def test_spoofed_hops_left_of_the_proxy_chain_are_ignored():
    # The client wrote "1.1.1.1" itself; our two proxies appended what they saw.
    forwarded = ["1.1.1.1, 198.51.100.4, 192.0.2.7"]
    assert resolve_client("10.1.2.3", forwarded, PROXIES) == "198.51.100.4"
    # Several header lines count as one list, in order.
    assert resolve_client("10.1.2.3", ["1.1.1.1", "198.51.100.4"], PROXIES) == "198.51.100.4"


def test_garbage_stops_at_the_last_hop_that_can_be_named():
    assert resolve_client("10.1.2.3", ["nonsense"], PROXIES) == "10.1.2.3"
    assert resolve_client("10.1.2.3", [""], PROXIES) == "10.1.2.3"


def test_a_bad_proxy_entry_is_a_configuration_error():
    with pytest.raises(ValueError):
        trusted_networks(["not-an-address"])
