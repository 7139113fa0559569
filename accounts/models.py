from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """StocKing's user. Custom from the first migration so fields can be added without a table swap."""

    email = models.EmailField("email address", unique=True)
    show_on_leaderboard = models.BooleanField(default=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.username
