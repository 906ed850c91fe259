"""docs/operations.md: its generated tables (settings, topics, endpoints, metrics) are current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ssp_contracts.topics import TOPICS

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "operations.md"


def test_generated_sections_are_current():
    result = subprocess.run(
        [sys.executable, "-m", "ssp_runtime.operations_doc", "--check", str(PAGE)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_page_names_every_topic_and_the_known_limits():
    text = PAGE.read_text()
    for section in ("settings", "topics", "endpoints", "metrics"):
        assert f"<!-- generated:{section} -->" in text
    assert all(f"`{name}`" in text for name in TOPICS)
    for needle in ("SSP_MONGODB_SERIALIZE_WRITES", "SSP_OPS_PORT", "`SSP_SECRET_KEY`",
                   "ssp_consumer_lag", "_id"):
        assert needle in text, needle
