"""The current user's JSON (GET /api/v1/auth/me), built by hand: the authenticated floor of the API,
which every client polls, paid ~0.4 ms per request for ModelSerializer to rebuild its fields. It
must equal UserOutputSerializer's output (accounts/tests/test_me_representation.py compares them);
the serializer stays the reference and the schema."""

from rest_framework.fields import DateTimeField

from accounts.models import User

_datetime = DateTimeField()


def user_json(user: User) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "date_joined": _datetime.to_representation(user.date_joined),
        "display_name": user.display_name,
        "show_on_leaderboard": user.show_on_leaderboard,
        "language": user.language,
    }
