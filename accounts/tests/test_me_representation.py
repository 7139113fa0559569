"""GET /api/v1/auth/me answers with the hand-built user JSON: equal to UserOutputSerializer's."""

import pytest

from accounts.api.representations import user_json
from accounts.api.serializers import UserOutputSerializer
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [{}, {"display_name": "지우", "show_on_leaderboard": False, "language": "en"}, {"email": ""}],
)
def test_the_me_json_equals_the_serializers(fields):
    user = UserFactory(**fields)
    assert user_json(user) == UserOutputSerializer(user).data


def test_me_answers_with_it(auth_client, user):
    response = auth_client.get("/api/v1/auth/me")
    assert response.status_code == 200
    assert response.json() == UserOutputSerializer(user).data
