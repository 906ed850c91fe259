"""Keeps the reference tables of docs/operations.md equal to the code.

The page is prose written by people with generated sections between markers
(`<!-- generated:NAME -->` ... `<!-- end:NAME -->`): settings (from each service's pydantic
Settings), topics (`ssp_contracts.topics.TOPICS`), Kafka ACLs (`ssp_runtime.kafka_acls`),
endpoints (the routes the apps serve) and metrics (the services' registries).
`python -m ssp_runtime.operations_doc docs/operations.md` rewrites those sections; `--check`
fails when one is stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from ssp_contracts.topics import TOPICS

from ssp_runtime.kafka_acls import ADMIN, BROKER, PRINCIPALS, REPLY_TOPICS
from ssp_runtime.registration import Built, Registered, clear_settings_environment, registered
from ssp_runtime.settings import ServiceSettings

MARKER = re.compile(r"(<!-- generated:(\w+) -->\n)(.*?)(<!-- end:\2 -->)", re.S)
OPS_ROUTES = ("/healthz", "/readyz", "/metrics", "/peers")


def env_name(name: str, field: FieldInfo) -> str:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return " / ".join(f"`{a}`" for a in alias.choices)
    return f"`SSP_{name.upper()}`"


def default_of(field: FieldInfo) -> str:
    if field.default_factory is not None:
        made = field.default_factory()  # type: ignore[call-arg]
        if made != field.default_factory():  # type: ignore[call-arg]
            return "per process"  # e.g. a random instance id
        value = ",".join(str(v) for v in made) if isinstance(made, list) else (made or None)
    else:
        value = field.default
    if value is PydanticUndefined or value is None:
        return "unset"
    value = getattr(value, "get_secret_value", lambda: value)()
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`" if value != "" else "empty"


def settings_section(services: dict[str, Registered]) -> str:
    rows = ["### Every service (`ssp_runtime.settings.ServiceSettings`)", "",
            *_settings_table(ServiceSettings, set())]
    shared = set(ServiceSettings.model_fields)
    for name, service in services.items():
        settings = service.registration.settings
        own = [n for n in settings.model_fields if n not in shared]
        rows += ["", f"### {name}", ""]
        rows += _settings_table(settings, shared) if own else ["None of its own."]
    return "\n".join(rows) + "\n"


def _settings_table(cls: type[ServiceSettings], skip: set[str]) -> list[str]:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in cls.model_fields.items():
        if name in skip:
            continue
        meaning = (field.description or "").replace("|", "\\|").replace("<", "&lt;")
        rows.append(f"| {env_name(name, field)} | {default_of(field)} | {meaning} |")
    return rows


def topics_section() -> str:
    rows = ["| topic | partitions | cleanup | retention | what |", "|---|---|---|---|---|"]
    for spec in TOPICS.values():
        retention = "-" if spec.compact or spec.retention_ms is None else \
            _duration(spec.retention_ms / 1000)
        rows.append(f"| `{spec.name}` | {spec.partitions} | "
                    f"{'compact' if spec.compact else 'delete'} | {retention} | "
                    f"{spec.description} |")
    rows += ["", "Besides: `<topic>.dlq` for every consumed topic (same partitions, 30 days) and "
             "`ssp.rpc.replies.<service>` per requesting service (3 partitions, 1 hour)."]
    return "\n".join(rows) + "\n"


def kafka_acls_section() -> str:
    rows = ["| principal | reads | writes | consumer groups | |", "|---|---|---|---|---|"]
    for p in PRINCIPALS.values():
        writes = [*p.writes, *p.dead_letters()]
        if p.answers_rpc:
            writes.append(f"{REPLY_TOPICS}* (replies)")
        rows.append(f"| `{p.name}` | {_names(p.reads)} | {_names(writes)} | "
                    f"`{p.group_prefix}*` | {p.description} |")
    rows += ["", f"Each principal may also create the topics it reads or writes. `{ADMIN}` "
             f"(topic set-up, ACLs) and `{BROKER}` (the brokers themselves) are super users; "
             "nobody else may do anything not listed."]
    return "\n".join(rows) + "\n"


def _names(topics: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f"`{t}`" for t in topics)


def endpoints_section(built: dict[str, Built]) -> str:
    rows = ["| service | port | method | path | what |", "|---|---|---|---|---|"]
    for path in OPS_ROUTES:
        rows.append(f"| every service | ops (8000-8003) | GET | `{path}` | {_OPS[path]} |")
    for name, service in built.items():
        for endpoints in service.endpoints:
            for path, methods, what in _flat_routes(list(endpoints.routes)):
                if path in OPS_ROUTES:
                    continue
                rows.append(f"| {name} | {endpoints.listener} | "
                            f"{', '.join(sorted(methods - {'HEAD'}))} | `{path}` | {what} |")
    return "\n".join(rows) + "\n"


def _flat_routes(routes: list[Any]) -> list[tuple[str, set[str], Any]]:
    """(full path, methods, endpoint); FastAPI keeps included routers as one entry each that
    yields its routes with their full paths."""
    flat = []
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            flat += [(c.path_format, set(c.methods or ()), _what(c))
                     for c in route.effective_route_contexts()]
        elif getattr(route, "methods", None):
            flat.append((route.path, set(route.methods), _what(route)))
    return flat


def _what(route: Any) -> str:
    """The route's summary, else its handler's first doc line, else its name in words."""
    return getattr(route, "summary", None) or _first_line(route.endpoint) or \
        str(getattr(route, "name", "")).replace("_", " ")


def metrics_section(built: dict[str, Built]) -> str:
    found: dict[str, dict[str, Any]] = {}
    for name, service in built.items():
        registry = service.service.registry
        collector: Any
        for collector in registry._collector_to_names:  # no public way to list label names
            metric = getattr(collector, "_name", None)
            if not metric or not metric.startswith(("ssp_", "faststream_")):
                continue
            kind = getattr(collector, "_type", "")
            shown = f"{metric}_total" if kind == "counter" else metric
            entry = found.setdefault(shown, {"kind": kind, "labels": collector._labelnames,
                                             "help": collector._documentation,
                                             "services": []})
            entry["services"].append(name)
    rows = ["| metric | type | labels | exported by | meaning |", "|---|---|---|---|---|"]
    for metric, e in sorted(found.items()):
        who = "every service" if len(e["services"]) == len(built) else \
            ", ".join(e["services"])
        rows.append(f"| `{metric}` | {e['kind']} | {', '.join(e['labels']) or '-'} | {who} | "
                    f"{e['help']} |")
    return "\n".join(rows) + "\n"


def render(page: str) -> str:
    services = registered()
    built = {name: service.build_demo() for name, service in services.items()}
    sections = {"settings": lambda: settings_section(services), "topics": topics_section,
                "kafka_acls": kafka_acls_section,
                "endpoints": lambda: endpoints_section(built),
                "metrics": lambda: metrics_section(built)}

    def replace(match: re.Match[str]) -> str:
        return match.group(1) + sections[match.group(2)]() + match.group(4)

    return MARKER.sub(replace, page)


_OPS = {"/healthz": "alive (the process answers)",
        "/readyz": "ready: database and Kafka reachable (503 otherwise)",
        "/metrics": "Prometheus metrics of this process",
        "/peers": "service instances heard on ssp.heartbeats"}


def _first_line(obj: Any) -> str:
    return ((getattr(obj, "__doc__", None) or "").strip().splitlines() or [""])[0] \
        .replace("|", "\\|")


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ssp_runtime.operations_doc")
    parser.add_argument("page", type=Path)
    parser.add_argument("--check", action="store_true", help="fail if a section is stale")
    args = parser.parse_args(argv)
    clear_settings_environment()
    page = args.page.read_text()
    updated = render(page)
    if args.check:
        if updated != page:
            print(f"{args.page} is stale: run `make operations-doc`", file=sys.stderr)
            return 1
        return 0
    args.page.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
