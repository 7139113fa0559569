"""The facade in the OpenAPI schema, under the `alpaca` tag: Alpaca's shapes as JSON Schema components
(what alpaca-py's models require), the `{code, message}` error body on every error status, and the
key authentication. Views name their bodies with `ref()`; the postprocessing hook adds the components
and rewrites the facade's error responses after the project's common hook has added its statuses.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

TAG = "alpaca"
PREFIX = "/alpaca/"
ERROR = "AlpacaError"


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def array(name: str) -> dict:
    return {"type": "array", "items": ref(name)}


def _string(nullable: bool = False, **extra) -> dict:
    return {"type": "string", **({"nullable": True} if nullable else {}), **extra}


def _time(nullable: bool = False) -> dict:
    return _string(nullable, format="date-time")


def _bool() -> dict:
    return {"type": "boolean"}


def _object(properties: dict, required: list[str], **extra) -> dict:
    schema = {"type": "object", "properties": properties, **extra}
    if required:  # OpenAPI 3.0 refuses an empty list
        schema["required"] = required
    return schema


MONEY = _string(description="A decimal string in KRW.")
ASSET = _object(
    {
        "id": _string(format="uuid"),
        "class": _string(enum=["us_equity"], description="The SDK's only stock class; the market is KRX."),
        "exchange": _string(enum=[""], description="Empty: the SDK knows no Korean exchange."),
        "symbol": _string(description="Six-digit KRX code."),
        "name": _string(),
        "status": _string(enum=["active", "inactive"]),
        "tradable": _bool(),
        "marginable": _bool(),
        "shortable": _bool(),
        "easy_to_borrow": _bool(),
        "fractionable": _bool(),
        "min_order_size": {"type": "number"},
        "min_trade_increment": {"type": "number"},
        "price_increment": {"type": "number", "nullable": True, "description": "The current KRX tick size."},
        "attributes": {"type": "array", "items": _string(), "description": '["krx", "kospi"|"kosdaq"|"konex"]'},
    },
    ["id", "class", "exchange", "symbol", "status", "tradable", "marginable", "shortable", "easy_to_borrow"]
    + ["fractionable"],
)
ORDER_TIMES = ["filled_at", "expired_at", "expires_at", "canceled_at", "failed_at", "replaced_at"]
ORDER = _object(
    {
        "id": _string(format="uuid"),
        "client_order_id": _string(),
        "created_at": _time(),
        "updated_at": _time(),
        "submitted_at": _time(),
        **{name: _time(nullable=True) for name in ORDER_TIMES},
        "replaced_by": _string(nullable=True, format="uuid"),
        "replaces": _string(nullable=True, format="uuid"),
        "asset_id": _string(format="uuid"),
        "symbol": _string(),
        "asset_class": _string(enum=["us_equity"]),
        "notional": _string(nullable=True),
        "qty": _string(),
        "filled_qty": _string(),
        "filled_avg_price": _string(nullable=True),
        "order_class": _string(enum=["simple", "oco"], description="oco: one of a native stop-loss/take-profit pair."),
        "order_type": _string(enum=["market", "limit", "stop", "stop_limit", "trailing_stop"]),
        "type": _string(enum=["market", "limit", "stop", "stop_limit", "trailing_stop"]),
        "side": _string(enum=["buy", "sell"]),
        "position_intent": _string(enum=["buy_to_open", "sell_to_close"]),
        "time_in_force": _string(enum=["day", "gtc", "ioc", "fok"]),
        "limit_price": _string(nullable=True),
        "stop_price": _string(nullable=True),
        "trail_percent": _string(nullable=True),
        "trail_price": _string(nullable=True),
        "hwm": _string(nullable=True),
        "status": _string(enum=["new", "partially_filled", "filled", "canceled", "expired", "rejected"]),
        "extended_hours": _bool(),
        "legs": {"type": "array", "nullable": True, "items": {"type": "object"}},
    },
    ["id", "client_order_id", "created_at", "updated_at", "submitted_at", "time_in_force", "status"]
    + ["extended_hours"],
)
POSITION_STRINGS = [
    "avg_entry_price",
    "qty",
    "qty_available",
    "market_value",
    "cost_basis",
    "unrealized_pl",
    "unrealized_plpc",
    "unrealized_intraday_pl",
    "unrealized_intraday_plpc",
    "current_price",
    "lastday_price",
    "change_today",
]
POSITION = _object(
    {
        "asset_id": _string(format="uuid"),
        "symbol": _string(),
        "exchange": _string(enum=[""]),
        "asset_class": _string(enum=["us_equity"]),
        "asset_marginable": _bool(),
        "side": _string(enum=["long"]),
        **{name: _string() for name in POSITION_STRINGS},
    },
    ["asset_id", "symbol", "exchange", "asset_class", "avg_entry_price", "qty", "side", "cost_basis"],
)
ACCOUNT_MONEY = [
    "cash",
    "buying_power",
    "regt_buying_power",
    "non_marginable_buying_power",
    "daytrading_buying_power",
    "options_buying_power",
    "equity",
    "portfolio_value",
    "long_market_value",
    "short_market_value",
    "last_equity",
    "multiplier",
    "initial_margin",
    "maintenance_margin",
    "last_maintenance_margin",
    "sma",
    "accrued_fees",
    "pending_transfer_in",
    "pending_transfer_out",
]
ACCOUNT_FLAGS = [
    "pattern_day_trader",
    "trading_blocked",
    "transfers_blocked",
    "account_blocked",
    "trade_suspended_by_user",
    "shorting_enabled",
]
ACCOUNT = _object(
    {
        "id": _string(format="uuid"),
        "account_number": _string(),
        "status": _string(enum=["ACTIVE"]),
        "crypto_status": _string(nullable=True),
        "currency": _string(enum=["KRW"]),
        **{name: MONEY for name in ACCOUNT_MONEY},
        **{name: _bool() for name in ACCOUNT_FLAGS},
        "daytrade_count": {"type": "integer"},
        "options_approved_level": {"type": "integer"},
        "options_trading_level": {"type": "integer"},
        "created_at": _time(),
    },
    ["id", "account_number", "status"],
)
BAR = _object(
    {
        "t": _time(),
        **{key: {"type": "number"} for key in ("o", "h", "l", "c", "v")},
        "n": {"type": "integer", "nullable": True},
        "vw": {"type": "number", "nullable": True},
    },
    ["t", "o", "h", "l", "c", "v", "n", "vw"],
)
QUOTE = _object(
    {
        "t": _time(),
        **{key: {"type": "number"} for key in ("bp", "bs", "ap", "as")},
        **{key: _string() for key in ("bx", "ax", "z")},
        "c": {"type": "array", "items": _string()},
    },
    ["t", "bp", "bs", "ap", "as"],
)
TRADE = _object(
    {
        "t": _time(),
        "p": {"type": "number"},
        "s": {"type": "number"},
        **{key: _string() for key in ("x", "z")},
        "c": {"type": "array", "items": _string()},
    },
    ["t", "p", "s"],
)
BY_SYMBOL = {"type": "object", "description": "Keyed by symbol."}
COMPONENTS = {
    ERROR: _object(
        {"code": {"type": "integer", "example": 42210000}, "message": _string()},
        ["code", "message"],
        description="Every error of the facade, as alpaca-py's APIError reads it. Some add keys of their own "
        "(insufficient buying power: `buying_power`, `cost_basis`; insufficient qty: `available`, `symbol`).",
    ),
    "AlpacaAccount": ACCOUNT,
    "AlpacaAccountConfigurations": {"type": "object"},
    "AlpacaClock": _object(
        {"timestamp": _time(), "is_open": _bool(), "next_open": _time(), "next_close": _time()},
        ["timestamp", "is_open", "next_open", "next_close"],
    ),
    "AlpacaCalendarDay": _object(
        {
            "date": _string(format="date"),
            "open": _string(pattern=r"^\d\d:\d\d$"),
            "close": _string(pattern=r"^\d\d:\d\d$"),
        },
        ["date", "open", "close"],
    ),
    "AlpacaAsset": ASSET,
    "AlpacaOrder": ORDER,
    "AlpacaCancelResult": _object(
        {"id": _string(format="uuid"), "status": {"type": "integer"}, "body": {"type": "object"}},
        ["id", "status"],
    ),
    "AlpacaPosition": POSITION,
    "AlpacaCloseResult": _object(
        {"symbol": _string(), "status": {"type": "integer"}, "body": {"type": "object"}}, ["symbol", "status", "body"]
    ),
    "AlpacaPortfolioHistory": _object(
        {
            "timestamp": {"type": "array", "items": {"type": "integer"}},
            "equity": {"type": "array", "items": {"type": "number"}},
            "profit_loss": {"type": "array", "items": {"type": "number"}},
            "profit_loss_pct": {"type": "array", "items": {"type": "number", "nullable": True}},
            "base_value": {"type": "number", "nullable": True},
            "timeframe": _string(),
            "cashflow": {"type": "object"},
        },
        ["timestamp", "equity", "profit_loss", "profit_loss_pct", "timeframe"],
    ),
    "AlpacaWatchlist": _object(
        {
            "id": _string(format="uuid"),
            "account_id": _string(format="uuid"),
            "name": _string(),
            "created_at": _time(),
            "updated_at": _time(),
            "assets": array("AlpacaAsset"),
        },
        ["id", "account_id", "name", "created_at", "updated_at"],
    ),
    "AlpacaBar": BAR,
    "AlpacaBars": _object(
        {
            "bars": {**BY_SYMBOL, "additionalProperties": array("AlpacaBar")},
            "next_page_token": _string(nullable=True),
        },
        ["bars"],
    ),
    "AlpacaLatestBars": _object({"bars": {**BY_SYMBOL, "additionalProperties": ref("AlpacaBar")}}, ["bars"]),
    "AlpacaLatestQuotes": _object({"quotes": {**BY_SYMBOL, "additionalProperties": QUOTE}}, ["quotes"]),
    "AlpacaLatestTrades": _object({"trades": {**BY_SYMBOL, "additionalProperties": TRADE}}, ["trades"]),
    "AlpacaSnapshots": {
        **BY_SYMBOL,
        "additionalProperties": _object(
            {
                "latestTrade": {**TRADE, "nullable": True},
                "latestQuote": {**QUOTE, "nullable": True},
                "minuteBar": {**BAR, "nullable": True},
                "dailyBar": {**BAR, "nullable": True},
                "prevDailyBar": {**BAR, "nullable": True},
            },
            [],
        ),
    },
}
SYMBOL = {"type": "string", "pattern": r"^\d{6}$", "description": "Six-digit KRX code, e.g. 005930."}
PRICE = {"type": "integer", "minimum": 1, "description": "KRW on the KRX tick grid, within ±30% of the previous close."}
QTY = {
    "type": "integer",
    "minimum": 1,
    "maximum": settings.MAX_ORDER_QUANTITY,
    "description": 'Whole shares (1.0 and "1" are accepted too).',
}
TRAIL_PERCENT = {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": 50, "multipleOf": 0.01}
ORDER_REQUEST = {
    "type": "object",
    "description": "alpaca-py's order request. Each type takes the prices it takes natively (limit: limit_price; "
    "stop: stop_price; stop_limit: both; trailing_stop: trail_price or trail_percent); the rest is a 422, as are "
    "`notional`, order_class bracket/oco/oto, legs, `extended_hours: true` and time in force opg/cls.",
    "properties": {
        "symbol": SYMBOL,
        "qty": QTY,
        "side": {"type": "string", "enum": ["buy", "sell"]},
        "type": {"type": "string", "enum": ["market", "limit", "stop", "stop_limit", "trailing_stop"]},
        "time_in_force": {"type": "string", "enum": ["day", "gtc", "ioc", "fok"]},
        "limit_price": PRICE,
        "stop_price": PRICE,
        "trail_price": {"type": "integer", "minimum": 1, "description": "Won behind the best price since acceptance."},
        "trail_percent": TRAIL_PERCENT,
        "client_order_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "extended_hours": {"type": "boolean", "enum": [False]},
        "order_class": {"type": "string", "enum": ["simple", ""]},
        "position_intent": {"type": "string", "enum": ["buy_to_open", "sell_to_close"]},
    },
    "required": ["symbol", "qty", "side", "type", "time_in_force"],
    "additionalProperties": False,
}
REPLACE_REQUEST = {
    "type": "object",
    "description": "Changes the order in place (same id): a limit's qty and limit_price, an untriggered stop's "
    "stop_price, an untriggered trailing stop's trail (won or percent, as it was placed). A different "
    "time_in_force or a new client_order_id is a 422.",
    "properties": {
        "qty": QTY,
        "limit_price": PRICE,
        "stop_price": PRICE,
        "trail": {"type": "number", "exclusiveMinimum": True, "minimum": 0},
        "time_in_force": ORDER_REQUEST["properties"]["time_in_force"],
        "client_order_id": ORDER_REQUEST["properties"]["client_order_id"],
    },
    "minProperties": 1,
    "additionalProperties": False,
}
NAME = {"type": "string", "minLength": 1, "maxLength": 50, "pattern": r"\S"}
SYMBOLS = {"type": "array", "items": SYMBOL, "maxItems": 200}
WATCHLIST_CREATE = _object({"name": NAME, "symbols": SYMBOLS}, ["name"], additionalProperties=False)
WATCHLIST_UPDATE = _object({"name": NAME, "symbols": SYMBOLS}, [], additionalProperties=False, minProperties=1)
WATCHLIST_ADD = _object({"symbol": SYMBOL}, ["symbol"], additionalProperties=False)

ERROR_TEXT = {
    400: "Malformed JSON or a bad query value: 40010000.",
    401: "Missing, unknown, revoked or wrong key (or access token): 40110000.",
    403: "Insufficient buying power or qty: 40310000.",
    404: "No such object, not yours, or no such route: 40410000.",
    422: "A rule the request breaks (KRX tick grid, ±30% limit, fractional qty, unsupported type, closed order, "
    "unknown symbol): 42210000; a repeated client_order_id: 40010001.",
    429: "Rate limit exceeded: 42910000 (retry after `Retry-After` seconds).",
    503: "The database is unavailable; retry shortly: 50310000.",
}
ALWAYS = (400, 401, 404, 429, 503)


def query(name: str, schema_type=str, description: str = "", *, minimum=None, maximum=None, **kwargs):
    if minimum is not None or maximum is not None:  # OpenApiParameter has no bounds of its own
        schema_type = {"type": "integer", "minimum": minimum, "maximum": maximum}
    return OpenApiParameter(name, schema_type, OpenApiParameter.QUERY, description=description, **kwargs)


def operation(operation_id: str, summary: str, response=None, *, status: int = 200, request=None, errors=(), **kw):
    """extend_schema for a facade operation: `response` a schema dict (or None: no body), `errors` the
    statuses beyond those every facade operation can answer (400, 401, 404, 429, 503)."""
    described = kw.pop("response_description", "")
    responses = {
        status: OpenApiResponse(response, description=described)
        if response
        else OpenApiResponse(description=described or "Done; no body.")
    }
    for code in sorted(set(errors) | set(ALWAYS)):
        responses[code] = OpenApiResponse(ref(ERROR), description=ERROR_TEXT[code])
    return extend_schema(
        operation_id=operation_id, summary=summary, tags=[TAG], request=request, responses=responses, **kw
    )


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "alpaca.authentication.ApiKeyAuthentication"
    name = ["alpacaKeyId", "alpacaSecretKey", "alpacaBasic"]

    def get_security_requirement(self, auto_schema):
        return [{"alpacaKeyId": [], "alpacaSecretKey": []}, {"alpacaBasic": []}]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "APCA-API-KEY-ID", "description": "An API key's id (PK...)."},
            {"type": "apiKey", "in": "header", "name": "APCA-API-SECRET-KEY", "description": "Its secret."},
            {"type": "http", "scheme": "basic", "description": "key id : secret, as alpaca-py's use_basic_auth."},
        ]


def postprocess_alpaca_responses(result, generator, request, public):
    """Runs after stocking.core.schema's hook: the facade's error statuses carry Alpaca's body and wording."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
    for path, operations in result.get("paths", {}).items():
        if not path.startswith(PREFIX):
            continue
        for operation_ in operations.values():
            if "requestBody" in operation_:
                operation_["requestBody"]["required"] = True
            responses = operation_["responses"]
            for status in ALWAYS:
                responses.setdefault(str(status), {})
            for status, response in responses.items():
                if status[0] in "45":
                    response["description"] = ERROR_TEXT.get(int(status), response.get("description", ""))
                    response["content"] = {"application/json": {"schema": ref(ERROR)}}
            operation_["responses"] = dict(sorted(responses.items()))
    return result
