"""A real browser on the open orders page while a fill is made over the API: the row shows the fill
and a toast appears without a reload, through the live stream (polling is paused while it is live).
The app runs as `make run` runs it: gunicorn with STREAM_URL, uvicorn for the stream."""

import re
from urllib.parse import urlsplit

import pytest

from stocking.tests.browser.conftest import SCREENSHOTS, browser  # noqa: F401 (the fixture)
from stream.tests import stack

pytestmark = pytest.mark.browser

DATABASES: dict[str, str] = {}


def app_database_url(base: str) -> str:
    return DATABASES[base]


@pytest.fixture(scope="module")
def app(tmp_path_factory, django_db_setup, django_db_blocker):
    logs = tmp_path_factory.mktemp("stream-browser-logs")
    with django_db_blocker.unblock():
        database = stack.Database(tmp_path_factory.mktemp("stream-browser"))
        database.create()
    stream, stream_url = stack.start_stream(database.url, logs)
    web, base = stack.start_web(database.url, logs, stream_url=stream_url)
    DATABASES[base] = database.url
    yield base, stream_url
    web.stop()
    stream.stop()
    with django_db_blocker.unblock():
        database.drop()


@pytest.fixture
def page(browser, app, request):  # noqa: F811
    base, stream_url = app
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    problems: list[str] = []
    own_hosts = {urlsplit(base).netloc, urlsplit(stream_url).netloc}

    def guard(route):
        if urlsplit(route.request.url).netloc in own_hosts:
            route.continue_()
        else:
            problems.append(f"request to another host: {route.request.url}")
            route.abort()

    context.route(re.compile(r"^https?://"), guard)
    tab = context.new_page()
    tab.on("console", lambda msg: msg.type == "error" and problems.append(f"console error: {msg.text}"))
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    yield tab
    report = getattr(request.node, "report_call", None)
    if (report is not None and report.failed) or problems:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert problems == [], "\n".join(problems)


def test_a_fill_made_over_the_api_shows_on_the_open_orders_page_without_a_reload(page, app):
    base, stream_url = app
    api = stack.Api(base)
    order = api.call(
        "POST",
        "/api/v1/orders",
        {"stock": "005930", "side": "buy", "order_type": "limit", "quantity": 4, "limit_price": "60000"},
    )
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{base}/accounts/login/?next=/orders/")
    page.locator('input[name="username"]').fill(api.username)
    page.locator('input[name="password"]').fill("a-Strong-pass-99")
    page.locator('form button[type="submit"]').first.click()
    page.wait_for_url(re.compile(r"/orders/"))
    row = page.locator(f'tr[data-order-id="{order["id"]}"]')
    status = row.locator('[data-order-field="status"]')
    pending_text = status.inner_text()
    page.wait_for_function("() => window.StocKing && window.StocKing.streamLive === true")
    assert sockets == [stream_url]

    api.call("PATCH", f"/api/v1/orders/{order['id']}", {"limit_price": "70000"})  # marketable: fills at once

    filled = page.get_by_test_id("fill-toast")
    filled.wait_for(timeout=3000)  # polling is paused while the stream is live, and would take 4 s
    assert status.inner_text() != pending_text
    assert row.locator('[data-order-field="filled_quantity"]').inner_text() == "4"
    assert "is-closed" in (row.get_attribute("class") or "")
    assert "4/4" in filled.inner_text()


def test_the_portfolio_moves_with_the_quotes_and_matches_the_server_to_the_won(page, app, tmp_path):
    base, _ = app
    api = stack.Api(base)
    api.market_buy("005930", 7)
    api.market_buy("000660", 3)
    page.goto(f"{base}/accounts/login/?next=/portfolio/")
    page.locator('input[name="username"]').fill(api.username)
    page.locator('input[name="password"]').fill("a-Strong-pass-99")
    page.locator('form button[type="submit"]').first.click()
    page.wait_for_url(re.compile(r"/portfolio/"))
    page.wait_for_function("() => window.StocKing && window.StocKing.streamLive === true")
    total = page.get_by_test_id("total-value")
    before = total.inner_text()
    market = stack.start_market(app_database_url(base), tmp_path, "--interval", "0.3", "--ticks", "8", "--seed", "11")
    try:
        page.wait_for_function(
            "(before) => document.querySelector('[data-testid=total-value]').textContent !== before", arg=before
        )
        market.popen.wait(timeout=30)
    finally:
        market.stop()
    page.wait_for_timeout(500)  # the last tick's frame
    server = api.call("GET", "/api/v1/portfolio")
    shown = page.evaluate("(v) => window.StocKing.format('won', v)", server["total_value"])
    assert total.inner_text() == shown
    pnl = page.evaluate("(v) => window.StocKing.format('signed_won', v)", server["unrealized_pnl"])
    assert page.locator('[data-bind="unrealized_pnl"]').first.inner_text() == pnl
