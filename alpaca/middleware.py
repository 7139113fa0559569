"""Whatever answers a request under /alpaca, a bot gets JSON in Alpaca's error shape: pages Django or
another middleware renders (a lost database's 503, an unexpected 500, a 400 for a bad Host header)
are rewritten on the way out. The facade's own views already answer JSON and pass untouched."""

import json
import logging

from django.http import HttpResponse

from alpaca import errors

logger = logging.getLogger(__name__)
MOUNT = "/alpaca"


class AlpacaErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path_info
        if response.status_code < 400 or not (path == MOUNT or path.startswith(MOUNT + "/")):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        code = errors.CODE_BY_STATUS.get(status, status * 100000)
        message = "internal server error" if status >= 500 and status != 503 else response.reason_phrase.lower()
        replaced = HttpResponse(json.dumps(errors.body(code, message)), status=status, content_type="application/json")
        for header in ("Retry-After", "Allow"):
            if header in response:
                replaced[header] = response[header]
        return replaced
