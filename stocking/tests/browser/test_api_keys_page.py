"""The profile page's API keys section in a real browser, under the app's content security policy:
create a key, see and copy its secret once, trade with it through alpaca-py, revoke it."""

import pytest
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from playwright.sync_api import expect

from accounts.models import ApiKey
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from stocking.tests.browser.conftest import fits_phone, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_key_made_on_the_profile_page_trades_and_revoking_it_locks_the_bot_out(page, live_server):
    UserFactory(username="botmaker")
    base = live_server.url
    visit(page, f"{base}/accounts/login/?next=/accounts/profile/")
    page.get_by_label("아이디").fill("botmaker")
    page.get_by_label("비밀번호").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("heading", name="API 키")).to_be_visible()

    page.get_by_label("키 이름").fill("sma bot")
    page.get_by_role("button", name="키 만들기").click()
    expect(page.locator("#api-key-created")).to_be_visible()
    fits_phone(page)
    key_id = page.locator("#api-key-id").input_value()
    secret = page.locator("#api-key-secret").input_value()
    assert ApiKey.objects.get(key_id=key_id).name == "sma bot" and len(secret) == 40
    copy = page.locator('button[data-copy="api-key-secret"]')
    copy.click()
    # Copied (the label changes), or, where the browser keeps the clipboard closed, the secret is selected.
    page.wait_for_function(
        """() => document.querySelector('button[data-copy="api-key-secret"]').textContent.trim() === "복사됨"
              || document.activeElement.id === "api-key-secret" """,
        timeout=5_000,
    )

    bot = TradingClient(key_id, secret, paper=True, url_override=f"{base}/alpaca")
    assert bot.get_account().currency == "KRW"

    page.goto(f"{base}/accounts/profile/")
    expect(page.locator("#api-key-secret")).to_have_count(0)  # shown once
    page.get_by_role("button", name=f"{key_id} 폐기").click()
    expect(page.locator(".message-success")).to_contain_text(key_id)
    with pytest.raises(APIError) as error:
        bot.get_account()
    assert (error.value.status_code, error.value.code) == (401, 40110000)
    bot._session.close()
