"""Account pages: sign-up, log-in/out, profile, the language switch. Writes go through
accounts.services; password change and reset are Django's own views with our templates."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.throttling import SimpleRateThrottle

from accounts.forms import (
    ApiKeyForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    ProfileForm,
    SetPasswordForm,
    SignupForm,
)
from accounts.models import ApiKey, User
from accounts.services import (
    MAX_LIVE_API_KEYS,
    ApiKeyLimit,
    api_key_create,
    api_key_revoke,
    user_register,
    user_update_profile,
)
from stocking.core.exceptions import ApplicationError
from stocking.core.page_errors import add_error
from stocking.core.templatetags.stocking_format import won

AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


class AuthPageThrottle(SimpleRateThrottle):
    """The API's "auth" budget per client address, shared with it: password guessing through the
    login page and through POST /api/v1/auth/token draws on one counter."""

    scope = "auth"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def throttled_message(request: HttpRequest) -> str:
    """The "too many attempts" message once the address is over its budget, else "".

    A throttled form is never validated: validating a login form checks the password, and its
    errors would tell a guesser whether the guess was right.
    """
    throttle = AuthPageThrottle()
    if throttle.allow_request(request, None):
        return ""
    wait = int(throttle.wait() or 60)
    return _("Too many attempts. Try again in %(seconds)d seconds.") % {"seconds": wait}


def remember_language(response: HttpResponse, language: str) -> HttpResponse:
    """Pages follow the language cookie (stocking.core.middleware), so login and profile set it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    throttled = throttled_message(request) if request.method == "POST" else ""
    if throttled:
        form = SignupForm()
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_register(username=data["username"], email=data["email"], password=data["password1"])
        except ApplicationError as exc:
            add_error(form, exc, {"username_taken": "username"})
        else:
            # Someone who browsed in English before signing up keeps English.
            language = translation.get_language()
            if language != user.language:
                user_update_profile(user=user, language=language)
            login(request, user, backend=AUTH_BACKEND)
            messages.success(
                request,
                _("Welcome, %(name)s! Your virtual account holds %(cash)s to trade with.")
                % {"name": user.username, "cash": won(settings.INITIAL_VIRTUAL_CASH)},
            )
            return remember_language(redirect(_safe_next(request)), user.language)
    context = {
        "form": form,
        "next": _safe_next(request, ""),
        "initial_cash": settings.INITIAL_VIRTUAL_CASH,
        "throttled": throttled,
    }
    return render(request, "accounts/signup.html", context, status=429 if throttled else 200)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if throttled := throttled_message(request):
            context = self.get_context_data(form=self.get_form_class()(request), throttled=throttled)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        # The profile's language wins at login, whatever the visitor chose before.
        return remember_language(response, form.get_user().language)


class LogoutView(auth_views.LogoutView):
    next_page = "home"


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    form = _profile_form(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_update_profile(user=user, **form.cleaned_data)
        except ApplicationError as exc:
            add_error(form, exc, {"invalid_profile": "display_name"})
        else:
            translation.activate(user.language)  # the confirmation already speaks the new language
            messages.success(request, _("Your profile is saved."))
            return remember_language(redirect("accounts:profile"), user.language)
    return _render_profile(request, form=form)


def _profile_form(user: User, data=None) -> ProfileForm:
    initial = {
        "display_name": user.display_name,
        "show_on_leaderboard": user.show_on_leaderboard,
        "language": user.language,
    }
    return ProfileForm(data, initial=initial)


def _render_profile(request: HttpRequest, *, form=None, api_key_form=None, created=None, status: int = 200):
    """The profile page with its API keys section; `created` is a key just made, whose secret it shows."""
    user: User = request.user
    context = {
        "form": form or _profile_form(user),
        "api_key_form": api_key_form or ApiKeyForm(),
        "api_keys": ApiKey.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id"),
        "api_key_limit": MAX_LIVE_API_KEYS,
        "created": created,
        "alpaca_url": request.build_absolute_uri("/alpaca"),
    }
    response = render(request, "accounts/profile.html", context, status=status)
    if created is not None:
        response["Cache-Control"] = "no-store"  # the page carries a secret shown this once
    return response


@login_required
@require_POST
def api_key_create_page(request: HttpRequest) -> HttpResponse:
    """Create a key and show its secret on the page it answers with: never stored, never redirected
    through a session or a message."""
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _render_profile(request, api_key_form=form, status=400)
    try:
        created = api_key_create(user=request.user, name=form.cleaned_data["name"])
    except ApiKeyLimit:
        form.add_error(
            None, _("You can keep at most %(count)d live API keys. Revoke one first.") % {"count": MAX_LIVE_API_KEYS}
        )
        return _render_profile(request, api_key_form=form, status=409)
    except ApplicationError:
        form.add_error("name", _("Give the key a name of 1 to 50 characters."))
        return _render_profile(request, api_key_form=form, status=400)
    return _render_profile(request, created=created)


@login_required
@require_POST
def api_key_revoke_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        key = api_key_revoke(user=request.user, api_key_id=pk)
    except ApplicationError:
        messages.error(request, _("That API key was not found; it may be revoked already."))
    else:
        messages.success(request, _("The API key %(key_id)s is revoked.") % {"key_id": key.key_id})
    return redirect("accounts:profile")


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The footer's switch: sets the cookie for everyone and the profile for a logged-in user, so
    the choice survives the next login."""
    form = LanguageForm(request.POST)
    response = redirect(_safe_next(request))
    if not form.is_valid():
        return response
    language = form.cleaned_data["language"]
    if request.user.is_authenticated and request.user.language != language:
        user_update_profile(user=request.user, language=language)
    return remember_language(response, language)


def password_views() -> dict:
    """Django's password change/reset views with our templates and namespaced URLs."""
    return {
        "password_change": auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            form_class=PasswordChangeForm,
            success_url=reverse_lazy("accounts:password_change_done"),
        ),
        "password_change_done": auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        "password_reset": auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            form_class=PasswordResetForm,
            email_template_name="accounts/email/password_reset.txt",
            subject_template_name="accounts/email/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        "password_reset_done": auth_views.PasswordResetDoneView.as_view(
            template_name="accounts/password_reset_sent.html"
        ),
        "password_reset_confirm": auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            form_class=SetPasswordForm,
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        "password_reset_complete": auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
    }
