"""What one valid import row does, decided from lookups the caller made for its chunk.

The caller batch-loads devices, users and owners for a chunk and passes them as dicts (or
any `key -> value | None` callable); the decision itself touches nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeAlias, get_args

from ssp_contracts.links import ImportOutcome, ImportRow, ImportRowOutcome

Lookup: TypeAlias = Callable[[str], str | None] | Mapping[str, str]

OUTCOMES: tuple[ImportOutcome, ...] = get_args(ImportOutcome)
LINK_CHANGING: frozenset[ImportOutcome] = frozenset({"linked", "relinked"})


@dataclass(frozen=True)
class RowDecision:
    outcome: ImportRowOutcome
    device_id: str | None = None
    user_id: str | None = None  # the owner the row asks for, when both were found

    @property
    def changes_link(self) -> bool:
        return self.outcome.outcome in LINK_CHANGING


def _get(lookup: Lookup, key: str) -> str | None:
    return lookup.get(key) if isinstance(lookup, Mapping) else lookup(key)


def decide_row(row: ImportRow, *, device_of: Lookup, user_of: Lookup,
               owner_of: Lookup) -> RowDecision:
    """`device_of`: device key -> device id; `user_of`: user key -> user id;
    `owner_of`: device id -> current owner's user id. An unknown device is reported before
    an unknown user, because the device column is the one an admin fixes first."""

    def outcome(kind: ImportOutcome, detail: str | None = None) -> ImportRowOutcome:
        return ImportRowOutcome(line=row.line, device_key=row.device_key,
                                user_key=row.user_key, outcome=kind, detail=detail)

    device_id = _get(device_of, row.device_key)
    if device_id is None:
        return RowDecision(outcome("unknown_device", f"no device with this {row.device_key_kind}"))
    user_id = _get(user_of, row.user_key)
    if user_id is None:
        return RowDecision(outcome("unknown_user", f"no user with this {row.user_key_kind}"),
                           device_id)
    owner = _get(owner_of, device_id)
    if owner is None:
        return RowDecision(outcome("linked"), device_id, user_id)
    if owner == user_id:
        return RowDecision(outcome("unchanged"), device_id, user_id)
    return RowDecision(outcome("relinked", f"was linked to user {owner}"), device_id, user_id)


def to_apply(decisions: Iterable[RowDecision], *, dry_run: bool) -> Iterator[RowDecision]:
    """The decisions whose link must be written: none in a dry run, whose outcomes are the
    same as a real run's."""
    if dry_run:
        return
    yield from (decision for decision in decisions if decision.changes_link)


def count_outcomes(outcomes: Iterable[ImportRowOutcome],
                   start: Mapping[str, int] | None = None) -> dict[str, int]:
    """Counts per outcome, every outcome present (zero included) so summaries have one shape;
    `start` carries the counts of earlier chunks and of the parser's own outcomes."""
    counts: Counter[str] = Counter(dict.fromkeys(OUTCOMES, 0))
    counts.update(start or {})
    counts.update(outcome.outcome for outcome in outcomes)
    return dict(counts)
