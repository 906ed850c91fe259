"""The portal's own small message catalogue: English and German.

The language comes from the `ssp_locale` cookie (set by the switcher) or else the browser's
Accept-Language; English is the fallback for any text a language lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from portal_gateway.web import messages_de, messages_en

CATALOGUE: dict[str, dict[str, str]] = {"en": messages_en.MESSAGES, "de": messages_de.MESSAGES}
DEFAULT_LOCALE = "en"
Translate = Callable[..., str]


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    if cookie is not None and cookie in CATALOGUE:
        return cookie
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().lower().split("-")[0]
        if language in CATALOGUE and quality > 0:
            ranked.append((quality, language))
    return max(ranked, key=lambda r: r[0])[1] if ranked else DEFAULT_LOCALE


def translator(locale: str) -> Translate:
    messages = CATALOGUE.get(locale, CATALOGUE[DEFAULT_LOCALE])

    def translate(key: str, default: str | None = None, **values: Any) -> str:
        text = messages.get(key) or CATALOGUE[DEFAULT_LOCALE].get(key)
        if text is None:
            text = key if default is None else default
        return text.format(**values) if values else text

    return translate


def reason_text(translate: Translate, action: str, code: str, english: str) -> str:
    """Why an action is unavailable, in the page's language (codes come from the domain)."""
    specific = translate(f"reason.{action}.{code}", default="")
    return specific or translate(f"reason.{code}", default=english)
