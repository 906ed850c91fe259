"""Fixed-window rate limits, counted in MongoDB so all instances share them (default limits:
10 commands per device and 10 login attempts per username per window)."""

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


async def test_login_attempts_are_limited_per_username(world):
    alice = await world.user()
    guesser = await world.browser(alice, login=False)
    codes = [(await guesser.login(password="guess")).status_code for _ in range(11)]
    assert set(codes[:10]) == {401} and codes[10] == 429
    right = await guesser.login()
    assert right.status_code == 429  # even the right password waits for the window
