from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

SEOUL = ZoneInfo("Asia/Seoul")


def local_now(now: datetime | None = None) -> datetime:
    """Now (or `now`) in Asia/Seoul, where trading days and deposit caps are counted."""
    return (now or timezone.now()).astimezone(SEOUL)
