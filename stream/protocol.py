"""The native stream's wire format (DESIGN.md "Live stream"): what a client may send, what the
server answers, the close codes. Pure functions, no I/O."""

import json
from dataclasses import dataclass
from datetime import datetime

from rest_framework.fields import DateTimeField

CLOSE_NOT_AUTHENTICATED = 4001
CLOSE_TOO_MANY_CONNECTIONS = 4008
CLOSE_TOO_SLOW = 4009

ALL_CODES = "*"
MAX_CODE_LENGTH = 12

_datetime = DateTimeField()


class ProtocolError(Exception):
    """A message the server answers with an error frame; the socket stays open."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Subscribe:
    """A subscribe message; None means "keep the current value"."""

    quotes: tuple[str, ...] | None
    orders: bool | None
    since_seq: int | None
    overview: bool | None


def encode(frame: dict) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def error_frame(code: str, detail: str = "") -> str:
    return encode({"type": "error", "code": code, "detail": detail})


def iso(at: datetime) -> str:
    """As the REST API writes timestamps (Asia/Seoul offset)."""
    return _datetime.to_representation(at)


def quotes_frame(at: str, quotes: list[dict]) -> str:
    return encode({"type": "quotes", "at": at, "data": quotes})


def overview_frame(body: str) -> str:
    """The stored overview body (a JSON object's text) as an overview frame, without decoding it."""
    return '{"type":"overview",' + body.strip()[1:]


def order_frame(*, seq: int, event: str, payload: dict) -> str:
    return encode(
        {"type": "order", "seq": seq, "event": event, "order": payload["order"], "execution": payload["execution"]}
    )


def parse_message(text: str | None) -> dict:
    try:
        message = json.loads(text) if text is not None else None
    except ValueError:
        message = None
    if not isinstance(message, dict):
        raise ProtocolError("bad_request", "Send a JSON object with an action.")
    return message


def _flag(message: dict, key: str) -> bool | None:
    if key not in message or message[key] is None:
        return None
    if not isinstance(message[key], bool):
        raise ProtocolError("bad_request", f"{key} must be true or false.")
    return message[key]


def parse_subscribe(message: dict, *, max_codes: int) -> Subscribe:
    quotes = message.get("quotes")
    if quotes is not None:
        if not isinstance(quotes, list) or not all(
            isinstance(code, str) and 0 < len(code) <= MAX_CODE_LENGTH for code in quotes
        ):
            raise ProtocolError("bad_request", 'quotes must be a list of stock codes, or ["*"].')
        # ["*"] always counts as one subscription, whatever else the list names.
        quotes = (ALL_CODES,) if ALL_CODES in quotes else tuple(dict.fromkeys(quotes))
        if len(quotes) > max_codes:
            raise ProtocolError("too_many_codes", f'At most {max_codes} codes per connection; use ["*"] for all.')
    since_seq = message.get("since_seq")
    if since_seq is not None and (isinstance(since_seq, bool) or not isinstance(since_seq, int) or since_seq < 0):
        raise ProtocolError("bad_request", "since_seq must be a whole number, 0 or more.")
    return Subscribe(
        quotes=quotes, orders=_flag(message, "orders"), since_seq=since_seq, overview=_flag(message, "overview")
    )
