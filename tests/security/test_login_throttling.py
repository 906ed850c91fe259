"""Login throttling per client address: X-Forwarded-For counts only when the TCP peer is a
configured trusted proxy (here 10.0.0.0/8); from anyone else it is ignored, so rotating it does
not buy more guesses. Only failures count. Per (account, address) the permission-service slows
guesses down (tests/integration/test_permission_login.py); no limit is per account alone
(tests/gateway/test_rate_limits.py)."""

from __future__ import annotations

import uuid

import httpx

from tests.gateway.portal_world import World
from tests.gateway.rpc_responder import Account
from tests.security.conftest import ADDRESS_LIMIT, BASE_URL, Clock, InProcessGateway


async def _guess(http: httpx.AsyncClient, account: Account, forwarded: str | None = None,
                 ) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return await http.post("/api/v1/session", headers=headers, json={
        "username": account.username, "password": "guess", "org": account.org_id})


async def _victims(world: World, gateway: InProcessGateway, clock: Clock) -> list[Account]:
    """One more account than an address may try, in one fixed rate window."""
    clock.freeze_at_window_start(gateway.gateway.settings.login_window_s)
    return [await world.user() for _ in range(ADDRESS_LIMIT + 1)]


async def test_one_address_guessing_many_accounts_is_stopped(
        local_world: World, in_process: InProcessGateway, clock: Clock):
    victims = await _victims(local_world, in_process, clock)
    async with httpx.AsyncClient(base_url=BASE_URL,
                                 transport=in_process.transport("203.0.113.10")) as http:
        codes = [(await _guess(http, v, forwarded=f"198.51.100.{i}")).status_code
                 for i, v in enumerate(victims)]
    assert set(codes[:ADDRESS_LIMIT]) == {401}
    assert codes[ADDRESS_LIMIT] == 429  # a new X-Forwarded-For each time bought nothing
    async with httpx.AsyncClient(base_url=BASE_URL,
                                 transport=in_process.transport("203.0.113.10")) as http:
        limited = await _guess(http, victims[0])
    assert limited.json()["code"] == "rate_limited.login.address"
    assert int(limited.headers["Retry-After"]) >= 1
    async with httpx.AsyncClient(base_url=BASE_URL,
                                 transport=in_process.transport("203.0.113.11")) as http:
        assert (await _guess(http, victims[1])).status_code == 401  # another address


async def test_successful_logins_never_count_toward_the_address_limit(
        local_world: World, in_process: InProcessGateway, clock: Clock):
    """Issue 17, finding 5: "successful logins count toward the per-username limit (a shared
    demo user was locked out)". An office behind one address logs in all day."""
    clock.freeze_at_window_start(in_process.gateway.settings.login_window_s)
    account = await local_world.user()
    async with httpx.AsyncClient(base_url=BASE_URL,
                                 transport=in_process.transport("203.0.113.12")) as http:
        for _ in range(ADDRESS_LIMIT + 2):
            resp = await http.post("/api/v1/session", json={
                "username": account.username, "password": account.password,
                "org": account.org_id})
            assert resp.status_code == 200, resp.text
        assert (await _guess(http, account)).status_code == 401  # a failure still counts


async def test_a_trusted_proxy_s_forwarded_address_is_the_one_counted(
        local_world: World, in_process: InProcessGateway, clock: Clock):
    victims = await _victims(local_world, in_process, clock)
    async with httpx.AsyncClient(base_url=BASE_URL,
                                 transport=in_process.transport("10.20.30.40")) as proxy:
        codes = [(await _guess(proxy, v, forwarded="192.0.2.55")).status_code for v in victims]
        assert set(codes[:ADDRESS_LIMIT]) == {401} and codes[ADDRESS_LIMIT] == 429
        # Another client behind the same proxy is not punished for the first one...
        assert (await _guess(proxy, victims[0], forwarded="192.0.2.56")).status_code == 401
        # ...and a client cannot hide behind a hop it wrote itself left of the proxy's.
        spoofed = await _guess(proxy, victims[0], forwarded="192.0.2.99, 192.0.2.55")
        assert spoofed.status_code == 429


async def test_a_forwarded_for_header_from_loopback_does_not_pick_the_address(
        services, responder, run_id):
    """Issue 17, finding 4: "uvicorn's default proxy_headers=True trusts X-Forwarded-For from
    loopback, bypassing SSP_TRUSTED_PROXIES (the per-address login limit fell to one spoofed
    header)." A gateway process served as in production (ssp_runtime.serve), no trusted
    proxy configured, guessed at from 127.0.0.1 with a new X-Forwarded-For every time."""
    limit = 3
    proc = services("portal_gateway", SSP_LOGIN_ADDRESS_LIMIT=str(limit),
                    SSP_CONSUMER_GROUP_PREFIX=f"portal-gateway-xff{run_id}",
                    SSP_PROJECTIONS_FROM_BEGINNING="false")
    victims = [Account(f"u-{uuid.uuid4().hex[:8]}", "acme", f"xff-{uuid.uuid4().hex[:8]}",
                       uuid.uuid4().hex, ["ssp.view"]) for _ in range(limit + 1)]
    for victim in victims:
        responder.register(victim)
    async with httpx.AsyncClient(base_url=proc.url, timeout=30) as http:
        codes = [(await _guess(http, v, forwarded=f"198.51.100.{i}")).status_code
                 for i, v in enumerate(victims)]
    assert set(codes[:limit]) == {401}
    assert codes[limit] == 429  # one address, however many headers it wrote
