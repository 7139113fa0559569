"""Writes on users: registration grants the initial virtual cash in the same transaction."""

from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction

from accounts.models import User
from stocking.core.exceptions import ApplicationError


class UsernameTaken(ApplicationError):
    code = "username_taken"
    default_message = "A user with that username already exists."


def user_register(*, username: str, email: str, password: str) -> User:
    """Create a user with a validated password and open their virtual balance with the initial grant."""
    from portfolio.services import balance_open  # accounts sits below portfolio; import at call time

    user = User(username=username, email=User.objects.normalize_email(email))
    validate_password(password, user=user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            balance_open(user=user)
    except IntegrityError as exc:
        # Two sign-ups raced past the serializer's uniqueness check; the unique index decided.
        raise UsernameTaken("A user with that username or email already exists.") from exc
    return user
