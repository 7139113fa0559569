from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class Language(models.TextChoices):
    KOREAN = "ko", "한국어"
    ENGLISH = "en", "English"


class User(AbstractUser):
    """StocKing's user. Custom from the first migration so fields can be added without a table swap."""

    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=30, blank=True, help_text="Shown on the leaderboard.")
    show_on_leaderboard = models.BooleanField(default=False)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.KOREAN)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # "Alice" and "alice" are one account. MariaDB/MySQL cannot index an expression and skip
            # these (check W044, silenced there): the columns' case-insensitive collation
            # (utf8mb4_unicode_ci) already makes their plain unique indexes ignore case.
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def public_name(self) -> str:
        """The name others see: never the username, which is a login credential."""
        return self.display_name or f"투자자 #{self.pk}"


class ApiKey(models.Model):
    """A key for bots on the Alpaca-compatible API. The secret is shown once, at creation, and kept
    only as its SHA-256: a 240-bit random secret needs no slow hash, and every API call checks it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=50)
    key_id = models.CharField(
        max_length=20, unique=True, help_text='"PK" and 18 base32 characters, as Alpaca shapes them.'
    )
    secret_hash = models.CharField(max_length=64, help_text="SHA-256 of the secret, hex.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, help_text="Updated at most once a minute.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apikey_user_live_idx")]

    def __str__(self) -> str:
        return f"{self.key_id} ({self.name})"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None
