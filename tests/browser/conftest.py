"""Browser tests: the machine's Chromium, driven by Playwright, against the whole portal.

One portal for this package (four service processes, simulated devices): started per test,
as the `services` fixture does, it would cost ~20 s a test. It stops after the package's last
test, so its consumers never compete with the processes of the test packages after it. Each
test gets fresh browser contexts (own cookies), so tests do not share sessions.

Needs `/usr/bin/chromium` (Debian package `chromium`) and the `playwright` Python package;
no browser is downloaded. Without either the tests are skipped, saying which is missing.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ssp_devstack.processes import ServiceProcess, free_port

from tests.browser.demo_org import DemoOrg
from tests.browser.portal_stack import running_portal
from tests.conftest import database_name

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
FAILED = pytest.StashKey[bool]()


def chromium_installed() -> bool:
    return Path(CHROMIUM).exists()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


class PackageServices:
    """`services` of tests/conftest.py, for the whole package: own databases, stopped at
    the end, their log tails printed when a test fails."""

    def __init__(self, stack_env: dict[str, str], logs: Path) -> None:
        self.stack_env, self.logs = stack_env, logs
        self.run_id = uuid.uuid4().hex[:10]
        self.started: list[ServiceProcess] = []

    def __call__(self, module: str, *, wait: bool = True, **env: str) -> ServiceProcess:
        proc = ServiceProcess(
            module=module, port=free_port(), log_path=self.logs / f"{module}.log",
            env={**self.stack_env, "SSP_MONGODB_DATABASE": database_name(self.run_id, module),
                 "SSP_LOG_JSON": "true", "SSP_HEARTBEAT_INTERVAL_S": "5", **env})
        self.started.append(proc)
        return proc.start(wait=wait)

    def report(self) -> None:
        for proc in self.started:
            print(f"\n----- {proc.module} ({proc.log_path}) -----\n{proc.tail(30)}")


@pytest.fixture(scope="package")
def browser_services(stack_env: dict[str, str],
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[PackageServices]:
    services = PackageServices(stack_env, tmp_path_factory.mktemp("browser-services"))
    yield services
    for proc in services.started:
        proc.stop()


@pytest.fixture(scope="package")
async def portal(browser_services: PackageServices, bootstrap: str) -> AsyncIterator[DemoOrg]:
    async with running_portal(browser_services, bootstrap) as demo:
        yield demo


@pytest.fixture(scope="package")
async def chromium() -> AsyncIterator[Any]:
    if not chromium_installed():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    playwright_api = pytest.importorskip("playwright.async_api",
                                         reason="the playwright Python package is missing")
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def new_page(chromium: Any, portal: DemoOrg, browser_services: PackageServices,
                   request: pytest.FixtureRequest,
                   tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Opens a page in a new browser context (its own cookies) in the given language,
    time zone and width."""
    contexts: list[Any] = []

    async def open_page(locale: str = "en-GB", *, timezone: str | None = None,
                        width: int = 1280, bypass_csp: bool = False) -> Any:
        """`timezone` is the browser's (else the machine's); `width` 390 is a phone;
        `bypass_csp` lets a test add its own script (the portal's CSP allows only its own)."""
        zone = {"timezone_id": timezone} if timezone else {}
        context = await chromium.new_context(base_url=portal.url, locale=locale,
                                             viewport={"width": width, "height": 860},
                                             bypass_csp=bypass_csp, **zone)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return await context.new_page()

    yield open_page
    if request.node.stash.get(FAILED, False):
        for i, page in enumerate(p for c in contexts for p in c.pages):
            with contextlib.suppress(Exception):  # a crashed page must not hide the failure
                await page.screenshot(path=tmp_path / f"failed-{i}.png", full_page=True)
        print(f"\nscreenshots of the failed test: {tmp_path}")
        browser_services.report()
    for context in contexts:
        await context.close()
