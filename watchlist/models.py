"""Named watchlists per user and the stocks on them."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

DEFAULT_WATCHLIST_NAME = "관심종목"


class Watchlist(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watchlists")
    name = models.CharField(max_length=50)
    position = models.PositiveIntegerField(default=0, help_text="Order among the user's lists, from 0.")
    # The id the Alpaca-compatible API shows (its clients require UUIDs); the API here uses `id`.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="watchlist_unique_name_per_user")]

    def __str__(self) -> str:
        return f"{self.user}: {self.name}"


class WatchlistItem(models.Model):
    watchlist = models.ForeignKey(Watchlist, on_delete=models.CASCADE, related_name="items")
    stock = models.ForeignKey("trading.Stock", on_delete=models.CASCADE, related_name="watchlist_items")
    position = models.PositiveIntegerField(default=0, help_text="Order within the list, from 0.")
    memo = models.CharField(max_length=200, blank=True)
    target_price = models.DecimalField(max_digits=12, decimal_places=0, null=True, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["watchlist", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["watchlist", "stock"], name="watchlist_item_unique_stock"),
            models.CheckConstraint(
                condition=Q(target_price__gt=0) | Q(target_price__isnull=True), name="watchlist_target_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.watchlist_id}: {self.stock_id}"
