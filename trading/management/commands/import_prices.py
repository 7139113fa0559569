from trading.importers import prices_import
from trading.management.commands._csv_import import REJECT_POLICY, CsvImportCommand


class Command(CsvImportCommand):
    help = (
        "Import OHLCV bars from CSV: code,date_or_datetime,interval,open,high,low,close,volume. interval is "
        "1d (a date, YYYY-MM-DD) or 1m (an ISO date-time on a whole minute; without an offset it is Korean "
        "time). A bar that already exists for the stock, interval and start is replaced. Stocks must exist."
        + REJECT_POLICY
    )
    importer = staticmethod(prices_import)
    noun = "bars"
