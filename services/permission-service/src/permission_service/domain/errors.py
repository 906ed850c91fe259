"""Domain errors: a small hierarchy with stable machine codes.

The codes are part of the API (clients branch on them); messages are for people and may change.
Every domain error is permanent for a Kafka consumer: retrying the same input fails the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class FieldProblem:
    """One invalid input: `field` names it, `code` is stable (e.g. `password.too_short`)."""

    field: str
    code: str
    message: str


class ValidationProblem(DomainError):
    """The input has one or more invalid fields (edge: 422). All problems are reported at once."""

    def __init__(
        self, problems: Iterable[FieldProblem], message: str = "Some fields are invalid."
    ) -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        super().__init__("validation.failed", message)

    @classmethod
    def raise_if_any(cls, problems: Iterable[FieldProblem]) -> None:
        """Raise when `problems` is not empty; lets validators collect first, then fail once."""
        collected = tuple(problems)
        if collected:
            raise cls(collected)


class NotFound(DomainError):
    """The entity does not exist, or is not visible to the caller (edge: 404)."""


class Conflict(DomainError):
    """The change clashes with current state: a taken name, a stale version (edge: 409)."""


class Forbidden(DomainError):
    """The caller may not do this, whatever the input (edge: 403)."""
