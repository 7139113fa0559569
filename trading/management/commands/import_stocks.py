from trading.importers import stocks_import
from trading.management.commands._csv_import import REJECT_POLICY, CsvImportCommand


class Command(CsvImportCommand):
    help = (
        "Import stocks from CSV: code,name,market,sector,price[,previous_close,volatility]. A known code is "
        "updated, a new one created (previous close defaults to the price). Prices are whole won on the "
        "KRX tick grid; market is KOSPI, KOSDAQ or KONEX; volatility is a daily sigma such as 0.02." + REJECT_POLICY
    )
    importer = staticmethod(stocks_import)
    noun = "stocks"
