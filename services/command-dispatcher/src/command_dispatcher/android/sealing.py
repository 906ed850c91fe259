"""One-time secrets sealed to the gateway's public key: now `ssp_runtime.sealing`, shared with
the gateway that opens them. These names stay for code and tests that import them from here."""

from __future__ import annotations

from ssp_runtime.sealing import SealingError, open_sealed, seal_secret

__all__ = ["SealingError", "open_sealed", "seal_secret"]
