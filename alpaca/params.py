"""Reading what alpaca-py sends: query values are `str()` of Python values (`True`, comma-joined
lists, ISO datetimes with an offset), JSON numbers are floats (`"qty": 1.0`). Each reader answers a
bad value with Alpaca's 400 (query) or 422 (order fields), never a 500."""

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation

from django.http import QueryDict
from django.utils.dateparse import parse_date, parse_datetime

from alpaca.errors import bad_request, unprocessable
from stocking.core.clock import SEOUL

TRUE = {"true", "1", "yes"}
FALSE = {"false", "0", "no", ""}
SYMBOL = re.compile(r"^\d{6}$")
MAX_SYMBOLS = 1000


def json_object(request) -> dict:
    """The JSON body as a dict; an absent body is {}."""
    data = request.data
    if isinstance(data, QueryDict):  # no body at all
        return {}
    if not isinstance(data, dict):
        raise bad_request("request body must be a JSON object")
    return data


def query_bool(query, name: str, default: bool = False) -> bool:
    value = query.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise bad_request(f"invalid {name}: {value!r}")


def query_choice(query, name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
    value = query.get(name)
    if value is None or value == "":
        return default
    if value not in choices:
        raise bad_request(f"invalid {name}: {value!r} (one of {', '.join(choices)})")
    return value


def query_int(query, name: str, *, default: int | None, low: int, high: int) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"invalid {name}: {value!r}") from None
    if not low <= number <= high:
        raise bad_request(f"{name} must be between {low} and {high}")
    return number


# Bounds any parsed moment is clamped to: beyond them no data exists, and converting a year-1 or
# year-9999 time to another offset (or MySQL's DATETIME range) would overflow.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def clamp_day(day: date) -> date:
    return min(max(day, EARLIEST.date()), LATEST.date())


def to_datetime(value: str, name: str, *, end_of_day: bool = False) -> datetime:
    """ISO 8601 with an offset (naive means UTC, as alpaca-py means it), or a bare date (Seoul)."""
    # A "+" sent unencoded in a query string arrives as a space.
    text = value.strip().replace(" ", "+")
    try:
        parsed = parse_datetime(text)
        if parsed is None:
            day = parse_date(text)
            if day is None:
                raise ValueError(text)
            parsed = datetime.combine(clamp_day(day), time.max if end_of_day else time.min, tzinfo=SEOUL)
    except ValueError:
        raise bad_request(f"invalid {name}: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        moment = parsed.astimezone(UTC)
    except OverflowError:
        return EARLIEST if parsed.year < 5000 else LATEST
    return min(max(moment, EARLIEST), LATEST)


def query_datetime(query, name: str, *, end_of_day: bool = False) -> datetime | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    return to_datetime(value, name, end_of_day=end_of_day)


def query_date(query, name: str) -> date | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        day = parse_date(value.strip())
    except ValueError:  # well formed, but no such day
        raise bad_request(f"invalid {name}: {value!r}") from None
    return clamp_day(day) if day else to_datetime(value, name).astimezone(SEOUL).date()


def query_symbols(query, name: str = "symbols", *, required: bool = True) -> list[str]:
    """`005930,000660` in the order given, without repeats. Codes that are not six digits cannot
    be KRX symbols; the data endpoints leave unknown symbols out rather than fail."""
    raw = query.get(name)
    if raw is None or not raw.strip():
        if required:
            raise bad_request(f"{name} is required")
        return []
    symbols = list(dict.fromkeys(part.strip().upper() for part in raw.split(",") if part.strip()))
    if len(symbols) > MAX_SYMBOLS:
        raise bad_request(f"at most {MAX_SYMBOLS} symbols per request")
    return symbols


def _decimal(value, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise unprocessable(f"invalid {name}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise unprocessable(f"invalid {name}: {value!r}") from None
    if not number.is_finite():
        raise unprocessable(f"invalid {name}: {value!r}")
    return number


def quantity(value, name: str = "qty") -> int:
    """Whole shares: `1`, `1.0` and `"1"` are one share; fractions and non-positive amounts are refused."""
    number = _decimal(value, name)
    if number != number.to_integral_value():
        raise unprocessable("fractional trading is not supported")
    if number <= 0:
        raise unprocessable(f"{name} must be > 0")
    return int(number)


def price(value, name: str) -> Decimal:
    """A price as given, whole won when it is one (`83700.0` → 83700). Off-grid or out-of-range prices
    go on to the order services, whose KRX rules refuse them: there is no rounding here."""
    number = _decimal(value, name)
    if abs(number) >= Decimal(10) ** 12:  # before quantize, which cannot hold more digits than that
        raise unprocessable(f"{name} is out of range")
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return number


def symbol(value, *, missing: str = "symbol is required") -> str:
    if value is None or value == "":
        raise unprocessable(missing)
    if not isinstance(value, str):
        raise unprocessable("invalid symbol")
    return value.strip().upper()


def is_symbol(value: str) -> bool:
    return bool(SYMBOL.match(value))
