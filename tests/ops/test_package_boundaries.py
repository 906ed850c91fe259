"""Package boundaries, read from the source with `ast`: no service imports another service, no
library or tool imports a service (tools reach services over HTTP and Kafka only), and every
import outside the standard library is a distribution the package declares in its own
`pyproject.toml` (what happens to be installed by a neighbour does not count)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Package:
    root: Path  # the folder holding pyproject.toml
    distribution: str
    modules: frozenset[str]  # its top-level import names
    declared: frozenset[str]  # normalised names of the distributions it depends on (extras too)

    @property
    def kind(self) -> str:
        return self.root.parent.name  # services, libs or tools


def normalised(name: str) -> str:
    """PEP 503: `Jinja2`, `jinja2` and `python_multipart`/`python-multipart` are one name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return normalised(match.group(1))


def read_package(root: Path) -> Package:
    project = tomllib.loads((root / "pyproject.toml").read_text())
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    meta = project["project"]
    extras = [r for group in meta.get("optional-dependencies", {}).values() for r in group]
    return Package(
        root=root, distribution=normalised(meta["name"]),
        modules=frozenset(Path(path).name for path in wheel["packages"]),
        declared=frozenset(requirement_name(r) for r in [*meta["dependencies"], *extras]))


@cache
def workspace() -> tuple[Package, ...]:
    return tuple(read_package(pyproject.parent) for pattern in
                 ("services/*/pyproject.toml", "libs/*/pyproject.toml", "tools/*/pyproject.toml")
                 for pyproject in sorted(ROOT.glob(pattern)))


@cache
def installed_modules() -> dict[str, frozenset[str]]:
    """Dotted module name -> the distributions whose files hold it, for every installed
    distribution (namespace packages such as `google` or `opentelemetry` are shared by
    several, so a module is resolved by its longest dotted prefix)."""
    found: dict[str, set[str]] = {}
    for dist in importlib.metadata.distributions():
        for file in dist.files or ():
            parts = file.parts
            if not parts or parts[0].endswith((".dist-info", ".data")) or ".." in parts:
                continue
            if file.suffix not in (".py", ".pyi", ".so", ".pyd"):
                continue
            names = [*parts[:-1], parts[-1].split(".", 1)[0]]
            if names[-1] == "__init__":
                names.pop()
            for depth in range(1, len(names) + 1):
                found.setdefault(".".join(names[:depth]), set()).add(
                    normalised(dist.metadata["Name"]))
    return {module: frozenset(dists) for module, dists in found.items()}


def providers(module: str) -> frozenset[str]:
    table = installed_modules()
    parts = module.split(".")
    for depth in range(len(parts), 0, -1):
        if (dists := table.get(".".join(parts[:depth]))) is not None:
            return dists
    return frozenset()


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted module) of every absolute import in one file, nested ones included."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def sources(package: Package) -> list[Path]:
    return sorted((package.root / "src").rglob("*.py"))


def suite_module(module: str) -> Path | None:
    """The file of a module of the repository's own test suite (`tests.support.kafka`)."""
    path = ROOT.joinpath(*module.split("."))
    return next((f for f in (path.with_suffix(".py"), path / "__init__.py") if f.is_file()), None)


def suite_problems(module: str, seen: set[str]) -> Iterator[str]:
    """A tool may reuse the suite's stack helpers (a bench starts the same processes as a test)
    only if they, and what they import from the suite in turn, stay off service packages."""
    if module in seen or (path := suite_module(module)) is None:
        return
    seen.add(module)
    services = {m for p in workspace() if p.kind == "services" for m in p.modules}
    for line, imported in imports(path):
        if imported.split(".", 1)[0] in services:
            yield f"{module} (used by a tool), line {line}, imports the service {imported}"
        elif imported.split(".", 1)[0] == "tests":
            yield from suite_problems(imported, seen)


def problems(package: Package, files: list[Path]) -> Iterator[str]:
    owner = {module: other for other in workspace() for module in other.modules}
    seen: set[str] = set()
    for path in files:
        for line, module in imports(path):
            top = module.split(".", 1)[0]
            if top in package.modules or top in sys.stdlib_module_names:
                continue
            if top == "tests" and package.kind == "tools" and suite_module(module):
                yield from suite_problems(module, seen)
                continue
            other = owner.get(top)
            if other is not None and other.kind == "services":
                yield f"{path.name}:{line} imports the service package {top}"
                continue
            names = {other.distribution} if other is not None else providers(module)
            if not names:
                yield f"{path.name}:{line} imports {module}, which no distribution provides"
            elif not names & package.declared:
                yield (f"{path.name}:{line} imports {module} from {' or '.join(sorted(names))}, "
                       f"not declared in {package.root.name}/pyproject.toml")


@pytest.mark.parametrize("package", workspace(), ids=lambda p: p.distribution)
def test_imports_stay_inside_the_package_and_its_declared_dependencies(package: Package):
    files = sources(package)
    assert files, f"{package.root} has no source"
    assert list(problems(package, files)) == []


def test_the_walk_refuses_a_service_import_and_an_undeclared_one(tmp_path: Path):
    """A tool importing a service, and a library it did not declare (inside a function, too),
    is refused; the standard library, a declared distribution and the suite's helpers are not."""
    source = tmp_path / "src" / "fake_tool" / "x.py"
    source.parent.mkdir(parents=True)
    source.write_text("import json\nimport httpx\nfrom portal_gateway.store import sessions\n"
                      "from tests.support.waiting import eventually\n"
                      "def later():\n    from pymongo import AsyncMongoClient\n")
    fake = Package(root=ROOT / "tools" / "fake", distribution="fake-tool",
                   modules=frozenset({"fake_tool"}),
                   declared=frozenset({"httpx"}))
    found = list(problems(fake, [source]))
    assert len(found) == 2, found
    assert found[0].endswith("imports the service package portal_gateway")
    assert "imports pymongo from pymongo, not declared" in found[1]
