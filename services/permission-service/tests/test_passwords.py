"""Password policy and argon2id hashing (with the cheapest parameters: these test the logic)."""

from dataclasses import replace

import pytest
from argon2 import PasswordHasher, Type
from permission_service.domain.errors import ValidationProblem
from permission_service.domain.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    TEST_PARAMETERS,
    PasswordHashing,
    check_password,
    password_problems,
)


def codes(password: str, username: str | None = "alice") -> list[str]:
    return [p.code for p in password_problems(password, username=username)]


def test_a_long_enough_password_is_accepted():
    assert codes("x" * MIN_LENGTH) == []
    check_password("correct horse battery", username="alice")


def test_short_password_is_rejected():
    assert codes("x" * (MIN_LENGTH - 1)) == ["password.too_short"]


def test_overlong_password_is_rejected():
    assert codes("x" * (MAX_LENGTH + 1)) == ["password.too_long"]
    assert codes("x" * MAX_LENGTH) == []


def test_password_equal_to_username_is_rejected_whatever_the_case():
    assert codes("Alice.Example1", username="alice.example1") == ["password.equals_username"]


def test_check_password_raises_with_structured_problems():
    with pytest.raises(ValidationProblem) as raised:
        check_password("short", username="bob")
    assert raised.value.code == "validation.failed"
    [problem] = raised.value.problems
    assert (problem.field, problem.code) == ("password", "password.too_short")


def test_hash_round_trip(hashing: PasswordHashing):
    encoded = hashing.hash("correct horse battery")
    assert encoded.startswith("$argon2id$")
    assert hashing.verify(encoded, "correct horse battery")
    assert not hashing.verify(encoded, "correct horse batterY")


def test_same_password_gets_a_fresh_salt(hashing: PasswordHashing):
    assert hashing.hash("correct horse battery") != hashing.hash("correct horse battery")


def test_differently_composed_unicode_matches(hashing: PasswordHashing):
    composed, decomposed = "p\u00e4sswort-lang!", "pa\u0308sswort-lang!"
    assert hashing.verify(hashing.hash(composed), decomposed)


def test_verify_never_raises(hashing: PasswordHashing):
    assert not hashing.verify(None, "anything at all")
    assert not hashing.verify("not a hash", "anything at all")
    assert not hashing.verify("$argon2id$v=19$m=8,t=1,p=1$broken", "anything at all")
    assert not hashing.verify(hashing.hash("x" * 20), "x" * (MAX_LENGTH + 1))


def test_needs_rehash_when_parameters_change(hashing: PasswordHashing):
    cheap = hashing.hash("correct horse battery")
    assert not hashing.needs_rehash(cheap)
    stronger = PasswordHashing(replace(TEST_PARAMETERS, time_cost=2))
    assert stronger.needs_rehash(cheap)
    assert hashing.needs_rehash("garbage")


def test_hashes_of_other_argon2_variants_still_verify_but_need_rehash(hashing: PasswordHashing):
    legacy = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.I)
    encoded = legacy.hash("correct horse battery")
    assert hashing.verify(encoded, "correct horse battery")
    assert hashing.needs_rehash(encoded)


def test_unknown_user_runs_the_same_argon2_work_as_a_wrong_password(monkeypatch):
    # Timing is asserted by what is computed, not by a clock: a stopwatch is flaky on shared
    # machines. Both paths must run exactly one argon2id verification with the same parameters.
    hashing = PasswordHashing(TEST_PARAMETERS)
    stored = hashing.hash("correct horse battery")
    calls: list[str] = []
    real_verify = PasswordHasher.verify

    def counting(self, encoded, password):  # type: ignore[no-untyped-def]
        calls.append(encoded.split("$")[3])  # the parameter block m=..,t=..,p=..
        return real_verify(self, encoded, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    assert not hashing.verify(stored, "wrong password guess")
    known = list(calls)
    calls.clear()
    assert not hashing.verify(None, "wrong password guess")
    assert len(known) == len(calls) == 1
    assert known == calls  # same memory, time and parallelism cost
