"""Fixed-window rate limits (default: 10 commands per device per window). Command limits are
a per-instance pre-check in memory (the permission-service is the authority); failed logins
per address are counted in MongoDB, shared by every instance."""

from __future__ import annotations


async def test_per_device_command_limit(world):
    alice = await world.user()
    phone = await world.device(alice)
    b = await world.browser(alice)
    await world.sees_device(b, phone.device_id)
    codes = [(await b.command(phone.device_id, "lock")).status_code for _ in range(11)]
    assert codes[0] == 202 and set(codes[1:10]) == {409}  # refused repeats count too
    limited = await b.command(phone.device_id, "refresh")
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited.commands.device"
    assert int(limited.headers["Retry-After"]) >= 1
    assert codes[10] == 429


async def test_logins_are_not_limited_per_account(world):
    """Issue 17, finding 5: "Ten wrong passwords from ten addresses lock a known user out for
    up to 15 minutes, and successful logins count toward the per-username limit (a shared
    demo user was locked out)." The gateway counts no attempt per account any more: the
    permission-service slows guesses per (account, address), tests/integration."""
    alice = await world.user()
    for _ in range(12):  # more than the old per-username limit (10) of any kind of attempt
        assert (await (await world.browser(alice, login=False)).login()).status_code == 200
    guesser = await world.browser(alice, login=False)
    codes = [(await guesser.login(password="guess")).status_code for _ in range(11)]
    assert set(codes) == {401}
    assert (await guesser.login()).status_code == 200
