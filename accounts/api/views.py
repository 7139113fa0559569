from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.api.representations import user_json
from accounts.api.serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyInputSerializer,
    ApiKeySerializer,
    LogoutInputSerializer,
    ProfileInputSerializer,
    RegisterInputSerializer,
    UserOutputSerializer,
)
from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_revoke, user_register, user_update_profile
from accounts.tokens import RotatingRefreshSerializer
from stocking.core.schema import error_responses

BAD_TOKEN = "The refresh token is malformed, expired, blacklisted or rotated out: `token_not_valid`."


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "auth"

    @extend_schema(
        request=RegisterInputSerializer,
        responses={
            201: UserOutputSerializer,
            **error_responses(
                e400="`invalid` with `errors` by field: a malformed field, a username or e-mail already taken "
                "(in any letter case), or a password the policy refuses (too short, too common, all digits, "
                "too like the username or e-mail)."
            ),
        },
        examples=[
            OpenApiExample(
                "Alice",
                value={"username": "alice", "email": "alice@example.com", "password": "a-Strong-pass-99"},
                request_only=True,
            )
        ],
        summary="Create an account (grants the initial virtual cash)",
        tags=["auth"],
    )
    def post(self, request):
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_register(**data.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenView(TokenObtainPairView):
    throttle_scope = "auth"

    @extend_schema(
        responses={
            200: TokenObtainPairSerializer,
            **error_responses(400, e401="Wrong username or password, or an inactive account: `no_active_account`."),
        },
        summary="Log in: exchange username and password for an access and refresh token",
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class TokenRefreshRotateView(TokenRefreshView):
    throttle_scope = "auth"
    serializer_class = RotatingRefreshSerializer

    @extend_schema(
        responses={200: RotatingRefreshSerializer, **error_responses(400, e401=BAD_TOKEN)},
        summary="Exchange a refresh token for a new access and refresh token (rotation)",
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    permission_classes = [AllowAny]
    # Only the refresh token in the body matters: an expired access token must not block logging out.
    authentication_classes: list = []

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'  # makes DRF answer a bad token with 401, not 403

    @extend_schema(
        request=LogoutInputSerializer,
        responses={
            204: OpenApiResponse(description="The refresh token is blacklisted."),
            **error_responses(400, e401=BAD_TOKEN),
        },
        summary="Log out: blacklist a refresh token",
        tags=["auth"],
    )
    def post(self, request):
        data = LogoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            RefreshToken(data.validated_data["refresh"]).blacklist()
        except TokenError as exc:
            raise InvalidToken(str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UserOutputSerializer}, summary="The current user", tags=["auth"])
    def get(self, request):
        return Response(user_json(request.user))

    @extend_schema(
        request=ProfileInputSerializer,
        responses={200: UserOutputSerializer, **error_responses(400)},
        summary="Change your display name, leaderboard opt-in or language (nothing else)",
        tags=["auth"],
    )
    def patch(self, request):
        data = ProfileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_update_profile(user=request.user, **data.validated_data)
        return Response(UserOutputSerializer(user).data)


class ApiKeysView(generics.ListAPIView):
    """Keys for bots on the Alpaca-compatible API (/alpaca/v2/...)."""

    serializer_class = ApiKeySerializer

    def get_queryset(self):
        return ApiKey.objects.filter(user=self.request.user, revoked_at__isnull=True).order_by("-created_at", "-id")

    @extend_schema(summary="Your live API keys (never their secrets)", tags=["api keys"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ApiKeyInputSerializer,
        responses={
            201: ApiKeyCreatedSerializer,
            **error_responses(400, e409="You already hold 10 live keys: `api_key_limit`."),
        },
        examples=[OpenApiExample("A bot", value={"name": "sma-bot"}, request_only=True)],
        summary="Create an API key: the secret is in this response and nowhere else, ever",
        tags=["api keys"],
    )
    def post(self, request):
        data = ApiKeyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = api_key_create(user=request.user, name=data.validated_data["name"])
        response = Response(ApiKeyCreatedSerializer(created).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class ApiKeyDetailView(APIView):
    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked: the key no longer authenticates."),
            **error_responses(404),
        },
        summary="Revoke an API key",
        tags=["api keys"],
    )
    def delete(self, request, pk: int):
        api_key_revoke(user=request.user, api_key_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
