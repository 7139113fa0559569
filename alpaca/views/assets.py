"""Assets: the listed KRX stocks in Alpaca's Asset shape."""

from rest_framework.response import Response

from alpaca import params, selectors
from alpaca.errors import not_found
from alpaca.representations import asset_json
from alpaca.schema import array, operation, query, ref
from alpaca.views.base import AlpacaView

ASSET_CLASSES = ("us_equity", "us_option", "crypto", "crypto_perp")
# alpaca-py's AssetExchange values; "" is the only one a KRX stock carries here.
EXCHANGES = ("", "AMEX", "ARCA", "ASCX", "BATS", "NYSE", "NASDAQ", "NYSEARCA", "FTXU", "CBSE", "GNSS", "ERSX", "OTC")
EXCHANGES += ("CRYPTO", "OPRA")


class AssetListView(AlpacaView):
    @operation(
        "alpaca_list_assets",
        "KRX stocks as assets (class us_equity, exchange empty, market in attributes)",
        array("AlpacaAsset"),
        parameters=[
            query("status", str, "active (listed) or inactive (delisted); default both.", enum=["active", "inactive"]),
            query("asset_class", str, "Only us_equity has any.", enum=list(ASSET_CLASSES)),
            query("exchange", str, "Only the empty exchange has any.", enum=list(EXCHANGES)),
            query("attributes", str, "Comma list, any of them: krx, kospi, kosdaq, konex."),
        ],
    )
    def get(self, request):
        query_params = request.query_params
        status = params.query_choice(query_params, "status", ("active", "inactive"))
        asset_class = params.query_choice(query_params, "asset_class", ASSET_CLASSES, default="us_equity")
        exchange = params.query_choice(query_params, "exchange", EXCHANGES)  # "" and absent: None
        attributes = {part.strip().lower() for part in query_params.get("attributes", "").split(",") if part.strip()}
        if asset_class != "us_equity" or exchange is not None:
            return Response([])
        return Response([asset_json(stock) for stock in selectors.asset_list(status=status, attributes=attributes)])


class AssetDetailView(AlpacaView):
    @operation("alpaca_get_asset", "One asset by six-digit code or asset UUID", ref("AlpacaAsset"))
    def get(self, request, symbol_or_asset_id: str):
        stock = selectors.stock_get(symbol_or_asset_id.upper())
        if stock is None:
            raise not_found(f"asset not found for {symbol_or_asset_id}")
        return Response(asset_json(stock))
