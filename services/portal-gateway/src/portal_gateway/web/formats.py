"""Numbers and times as the page's language writes them (Babel's CLDR data).

Times are rendered twice over: Babel's text in UTC for a page read without scripts, inside a
`<time datetime>` that portal.js rewrites with the browser's own `Intl.DateTimeFormat`, so a
person reads the time of their own time zone without the server having to know it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent
from markupsafe import Markup, escape


def when_text(value: datetime | None, locale: str) -> str:
    """Date and time in UTC, for text that cannot hold markup (a sentence's placeholder)."""
    if value is None:
        return ""
    at = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    # Medium date, short time (no seconds): what portal.js asks Intl.DateTimeFormat for.
    date = format_date(at, "medium", locale=locale)
    return f"{date}, {format_time(at, 'short', tzinfo=UTC, locale=locale)} UTC"


def when_html(value: datetime | None, locale: str, ago: bool = False) -> Markup:
    """A `<time>` the browser shows in its own zone (`ago`: and how long ago, "5 minutes
    ago", an indicator of how current the rest is); empty for no time."""
    if value is None:
        return Markup("")
    at = value if value.tzinfo else value.replace(tzinfo=UTC)
    return Markup('<time datetime="{}" data-local-time{}>{}</time>').format(
        at.astimezone(UTC).isoformat(), Markup(" data-ago") if ago else "",
        escape(when_text(at, locale)))


def percent_text(value: float | None, locale: str) -> str:
    return "" if value is None else format_percent(value, locale=locale)


def gigabytes_text(value: int | None, locale: str) -> str:
    if value is None:
        return ""
    return f"{format_decimal(value / 1_000_000_000, format='#,##0.0', locale=locale)}\u00a0GB"
