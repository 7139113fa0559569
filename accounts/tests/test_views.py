from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from portfolio.models import Balance, CashLedgerEntry

pytestmark = pytest.mark.django_db
LANGUAGE_COOKIE = settings.LANGUAGE_COOKIE_NAME


def signup_data(**overrides) -> dict:
    return {
        "username": "alice",
        "email": "alice@example.com",
        "password1": "a-Strong-pass-99",
        "password2": "a-Strong-pass-99",
        **overrides,
    }


def test_signup_creates_the_user_with_the_initial_cash_and_logs_them_in(client):
    response = client.post("/accounts/signup/", signup_data())

    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[LANGUAGE_COOKIE].value == "ko"
    user = User.objects.get(username="alice")
    assert Balance.objects.get(user=user).cash == settings.INITIAL_VIRTUAL_CASH
    assert CashLedgerEntry.objects.filter(user=user, kind="initial_grant").count() == 1
    dashboard = client.get("/")
    assert dashboard.context["user"] == user
    assert "₩10,000,000" in dashboard.content.decode()


def test_signup_goes_back_to_next(client):
    response = client.post("/accounts/signup/", {**signup_data(), "next": "/market/005930/"})
    assert response["Location"] == "/market/005930/"


def test_signup_refuses_an_offsite_next(client):
    response = client.post("/accounts/signup/", {**signup_data(), "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password2": "something-else-77"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password1"),
        ({"username": "ALICE2", "email": "dup@example.com"}, "username"),
        ({"email": "Taken@Example.com"}, "email"),
        ({"username": "bad name!"}, "username"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_signup_shows_errors_next_to_the_field(client, overrides, field):
    UserFactory(username="alice2", email="taken@example.com")
    response = client.post("/accounts/signup/", signup_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.filter(email="alice@example.com").exists()


def test_signup_keeps_the_language_the_visitor_browsed_in(client):
    client.cookies[LANGUAGE_COOKIE] = "en"
    client.post("/accounts/signup/", signup_data())
    assert User.objects.get(username="alice").language == "en"


def test_login_goes_back_to_next_and_applies_the_profile_language(client):
    user = UserFactory(username="bob")
    user.language = "en"
    user.save(update_fields=["language"])

    response = client.post(
        "/accounts/login/?next=/orders/", {"username": "bob", "password": DEFAULT_PASSWORD, "next": "/orders/"}
    )

    assert response.status_code == 302 and response["Location"] == "/orders/"
    assert response.cookies[LANGUAGE_COOKIE].value == "en"
    page = client.get("/orders/")
    assert '<html lang="en">' in page.content.decode()


def test_login_with_a_wrong_password_shows_an_error(client):
    UserFactory(username="bob")
    response = client.post("/accounts/login/", {"username": "bob", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_login_attempts_are_throttled_per_client_address(client, monkeypatch):
    from accounts.views import AuthPageThrottle

    monkeypatch.setattr(AuthPageThrottle, "THROTTLE_RATES", {"auth": "3/min"})
    UserFactory(username="bob")
    for _ in range(3):
        assert client.post("/accounts/login/", {"username": "bob", "password": "guess"}).status_code == 200
    blocked = client.post("/accounts/login/", {"username": "bob", "password": DEFAULT_PASSWORD})
    wrong = client.post("/accounts/login/", {"username": "bob", "password": "guess"})
    assert blocked.status_code == wrong.status_code == 429
    assert "_auth_user_id" not in client.session
    # The password is not even checked: the answer must not tell a right guess from a wrong one.
    assert not blocked.context["form"].is_bound and not wrong.context["form"].is_bound
    assert "시도가 너무 많습니다" in blocked.content.decode()
    signup = client.post("/accounts/signup/", signup_data())
    assert signup.status_code == 429 and not User.objects.filter(username="alice").exists()
    assert (
        Client(REMOTE_ADDR="10.0.0.2").post("/accounts/login/", {"username": "bob", "password": DEFAULT_PASSWORD})[
            "Location"
        ]
        == "/"
    )


def test_logout_is_a_post_and_returns_home(client):
    client.force_login(UserFactory())
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_user_pages_send_anonymous_visitors_to_login_and_back(client):
    for path in ("/orders/", "/accounts/profile/", "/accounts/password/change/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={path}"


def test_profile_saves_through_the_service_and_switches_the_language(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        "/accounts/profile/", {"display_name": "  Ant Investor ", "show_on_leaderboard": "on", "language": "en"}
    )

    assert response.status_code == 302
    assert response.cookies[LANGUAGE_COOKIE].value == "en"
    user.refresh_from_db()
    assert (user.display_name, user.show_on_leaderboard, user.language) == ("Ant Investor", True, "en")
    page = client.get("/accounts/profile/")
    assert "Your profile is saved." in page.content.decode()


def test_profile_rejects_junk_without_a_server_error(client):
    client.force_login(UserFactory())
    response = client.post("/accounts/profile/", {"display_name": "x" * 31, "language": "fr"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"display_name", "language"}


def test_language_switch_sets_the_cookie_and_a_logged_in_users_profile(client):
    response = client.post("/accounts/language/", {"language": "en", "next": "/market/"})
    assert response["Location"] == "/market/" and response.cookies[LANGUAGE_COOKIE].value == "en"

    user = UserFactory()
    client.force_login(user)
    client.post("/accounts/language/", {"language": "en", "next": "https://evil.example/"})
    user.refresh_from_db()
    assert user.language == "en"
    assert client.post("/accounts/language/", {"language": "xx"}).status_code == 302
    assert client.get("/accounts/language/").status_code == 405


def test_pages_are_korean_by_default_whatever_the_browser_asks_for(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = page.content.decode()
    assert '<html lang="ko">' in html and "로그인" in html

    client.cookies[LANGUAGE_COOKIE] = "en"
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in html and "Forgot your password?" in html


def test_password_change_uses_djangos_view_with_our_page(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/accounts/password/change/").status_code == 200
    response = client.post(
        "/accounts/password/change/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": "n3w-Secret-pass", "new_password2": "n3w-Secret-pass"},
    )
    assert response["Location"] == "/accounts/password/change/done/"
    user.refresh_from_db()
    assert user.check_password("n3w-Secret-pass")


def test_password_reset_mails_a_link_that_sets_a_new_password(client):
    user = UserFactory(email="carol@example.com")
    response = client.post("/accounts/password/reset/", {"email": "carol@example.com"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    (message,) = mail.outbox
    link = next(line for line in message.body.splitlines() if "/accounts/password/reset/" in line)
    path = link.split("testserver", 1)[1]

    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "r3set-Secret-pass", "new_password2": "r3set-Secret-pass"}
    )
    assert done["Location"] == "/accounts/password/reset/complete/"
    user.refresh_from_db()
    assert user.check_password("r3set-Secret-pass")


def test_auth_pages_render_for_visitors(client):
    for path in (
        "/accounts/signup/",
        "/accounts/login/",
        "/accounts/password/reset/",
        "/accounts/password/reset/sent/",
    ):
        assert client.get(path).status_code == 200
    assert client.get("/accounts/password/reset/bad/bad-token/").context["validlink"] is False


def test_logged_in_users_skip_login_and_signup(client):
    client.force_login(UserFactory())
    assert client.get("/accounts/login/")["Location"] == "/"
    assert client.get("/accounts/signup/")["Location"] == "/"


def test_initial_cash_is_shown_from_settings(client):
    with override_settings(INITIAL_VIRTUAL_CASH=Decimal("5000000")):
        assert "₩5,000,000" in client.get("/accounts/signup/").content.decode()
