from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request):
    """Liveness plus a round trip to the database; 503 when the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return JsonResponse({"status": "error", "database": "unavailable", "detail": str(exc)}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Any path under /api/ that no route claims: JSON in the API's error shape, never an HTML page."""
    return JsonResponse({"detail": f"No API endpoint at {request.path}.", "code": "not_found"}, status=404)


def server_error(request, *args, **kwargs):
    """An unexpected error (logged by Django): JSON in each API's own error shape, the styled page
    elsewhere. Never an HTML page under /api/ or /alpaca/."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "A server error occurred.", "code": "server_error"}, status=500)
    if request.path.startswith("/alpaca/"):
        return JsonResponse({"code": 50010000, "message": "internal server error"}, status=500)
    return defaults.server_error(request, *args, **kwargs)
