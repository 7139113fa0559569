import pytest
from django.test import Client

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/accounts/user/"


@pytest.fixture
def admin_http() -> Client:
    staff = UserFactory(username="staff")
    staff.is_staff = staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    client.force_login(staff)
    return client


def test_users_are_listed_with_their_cash_and_found_by_search(admin_http):
    UserFactory(username="alice", email="alice@example.com")
    UserFactory(username="bob")
    response = admin_http.get(CHANGELIST, {"q": "alice"})
    assert response.status_code == 200
    (alice,) = response.context["cl"].result_list
    assert alice.username == "alice"
    assert "10000000.00" in response.content.decode()
    assert [u.username for u in admin_http.get(CHANGELIST, {"q": "alice@ex"}).context["cl"].result_list] == ["alice"]


def test_user_changelist_runs_the_same_queries_for_one_user_or_many(admin_http):
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert admin_http.get(CHANGELIST).status_code == 200
        return len(captured)

    few = count()
    for n in range(10):
        UserFactory(username=f"more{n}")
    assert count() == few


def test_user_change_page_shows_the_profile_fields(admin_http):
    alice = UserFactory(username="alice")
    html = admin_http.get(f"{CHANGELIST}{alice.pk}/change/").content.decode()
    for field in ("display_name", "show_on_leaderboard", "language"):
        assert f'name="{field}"' in html


def test_non_staff_users_cannot_open_the_user_admin():
    alice = UserFactory(username="alice")
    client = Client()
    client.force_login(alice)
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
