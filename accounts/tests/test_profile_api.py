import pytest

from accounts.models import User

ME = "/api/v1/auth/me"
pytestmark = pytest.mark.django_db


def test_me_shows_display_name_leaderboard_opt_in_and_language(auth_client, user):
    body = auth_client.get(ME).json()
    assert body["display_name"] == ""
    assert body["show_on_leaderboard"] is False
    assert body["language"] == "ko"


def test_patch_me_sets_the_three_profile_fields(auth_client, user):
    response = auth_client.patch(
        ME, {"display_name": "  개미왕 ", "show_on_leaderboard": True, "language": "en"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["display_name"] == "개미왕"
    user.refresh_from_db()
    assert (user.display_name, user.show_on_leaderboard, user.language) == ("개미왕", True, "en")


def test_patch_me_leaves_fields_that_are_not_sent(auth_client, user):
    auth_client.patch(ME, {"display_name": "first"}, format="json")
    auth_client.patch(ME, {"language": "en"}, format="json")
    user.refresh_from_db()
    assert (user.display_name, user.language) == ("first", "en")


def test_patch_me_cannot_set_anything_else(auth_client, user):
    response = auth_client.patch(
        ME,
        {"username": "root", "email": "x@evil.test", "is_staff": True, "is_superuser": True, "id": 999},
        format="json",
    )
    assert response.status_code == 200
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.username, fresh.email, fresh.is_staff, fresh.is_superuser) == (
        user.username,
        user.email,
        False,
        False,
    )


@pytest.mark.parametrize(
    "body",
    [{"language": "fr"}, {"display_name": "x" * 31}, {"show_on_leaderboard": "perhaps"}],
)
def test_bad_profile_values_are_400_and_change_nothing(auth_client, user, body):
    response = auth_client.patch(ME, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.display_name, fresh.language, fresh.show_on_leaderboard) == ("", "ko", False)


def test_public_name_falls_back_to_the_investor_number(user):
    assert user.public_name == f"투자자 #{user.pk}"
    user.display_name = "슈퍼개미"
    assert user.public_name == "슈퍼개미"


def test_patch_me_needs_authentication(api_client):
    assert api_client.patch(ME, {"language": "en"}, format="json").status_code == 401
