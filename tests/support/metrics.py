"""Reading a service's Prometheus exposition in tests."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


async def samples(base_url: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of one series name on `base_url`/metrics: sorted labels -> value."""
    async with httpx.AsyncClient(timeout=10) as http:
        exposition = (await http.get(f"{base_url}/metrics")).text
    return {tuple(sorted(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(exposition)
            for sample in family.samples if sample.name == name}
