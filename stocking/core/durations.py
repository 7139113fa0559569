import re
from datetime import timedelta

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def duration(value: str) -> timedelta:
    """`30s`, `10m`, `2h`, `30d` → a timedelta (command-line ages and retentions)."""
    match = re.fullmatch(r"(\d+)([smhd])", value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a duration like 30s, 10m, 2h or 1d")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
