"""Usernames and emails are unique regardless of case, on every database, even under a race."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.services import UsernameTaken, user_register
from stocking.tests.threads import mysql_only, run_concurrently


@pytest.mark.django_db
def test_the_database_refuses_a_username_that_differs_only_in_case(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username=user.username.upper(), email="other@example.com")


@pytest.mark.django_db
def test_the_database_refuses_an_email_that_differs_only_in_case(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="someone-else", email=user.email.upper())


@pytest.mark.django_db
def test_the_service_turns_the_collision_into_username_taken(user):
    with pytest.raises(UsernameTaken):
        user_register(username=user.username.title(), email="new@example.com", password="a-Strong-pass-99")
    assert User.objects.count() == 1


@mysql_only
@pytest.mark.django_db(transaction=True)
def test_alice_and_ALICE_racing_to_register_give_one_account():
    def register(name: str, email: str):
        return lambda: user_register(username=name, email=email, password="a-Strong-pass-99")

    results = run_concurrently(
        [register(name, f"{name}{i}@example.com") for i, name in enumerate(["alice", "ALICE", "Alice", "aLiCe"] * 2)]
    )
    created = [r for r in results if isinstance(r, User)]
    assert len(created) == 1, results
    assert all(isinstance(r, UsernameTaken) for r in results if not isinstance(r, User))
    assert User.objects.filter(username__iexact="alice").count() == 1
