"""CSV import of stocks and price bars, validated row by row.

By default a file is all or nothing: if any row is bad nothing is written and every error is
reported with its line number, so a half-imported file never has to be cleaned up by hand. With
`skip_invalid=True` the good rows are imported and the bad ones reported.

stocks: code,name,market,sector,price[,previous_close,volatility,listed_shares,float_ratio]
  (sector: a KRX industry group or a theme that maps onto one, see trading.sectors; blank allowed)
prices: code,date_or_datetime,interval,open,high,low,close,volume
"""

import csv
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from stocking.core.clock import SEOUL
from stocking.core.money import CENT
from trading import krx
from trading.models import Market, PriceBar, Stock
from trading.sectors import sector_for
from trading.services.indices import index_divisors_kept
from trading.services.market_day import daily_bar_start

STOCK_COLUMNS = ("code", "name", "market", "sector", "price")
STOCK_OPTIONAL_COLUMNS = ("previous_close", "volatility", "listed_shares", "float_ratio")
PRICE_COLUMNS = ("code", "date_or_datetime", "interval", "open", "high", "low", "close", "volume")


class RowInvalid(ValueError):
    """One row (or the header) broke a rule; the message says which."""


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    rejected: bool = False  # nothing was written because of the errors

    @property
    def imported(self) -> int:
        return self.created + self.updated


def _code(value: str) -> str:
    if len(value) != 6 or not value.isdigit():
        raise RowInvalid(f"code {value!r} is not six digits")
    return value


def _won(value: str, column: str, *, allow_zero: bool = False) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise RowInvalid(f"{column} {value!r} is not a number")
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise RowInvalid(f"{column} {value!r} is not a whole number of won")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise RowInvalid(f"{column} {value!r} must be {'zero or more' if allow_zero else 'positive'}")
    if amount >= Decimal("1e12"):
        raise RowInvalid(f"{column} {value!r} is too large")
    return amount.quantize(Decimal("1"))


def _on_grid(price: Decimal, column: str) -> Decimal:
    if not krx.is_on_tick(price):
        raise RowInvalid(f"{column} {price} is not on the tick grid ({krx.tick_size(price)} won ticks)")
    return price


def _parse_stock(row: dict[str, str], *, previous_closes: dict[str, Decimal | None]) -> dict[str, Any]:
    name = row["name"]
    if not name or len(name) > 100:
        raise RowInvalid("name must be 1 to 100 characters")
    market = row["market"].upper()
    if market not in Market.values:
        raise RowInvalid(f"market {row['market']!r} is not one of {', '.join(Market.values)}")
    sector = sector_for(row["sector"])
    if sector is None:
        raise RowInvalid(f"sector {row['sector']!r} is not a KRX industry group (e.g. 전기전자) or a known theme")
    price = _on_grid(_won(row["price"], "price"), "price")
    values: dict[str, Any] = {"name": name, "market": market, "sector": sector, "current_price": price}
    if row.get("previous_close"):
        previous_close = _on_grid(_won(row["previous_close"], "previous_close"), "previous_close")
        values["previous_close"] = previous_close
    else:
        # An existing stock keeps its previous close, so today's limits still bind the new price.
        previous_close = previous_closes.get(row["code"])
    if previous_close is not None:
        limits = krx.price_limits(previous_close)
        if not limits.contains(price):
            raise RowInvalid(
                f"price {price} is outside the daily limits {limits.lower}–{limits.upper} "
                f"of previous close {previous_close}"
            )
    if row.get("volatility"):
        try:
            volatility = Decimal(row["volatility"])
        except InvalidOperation:
            raise RowInvalid(f"volatility {row['volatility']!r} is not a number")
        if not volatility.is_finite() or not Decimal("0") < volatility <= Decimal("1"):
            raise RowInvalid("volatility must be a daily σ above 0 and at most 1 (e.g. 0.02)")
        if volatility != volatility.quantize(Decimal("0.0001")):
            raise RowInvalid("volatility has more than 4 decimal places")
        values["volatility"] = volatility
    if row.get("listed_shares"):
        shares = row["listed_shares"].replace(",", "")
        if not (shares.isascii() and shares.isdigit()) or len(shares) > 15:
            raise RowInvalid(f"listed_shares {row['listed_shares']!r} is not a whole number of shares")
        values["listed_shares"] = int(shares)
    if row.get("float_ratio"):
        try:
            ratio = Decimal(row["float_ratio"])
        except InvalidOperation:
            raise RowInvalid(f"float_ratio {row['float_ratio']!r} is not a number")
        if not ratio.is_finite() or not Decimal("0") <= ratio <= Decimal("100") or ratio != ratio.quantize(CENT):
            raise RowInvalid("float_ratio must be a percentage from 0 to 100 with at most 2 decimal places")
        values["float_ratio"] = ratio
    return values


def _bar_start(value: str, interval: str) -> datetime:
    try:
        if interval == PriceBar.Interval.DAY and len(value) == 10:
            return daily_bar_start(date.fromisoformat(value))
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RowInvalid(f"date_or_datetime {value!r} is not an ISO date (YYYY-MM-DD) or date-time")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=SEOUL)  # KRX data is in Korean time
    if interval == PriceBar.Interval.DAY:
        local = moment.astimezone(SEOUL)
        if local.time() != datetime.min.time():
            raise RowInvalid("a 1d bar takes a date, not a time of day")
        return daily_bar_start(local.date())
    if moment.second or moment.microsecond:
        raise RowInvalid("a 1m bar must start on a whole minute")
    return moment


def _parse_bar(row: dict[str, str]) -> dict[str, Any]:
    interval = row["interval"]
    if interval not in PriceBar.Interval.values:
        raise RowInvalid(f"interval {interval!r} is not one of {', '.join(PriceBar.Interval.values)}")
    prices = {column: _won(row[column], column) for column in ("open", "high", "low", "close")}
    if prices["low"] > min(prices["open"], prices["close"]) or prices["high"] < max(prices["open"], prices["close"]):
        raise RowInvalid("prices must satisfy low ≤ open, close ≤ high")
    volume = int(_won(row["volume"], "volume", allow_zero=True))
    start = _bar_start(row["date_or_datetime"], interval)
    return {"interval": interval, "start": start, **prices, "volume": volume}


def _rows(
    lines: Iterable[str], required: tuple[str, ...], optional: tuple[str, ...], report: ImportReport
) -> Iterable[tuple[int, dict[str, str]]]:
    """Yield (line number, stripped row) after checking the header; shape errors go to the report."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        report.errors.append(RowError(1, "the file is empty; expected a header row"))
        return
    header = [column.strip().lower() for column in header]
    missing = [column for column in required if column not in header]
    unknown = [column for column in header if column not in required + optional]
    if missing or unknown or len(set(header)) != len(header):
        expected = ",".join(required) + "".join(f"[,{column}]" for column in optional)
        report.errors.append(RowError(1, f"the header must be {expected} (got {','.join(header)})"))
        return
    for values in reader:
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        report.rows += 1
        if len(values) != len(header):
            report.errors.append(RowError(line, f"expected {len(header)} columns, got {len(values)}"))
            continue
        yield line, {column: value.strip() for column, value in zip(header, values, strict=True)}


def _validate(
    lines: Iterable[str],
    required: tuple[str, ...],
    optional: tuple[str, ...],
    parse: Callable[[dict[str, str]], dict[str, Any]],
    key: Callable[[dict[str, str], dict[str, Any]], tuple],
    report: ImportReport,
) -> dict[tuple, dict[str, Any]]:
    parsed: dict[tuple, dict[str, Any]] = {}
    first_line: dict[tuple, int] = {}
    for line, row in _rows(lines, required, optional, report):
        try:
            _code(row["code"])
            values = parse(row)
            row_key = key(row, values)
        except RowInvalid as exc:
            report.errors.append(RowError(line, str(exc)))
            continue
        if row_key in first_line:
            report.errors.append(RowError(line, f"duplicate of line {first_line[row_key]}"))
            continue
        first_line[row_key] = line
        parsed[row_key] = values
    return parsed


def stocks_import(*, lines: Iterable[str], dry_run: bool = False, skip_invalid: bool = False) -> ImportReport:
    """Create or update stocks by code (name, market, sector, price and, when given, previous close,
    volatility, listed shares and float ratio). A new stock without previous_close starts with its
    price as the previous close. New listings and changed share counts move no index (the divisors
    absorb them); the new prices do."""
    report = ImportReport(dry_run=dry_run)

    def key(row: dict[str, str], values: dict[str, Any]) -> tuple:
        return (row["code"],)

    previous_closes = dict(Stock.objects.values_list("code", "previous_close"))
    parse = functools.partial(_parse_stock, previous_closes=previous_closes)
    parsed = _validate(lines, STOCK_COLUMNS, STOCK_OPTIONAL_COLUMNS, parse, key, report)
    if report.errors and not skip_invalid:
        report.rejected = True
        return report
    existing = Stock.objects.in_bulk([code for (code,) in parsed], field_name="code")
    report.updated = sum(1 for (code,) in parsed if code in existing)
    report.created = len(parsed) - report.updated
    if dry_run:
        return report
    # Existing rows in primary-key order, the order the simulator locks them in: a running engine
    # then waits for the import (or the import for it) instead of deadlocking.
    updates = sorted((stock.pk, code) for code, stock in existing.items())
    with index_divisors_kept():
        for _, code in updates:
            stock, values = existing[code], parsed[(code,)]
            # Keep the day's range consistent with a price set from outside the simulator.
            price = values["current_price"]
            values["day_high"] = max(stock.day_high or price, price)
            values["day_low"] = min(stock.day_low or price, price)
            values["updated_at"] = timezone.now()
            Stock.objects.filter(pk=stock.pk).update(**values)
        for (code,), values in parsed.items():
            if code not in existing:
                values.setdefault("previous_close", values["current_price"])
                Stock.objects.create(code=code, **values)
    return report


def prices_import(*, lines: Iterable[str], dry_run: bool = False, skip_invalid: bool = False) -> ImportReport:
    """Create or replace OHLCV bars (upsert on stock, interval, start). Codes must already exist.
    Daily bars start at 00:00 Asia/Seoul; naive date-times are read as Korean time."""
    report = ImportReport(dry_run=dry_run)
    stock_ids = dict(Stock.objects.values_list("code", "id"))

    def key(row: dict[str, str], values: dict[str, Any]) -> tuple:
        code = row["code"]
        if code not in stock_ids:
            raise RowInvalid(f"no stock with code {code} (import it with import_stocks first)")
        return (stock_ids[code], values["interval"], values["start"])

    parsed = _validate(lines, PRICE_COLUMNS, (), _parse_bar, key, report)
    if report.errors and not skip_invalid:
        report.rejected = True
        return report
    report.updated = _count_existing_bars(list(parsed))
    report.created = len(parsed) - report.updated
    if dry_run or not parsed:
        return report
    bars = [PriceBar(stock_id=stock_id, **values) for (stock_id, _, _), values in parsed.items()]
    # MySQL upserts on any unique key and refuses a conflict target; SQLite and PostgreSQL need one.
    target = ["stock", "interval", "start"] if connection.features.supports_update_conflicts_with_target else None
    with transaction.atomic():
        PriceBar.objects.bulk_create(
            bars,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=target,
            update_fields=["open", "high", "low", "close", "volume"],
        )
    return report


def _count_existing_bars(keys: list[tuple]) -> int:
    if not keys:
        return 0
    starts = [start for _, _, start in keys]
    existing = set(
        PriceBar.objects.filter(
            stock_id__in={stock_id for stock_id, _, _ in keys}, start__gte=min(starts), start__lte=max(starts)
        ).values_list("stock_id", "interval", "start")
    )
    return sum(1 for key in keys if key in existing)
