"""How bots prove who they are on the facade: an API key in Alpaca's headers (or HTTP Basic, as the
data client sends it with `use_basic_auth=True`). A StocKing access token as Bearer, which is what
`TradingClient(oauth_token=...)` sends, is simplejwt's own JWTAuthentication beside this class."""

import base64
import binascii

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.services import api_key_authenticate


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationFailed() from None
    key_id, separator, secret = decoded.partition(":")
    if not separator:
        raise AuthenticationFailed()
    return key_id, secret


class ApiKeyAuthentication(BaseAuthentication):
    """`APCA-API-KEY-ID` + `APCA-API-SECRET-KEY`, or `Authorization: Basic base64(key_id:secret)`.

    No credentials of this kind: None, so the next class (Bearer) may try. Wrong ones: 401.
    """

    def authenticate(self, request):
        meta = request.META
        key_id = meta.get("HTTP_APCA_API_KEY_ID")
        secret = meta.get("HTTP_APCA_API_SECRET_KEY")
        if key_id is None and secret is None:
            credentials = _basic_credentials(meta.get("HTTP_AUTHORIZATION", ""))
            if credentials is None:
                return None
            key_id, secret = credentials
        if not key_id or not secret:
            raise AuthenticationFailed()
        user = api_key_authenticate(key_id=key_id, secret=secret)
        if user is None:
            raise AuthenticationFailed()
        return user, None

    def authenticate_header(self, request) -> str:
        # Any value makes DRF answer 401 rather than 403; it never prompts a browser (not Basic).
        return 'APCA-API-KEY-ID realm="alpaca"'
