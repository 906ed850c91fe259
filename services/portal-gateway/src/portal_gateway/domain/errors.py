"""Domain errors: a small hierarchy with stable machine codes, mapped once to HTTP problems.

`code` is part of the API (clients branch on it); `detail` is for people and may change.
`extra` carries problem extension members (e.g. the pending command's id).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    field: str
    code: str
    message: str


class CsvFileError(Exception):
    """An uploaded CSV as a whole is unusable (header, encoding, limits, broken quoting, or it
    changed between the two passes); nothing of it may be sent. The import desk maps it to a
    problem."""

    def __init__(self, code: str, message: str, line: int | None = None) -> None:
        self.code = code
        self.message = message if line is None else f"line {line}: {message}"
        self.line = line
        super().__init__(f"{code}: {self.message}")


class PortalError(Exception):
    status: int = 500
    title: str = "Internal error"

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.extra = extra


class BadRequest(PortalError):
    """A request that cannot mean anything, such as an identifier of the wrong shape."""

    status = 400
    title = "Bad request"


class NotAuthenticated(PortalError):
    status = 401
    title = "Not authenticated"


class Forbidden(PortalError):
    status = 403
    title = "Forbidden"


class NoPortalAccess(Forbidden):
    """The portal needs a self-service permission AND a linked device (`missing` says which
    is lacking): the refusal the device list shows, on every route that shows or acts on one."""

    def __init__(self, missing: Iterable[str]) -> None:
        missing = list(missing)
        super().__init__("portal.no_access", "You cannot use the self-service portal yet ("
                         + " and ".join(f"no {m}" for m in missing) + "); ask your "
                         "administrator for access.", missing=missing)


class NotFound(PortalError):
    """Also what a caller gets for another user's device: existence is not revealed."""

    status = 404
    title = "Not found"


class Conflict(PortalError):
    status = 409
    title = "Conflict"


class Gone(PortalError):
    """It existed and is used up (a one-time passcode already shown)."""

    status = 410
    title = "Gone"


class ValidationFailed(PortalError):
    status = 422
    title = "Invalid input"

    def __init__(self, problems: Iterable[FieldProblem],
                 detail: str = "Some fields are invalid.") -> None:
        self.problems = tuple(problems)
        super().__init__("validation.failed", detail)

    @classmethod
    def raise_if_any(cls, problems: Iterable[FieldProblem]) -> None:
        collected = tuple(problems)
        if collected:
            raise cls(collected)


class RateLimited(PortalError):
    status = 429
    title = "Too many requests"

    def __init__(self, code: str, detail: str, retry_after_s: int) -> None:
        super().__init__(code, detail, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class Unavailable(PortalError):
    """A system this request needs (Kafka, a responding service) did not answer."""

    status = 503
    title = "Service unavailable"


class UpstreamRejected(PortalError):
    """Another service answered with an error status of its own (admin replies)."""

    title = "Request refused"

    def __init__(self, status: int, code: str, detail: str,
                 problems: Iterable[FieldProblem] = ()) -> None:
        super().__init__(code, detail)
        self.problems = tuple(problems)
        self.status = status
