"""Fixtures for driving Debian's Chromium with Playwright against pytest-django's live server.

`page` fails its test on any console error (CSP violations included), any uncaught page error and
any request to a host other than the live server, and saves a screenshot to var/screenshots/ when
the test fails. Use `visit(page, url)` to load a page and check it fits a 390 px phone.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from payments.sandbox import start_sandbox

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which makes Django refuse
    # ORM calls from the test itself; the live server answers from its own thread regardless.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def page(browser, live_server, request):
    # An English browser on purpose: pages must still open in Korean (the default).
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    problems: list[str] = []
    own_host = urlsplit(live_server.url).netloc

    def guard(route):
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:
            problems.append(f"request to another host: {route.request.url}")
            route.abort()

    context.route(re.compile(r"^https?://"), guard)
    tab = context.new_page()
    tab.on("console", lambda msg: msg.type == "error" and problems.append(f"console error: {msg.text}"))
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.problems = problems
    yield tab
    failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
    if failed or problems:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert problems == [], "\n".join(problems)


def fits_phone(page) -> None:
    """No horizontal scrolling at a 390 px phone width (wide tables scroll inside their own box)."""
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.set_viewport_size(size)
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px on a 390 px phone"


def visit(page, url: str) -> None:
    page.goto(url)
    fits_phone(page)


@pytest.fixture(scope="module")
def sandbox_server():
    server = start_sandbox(api_key="browser-key", api_secret="browser-secret")
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def portone_sandbox(sandbox_server, settings):
    """Top-ups as `make run` has them: the local PortOne sandbox, which the server (not the browser)
    talks to, so the page's no-other-host guard still holds."""
    settings.PORTONE_API_URL = sandbox_server.url
    settings.PORTONE_V1_API_KEY = "browser-key"
    settings.PORTONE_V1_API_SECRET = "browser-secret"
    settings.PORTONE_STORE_ID = "imp-sandbox"
    settings.PORTONE_SANDBOX = True
    sandbox_server.state.reset()
