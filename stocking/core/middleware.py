from django.conf import settings
from django.utils import translation

SUPPORTED = {code for code, _ in settings.LANGUAGES}


def page_language(request) -> str:
    """The language a page speaks: the visitor's explicit choice (the language cookie, which login
    and the profile set), else the logged-in user's profile, else Korean."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in SUPPORTED:
        return chosen
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in SUPPORTED:
        return user.language
    return settings.LANGUAGE_CODE


class PageLanguageMiddleware:
    """Pages are Korean unless the visitor chose otherwise. A browser's Accept-Language header is
    not a choice (an English-language OS on a Korean investor's laptop is common), so pages ignore
    it; the API keeps LocaleMiddleware's negotiation. Sits after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            language = page_language(request)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
