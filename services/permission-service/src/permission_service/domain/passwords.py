"""Password policy and argon2id hashing.

Passwords are NFKC-normalised before checking and hashing (NIST SP 800-63B), so the same
password typed on systems that compose accents differently still matches. Changing that
normalisation later would lock users out: it is part of the stored format.
"""

from __future__ import annotations

import secrets
import unicodedata

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from permission_service.domain.errors import FieldProblem, ValidationProblem

MIN_LENGTH = 12
# Bounds the work an anonymous login request can cause; no real passphrase is longer.
MAX_LENGTH = 1024

# RFC 9106's second recommendation (t=3, 64 MiB, p=4): argon2-cffi's own default, ~50 ms a hash
# on a server core. Memory cost is what makes GPU guessing expensive, so lower t before m.
DEFAULT_PARAMETERS: Parameters = profiles.RFC_9106_LOW_MEMORY
# For unit tests only: microseconds a hash, worthless against guessing.
TEST_PARAMETERS: Parameters = profiles.CHEAPEST


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def password_problems(password: str, *, username: str | None) -> list[FieldProblem]:
    """Every way `password` breaks the policy; empty when it is acceptable."""
    candidate = normalise(password)
    problems: list[FieldProblem] = []
    if len(candidate) < MIN_LENGTH:
        problems.append(FieldProblem(
            "password", "password.too_short",
            f"The password must have at least {MIN_LENGTH} characters.",
        ))
    if len(candidate) > MAX_LENGTH:
        problems.append(FieldProblem(
            "password", "password.too_long",
            f"The password must have at most {MAX_LENGTH} characters.",
        ))
    if username and candidate.casefold() == normalise(username).casefold():
        problems.append(FieldProblem(
            "password", "password.equals_username",
            "The password must not be the same as the username.",
        ))
    return problems


def check_password(password: str, *, username: str | None) -> None:
    """Raise `ValidationProblem` when `password` breaks the policy."""
    ValidationProblem.raise_if_any(password_problems(password, username=username))


class PasswordHashing:
    """Hashes and verifies passwords with argon2id; build one per process and share it.

    Construction computes one hash (a dummy, see `verify`), so build it in the app factory,
    not at import time.
    """

    def __init__(self, parameters: Parameters = DEFAULT_PARAMETERS) -> None:
        self._hasher = PasswordHasher.from_parameters(parameters)
        # A hash of a random secret nobody knows: verifying against it costs exactly what a real
        # verification costs, so an unknown username answers as slowly as a wrong password.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(32))

    def hash(self, password: str) -> str:
        """The encoded argon2id hash (`$argon2id$v=19$m=...`) with a fresh random salt."""
        return self._hasher.hash(normalise(password))

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True if `password` matches; False for any mismatch. Never raises for a bad guess.

        `password_hash=None` (unknown user, SSO-only account) burns the same time as a real
        check and answers False. A corrupt stored hash also answers False: the login fails
        closed instead of telling the caller that this account is different.
        """
        candidate = normalise(password)
        if len(candidate) > MAX_LENGTH or password_hash is None:
            self.dummy_verify(candidate)
            return False
        try:
            return self._hasher.verify(password_hash, candidate)
        except (VerificationError, InvalidHashError):
            # VerifyMismatchError is a VerificationError.
            return False

    def dummy_verify(self, password: str) -> None:
        """Spend the time of one verification and learn nothing (for unknown usernames)."""
        try:
            self._hasher.verify(self._dummy_hash, password[:MAX_LENGTH])
        except VerificationError:
            pass

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters (or is unreadable): rehash at login."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True
