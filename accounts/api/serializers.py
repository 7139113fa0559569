from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import ApiKey, Language, User


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.RegexField(
        r"^[\w.@+-]+\Z",
        max_length=150,
        error_messages={"invalid": "Use letters, digits and @/./+/-/_ only."},
    )
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})

    def validate_username(self, value: str) -> str:
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("A user with that username already exists.", code="unique")
        return value

    def validate_email(self, value: str) -> str:
        if User.objects.filter(email__iexact=value).exists():
            raise serializers.ValidationError("A user with that email already exists.", code="unique")
        return value

    def validate(self, attrs: dict) -> dict:
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": exc.messages}) from exc
        return attrs


class UserOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "username", "email", "date_joined", "display_name", "show_on_leaderboard", "language")
        read_only_fields = fields


class ProfileInputSerializer(serializers.Serializer):
    """The only fields a user may change about themselves; anything else in the body is ignored."""

    display_name = serializers.CharField(required=False, allow_blank=True, max_length=30, trim_whitespace=True)
    show_on_leaderboard = serializers.BooleanField(required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)


class LogoutInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class ApiKeyInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, trim_whitespace=True, help_text="A label for you, e.g. the bot's name.")


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ("id", "name", "key_id", "created_at", "last_used_at")
        read_only_fields = fields


class ApiKeyCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="key.id")
    name = serializers.CharField(source="key.name")
    key_id = serializers.CharField(source="key.key_id", help_text="Send as APCA-API-KEY-ID.")
    secret = serializers.CharField(help_text="Send as APCA-API-SECRET-KEY. Shown only in this response.")
    created_at = serializers.DateTimeField(source="key.created_at")
