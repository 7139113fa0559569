"""`{% stream_head %}` in the layout: the stream's URL and labels for static/js/stream.js, and the
script itself, when STREAM_URL is set and someone is logged in (otherwise pages just poll)."""

import json

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html

from trading.templatetags.trading_labels import SIDES, status_labels

register = template.Library()


@register.simple_tag(takes_context=True)
def stream_head(context) -> str:
    request = context.get("request")
    if not settings.STREAM_URL or request is None or not request.user.is_authenticated:
        return ""
    labels = {"statuses": status_labels(), "sides": {key: str(label) for key, label in SIDES.items()}}
    return format_html(
        '<meta name="stocking-stream" content="{}" data-labels="{}">\n'
        '  <link rel="stylesheet" href="{}">\n'
        '  <script src="{}" defer></script>',
        settings.STREAM_URL,
        json.dumps(labels, ensure_ascii=False),
        static("css/stream.css"),
        static("js/stream.js"),
    )
