"""OpenAPI pieces every API app shares: the error body, per-view error responses, the statuses every
operation can answer (added by a postprocessing hook), and request schemas that say what the
serializers enforce, so that a request the schema calls valid passes them. What only the account or
the market decides (cash, tick grid, daily caps) stays a documented 400 code.

The extensions below register themselves on import; every API view module imports this module, so
they are in place before drf-spectacular generates the schema.
"""

import copy
import re

from django.core.validators import EmailValidator, RegexValidator
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication

ERROR_COMPONENT = "Error"
UNSAFE_METHODS = {"post", "put", "patch", "delete"}


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers (see stocking/core/exceptions.py). Domain errors may add fields of
    their own, e.g. `available_cash` with `insufficient_cash`, `tick_size` with `invalid_tick_size`."""

    detail = serializers.CharField(help_text="A human message (validation errors: the first one).")
    code = serializers.CharField(help_text="A stable machine code, e.g. `invalid`, `insufficient_cash`.")
    errors = serializers.DictField(
        required=False, help_text="Validation errors only: the messages by field (`non_field_errors` for the body)."
    )
    wait = serializers.FloatField(required=False, help_text="`throttled` only: seconds until a retry can succeed.")


ERROR_DESCRIPTIONS = {
    400: "Invalid input; `{detail, code}`, validation errors also carry `errors` by field.",
    404: "Not found (or not yours).",
    409: "Conflicts with the current state; `{detail, code}`.",
    502: "PortOne gave an unusable answer (e.g. refused credentials): `payment_gateway_error`.",
    503: "PortOne is down or too slow; retry later: `payment_gateway_unavailable`.",
}


def error_responses(*statuses: int, **descriptions: str) -> dict[int, OpenApiResponse]:
    """Error responses in the API's error shape: `error_responses(404, 409, e400="Bad amount: ...")`
    documents 400, 404 and 409, the 400 with its own description."""
    described = {int(key.removeprefix("e")): text for key, text in descriptions.items()}
    codes = sorted(set(statuses) | set(described))
    return {
        code: OpenApiResponse(ErrorSerializer, description=described.get(code, ERROR_DESCRIPTIONS.get(code, "")))
        for code in codes
    }


def request_schema(**keywords):
    """Class decorator: say in the request schema of a serializer what its `validate()` enforces across
    fields, e.g. `@request_schema(minProperties=1)` for a partial update that must change something.
    `properties` are merged field by field; other keywords are set as given."""

    def decorate(serializer_class):
        def map_serializer(self, auto_schema, direction):
            schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
            if direction == "request":
                extra = copy.deepcopy(keywords)
                schema.setdefault("properties", {}).update(extra.pop("properties", {}))
                schema.update(extra)
            return schema

        # Subclassing an extension registers it with drf-spectacular.
        type(
            f"{serializer_class.__name__}RequestSchema",
            (OpenApiSerializerExtension,),
            {"target_class": serializer_class, "map_serializer": map_serializer},
        )
        return serializer_class

    return decorate


class DecimalStringExtension(OpenApiSerializerFieldExtension):
    """Decimal strings as DRF reads and writes them. drf-spectacular's own pattern also admits "", "-" and
    "1." and ignores `min_value`, so generated clients could send values every DecimalField refuses."""

    target_class = serializers.DecimalField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        if schema.get("type") != "string" or field.max_whole_digits is None:
            return schema
        whole, places = field.max_whole_digits, field.decimal_places
        fraction = rf"(?:\.\d{{1,{places}}})?" if places else ""
        if field.min_value is not None and field.min_value >= 1 and not places:
            # A positive whole number (prices, deposits): no sign, no leading zero.
            schema["pattern"] = rf"^[1-9]\d{{0,{whole - 1}}}$"
        elif field.min_value is not None and field.min_value >= 0:
            schema["pattern"] = rf"^\d{{1,{max(whole, 1)}}}{fraction}$"
        else:
            schema["pattern"] = rf"^-?\d{{1,{max(whole, 1)}}}{fraction}$"
        return schema


class NonBlankStringExtension(OpenApiSerializerFieldExtension):
    """A CharField that trims and refuses blanks also refuses "   ": in a request, a string must hold one
    character that is not whitespace (drf-spectacular only says `minLength: 1`)."""

    target_class = serializers.CharField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        # Regex and e-mail validators get their own pattern or format later; they refuse blanks themselves.
        validated = any(isinstance(v, RegexValidator | EmailValidator) for v in field.validators)
        plain = schema.get("type") == "string" and not validated and "pattern" not in schema and "format" not in schema
        if direction == "request" and plain and field.trim_whitespace and not field.allow_blank:
            schema["pattern"] = r"\S"
        return schema


def _error_content(result: dict, views: dict) -> dict:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    if ERROR_COMPONENT not in schemas and views:
        # No view named the error body itself: map it with any view's inspector (it needs one for context).
        inspector = next(iter(views.values())).schema
        schemas[ERROR_COMPONENT] = inspector._map_serializer(ErrorSerializer(), "response")
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}


def _views_by_operation(generator) -> dict[tuple[str, str], object]:
    views = {}
    for path, _regex, method, callback in generator.endpoints or []:
        view = generator.create_view(callback, method)
        views[(generator.coerce_path(path, method, view), method.lower())] = view
    return views


def _require_nonempty_body(operation: dict, components: dict) -> None:
    """drf-spectacular makes a body optional when no field is required; one that must hold a field
    (`minProperties`, see request_schema) cannot be left out either."""
    body = operation.get("requestBody")
    if not body or body.get("required"):
        return
    for media in body.get("content", {}).values():
        name = media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
        if components.get(name, {}).get("minProperties"):
            body["required"] = True


DATABASE_UNAVAILABLE = "The database is unavailable; retry shortly: `database_unavailable`."


def _add_database_unavailable(responses: dict) -> None:
    """A lost database answers 503 on every operation; the payment operations already document a 503
    of their own (the gateway), which gains this cause."""
    if "503" in responses:
        if DATABASE_UNAVAILABLE not in responses["503"].get("description", ""):
            responses["503"]["description"] = (
                f"{responses['503'].get('description', '')} {DATABASE_UNAVAILABLE}".strip()
            )
    else:
        responses["503"] = {"description": DATABASE_UNAVAILABLE}


def _add(responses: dict, status: int, description: str) -> None:
    responses.setdefault(str(status), {"description": description})


def postprocess_common_responses(result, generator, request, public):
    """Document the statuses any operation can answer because of how it is served, so no view has to:

    - 400 for a malformed or invalid body, 404 for a malformed or unknown path id and for a page past
      the end of a list;
    - 401 wherever a credential is read (a bad or expired token is refused even on public operations),
      403 for a cookie-session write without its CSRF token;
    - 429 (with `Retry-After`) wherever a throttle applies, 503 everywhere for a lost database;

    and give every error response the `{detail, code}` body.
    """
    views = _views_by_operation(generator)
    content = _error_content(result, views)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            view = views.get((path, method))
            parameters = operation.get("parameters", [])
            _require_nonempty_body(operation, result["components"]["schemas"])
            if "requestBody" in operation:
                _add(responses, 400, ERROR_DESCRIPTIONS[400])
            if any(p.get("in") == "path" for p in parameters):
                _add(responses, 404, "No such object (or not yours), or a malformed id.")
            if any(p.get("in") == "query" and p.get("name") == "page" for p in parameters):
                _add(responses, 404, "No such page.")
            if view is not None and view.authentication_classes:
                _add(
                    responses,
                    401,
                    "Missing, invalid or expired credentials (`not_authenticated`, `token_not_valid`).",
                )
                if method in UNSAFE_METHODS and any(
                    issubclass(auth, SessionAuthentication) for auth in view.authentication_classes
                ):
                    _add(responses, 403, "A cookie-session write without its CSRF token.")
            if view is not None and view.throttle_classes:
                _add(responses, 429, "Too many requests (`throttled`): retry after `Retry-After` seconds.")
                responses["429"].setdefault(
                    "headers",
                    {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
                )
            _add_database_unavailable(responses)
            for status, response in responses.items():
                if re.fullmatch(r"[45]\d\d", status) and "content" not in response:
                    response["content"] = content
            operation["responses"] = dict(sorted(responses.items()))
    return result
