"""Every `sspctl` example of docs/operations.md, run in its order against the whole portal
(real gateway, permission-service and registry): each must work as written, with this run's
organisation, URL and devices put in for the placeholders."""

from __future__ import annotations

import asyncio
import shlex
import uuid
from pathlib import Path

import pytest
from ssp_contracts.enums import Platform
from sspctl.cli import Platform as CliPlatform
from sspctl.cli import app
from typer.testing import CliRunner, Result

from tests.browser.demo_org import FULL_ACCESS, READ_ACCESS, DemoOrg

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def documented_examples() -> list[str]:
    """The command lines of the first code block under "Admin CLI (`sspctl`)"."""
    section = OPERATIONS.read_text(encoding="utf-8").split("## Admin CLI (`sspctl`)", 1)[1]
    block = section.split("```", 2)[1]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines()
            if line.startswith("sspctl ")]


async def run(config: Path, args: list[str], demo: DemoOrg) -> Result:
    """In a thread: the CLI's blocking HTTP must not stall this loop."""
    env = {"SSPCTL_CONFIG": str(config), "SSPCTL_PASSWORD": demo.password,
           "SSPCTL_NEW_PASSWORD": demo.password}
    return await asyncio.to_thread(CliRunner().invoke, app, args, env=env)


async def test_every_documented_example_works(portal: DemoOrg, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch):
    examples = documented_examples()
    monkeypatch.chdir(tmp_path)  # `import` without --report saves import-<id>.csv here
    assert len(examples) >= 15, examples
    spare = portal.iphones[4]  # enrolled, linked to no one
    links = tmp_path / "links.csv"
    links.write_text(f"serial_number,username\n{spare.serial_number},dora\n")
    values = {"acme": portal.org, "https://portal.example": portal.url,
              "C02XYZ": spare.serial_number, "C02ABC": f"R{uuid.uuid4().hex[:8].upper()}",
              "links.csv": str(links), "report.csv": str(tmp_path / "report.csv")}
    config = tmp_path / "session.json"
    outputs: dict[str, str] = {}
    for line in examples:
        args = [values.get(word, word) for word in shlex.split(line)[1:]]
        for i, word in enumerate(args):
            if word.startswith("<"):
                args[i] = outputs[word]
        result = await run(config, args, portal)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        out = result.output
        if args[:2] == ["reservations", "create"]:
            outputs["<reservation-id>"] = out.rsplit("(", 1)[1].split(")")[0]
        outputs[line] = out

    def said(start: str) -> str:
        """What the first example starting so printed."""
        return outputs[next(line for line in examples if line.startswith(start))]

    assert "alice" in said("sspctl users list") and "bob" in said("sspctl users list")
    assert "alice" in said("sspctl users list --query") and "bob" not in said(
        "sspctl users list --query")
    assert FULL_ACCESS in said("sspctl users set-roles") and READ_ACCESS in said(
        "sspctl users set-roles")
    assert FULL_ACCESS in said("sspctl roles list") and READ_ACCESS in said("sspctl roles list")
    mine = said("sspctl devices list --platform")
    assert portal.iphones[0].udid in mine and portal.iphones[2].udid not in mine
    assert portal.android_id not in mine  # alice's, but not an iPhone
    assert spare.udid in said("sspctl devices list --serial")
    assert f"Link of {spare.udid} to alice requested" in said("sspctl devices link")
    assert f"Unlink of {spare.udid} requested" in said("sspctl devices unlink")
    assert values["C02ABC"] in said("sspctl reservations list")
    assert (tmp_path / "report.csv").exists()
    shown = said("sspctl helpdesk show")  # both sets together: the second kept the first's
    for field in ("name: IT service desk", "phone: +49 30 1234 567", "email: help@example.org",
                  "web: https://help.example.org"):
        assert field in shown, shown
    async with portal.api_session("alice") as alice:  # what the portal now shows her
        assert (await alice.get("/api/v1/helpdesk")).json()["web"] == "https://help.example.org"
    saved = outputs["sspctl import links.csv"].rsplit("Report saved in ", 1)[1].split()[0]
    assert saved.startswith("import-") and (tmp_path / saved).exists()
    assert "dora is disabled" in said("sspctl users disable")
    assert "dora is enabled" in said("sspctl users enable")
    assert "Logged out." in said("sspctl logout") and not config.exists()


def test_the_platform_filter_takes_the_apis_values():
    assert {p.value for p in CliPlatform} == {p.value for p in Platform}
    usage = CliRunner().invoke(app, ["devices", "list", "--platform", "apple"])
    assert usage.exit_code == 2 and "ios" in usage.output
