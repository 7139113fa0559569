"""Exactly one process moves prices: a lease row renewed every tick by its holder and taken over
only once it has expired. A compare-and-swap UPDATE decides, the same on SQLite and MariaDB."""

import os
import socket
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from trading.models import EngineLease

MOVER = "price-mover"


def lease_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_hold(*, name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew the lease; False while another holder's lease runs."""
    now = timezone.now()
    free_or_ours = Q(holder=holder) | Q(expires_at__lt=now)
    if EngineLease.objects.filter(free_or_ours, name=name).update(holder=holder, expires_at=now + ttl):
        return True
    try:
        with transaction.atomic():
            EngineLease.objects.create(name=name, holder=holder, expires_at=now + ttl)
    except IntegrityError:  # another process holds it (or took it this instant)
        return False
    return True


def lease_release(*, name: str, holder: str) -> None:
    """Let another process take over at once (a clean stop), instead of after the expiry."""
    EngineLease.objects.filter(name=name, holder=holder).update(expires_at=timezone.now() - timedelta(seconds=1))
