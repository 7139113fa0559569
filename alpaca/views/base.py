"""What every facade view shares: Alpaca's authentication, JSON in and out whatever the Accept header
says, the facade's exception handler, and the project's throttles (THROTTLE_USER everywhere,
THROTTLE_ORDERS on what places or changes orders)."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from alpaca import errors
from alpaca.authentication import ApiKeyAuthentication


class JSONOnly(DefaultContentNegotiation):
    """Always JSON: a bot's Accept header never turns an answer into a 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AlpacaView(APIView):
    # No SessionAuthentication: no CSRF, and a browser's cookie never authenticates a bot's call.
    authentication_classes = [ApiKeyAuthentication, JWTAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    content_negotiation_class = JSONOnly
    order_methods: tuple[str, ...] = ()  # methods that draw on the "orders" throttle scope

    def get_exception_handler(self):
        return errors.exception_handler

    def get_throttles(self):
        self.throttle_scope = "orders" if self.request.method in self.order_methods else None
        return super().get_throttles()


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Every path under /alpaca that no route claims (options, corporate actions, typos): Alpaca's 404."""
    return JsonResponse(errors.body(errors.NOT_FOUND, f"endpoint not found: {request.path}"), status=404)
