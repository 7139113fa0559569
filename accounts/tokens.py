"""Refresh-token rotation that hands out one new pair per refresh token, even under a race.

simplejwt checks the blacklist, then blacklists with get_or_create: two requests refreshing the
same token at the same instant both pass the check and both get a new pair. Here the rotation
claims the old token by inserting its blacklist row; the row's unique key lets exactly one
request win, on every database, and the loser answers 401 like any rotated-out token.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken


class RotatingRefreshSerializer(TokenRefreshSerializer):
    def validate(self, attrs: dict) -> dict:
        if not (api_settings.ROTATE_REFRESH_TOKENS and api_settings.BLACKLIST_AFTER_ROTATION):
            return super().validate(attrs)
        refresh = self.token_class(attrs["refresh"])  # signature, expiry, type and blacklist checks
        user_id = refresh.payload.get(api_settings.USER_ID_CLAIM)
        user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account")
        refresh.outstand()  # tokens minted before the blacklist app existed have no row yet
        outstanding = OutstandingToken.objects.get(jti=refresh.payload[api_settings.JTI_CLAIM])
        try:
            with transaction.atomic():
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError as exc:
            raise InvalidToken("Token is blacklisted") from exc
        access = str(refresh.access_token)
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
        refresh.outstand()
        return {"access": access, "refresh": str(refresh)}
