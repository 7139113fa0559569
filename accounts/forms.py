from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiKey, Language, User
from stocking.core.forms import PageForm, PageFormMixin


class SignupForm(PageForm):
    """Shape and friendly checks only; accounts.services.user_register makes the user."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[User.username_validator],
        help_text=_("Letters, digits and @/./+/-/_ only. Used to log in; never shown to others."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("That username is taken."), code="username_taken")
        return username

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with that email already exists."), code="email_taken")
        return email

    def clean(self) -> dict:
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", forms.ValidationError(_("The two passwords differ."), code="mismatch"))
        elif first:
            probe = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(first, user=probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class LoginForm(PageFormMixin, auth_forms.AuthenticationForm):
    username = forms.CharField(
        label=_("Username"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}),
    )


class ProfileForm(PageForm):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=User._meta.get_field("display_name").max_length,
        required=False,
        help_text=_("Shown on the leaderboard instead of your username. Leave empty to appear as “Investor #id”."),
    )
    show_on_leaderboard = forms.BooleanField(label=_("Show me on the leaderboard"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


class LanguageForm(PageForm):
    language = forms.ChoiceField(choices=Language.choices)


class PasswordChangeForm(PageFormMixin, auth_forms.PasswordChangeForm):
    pass


class PasswordResetForm(PageFormMixin, auth_forms.PasswordResetForm):
    pass


class SetPasswordForm(PageFormMixin, auth_forms.SetPasswordForm):
    pass


class ApiKeyForm(PageForm):
    name = forms.CharField(
        label=_("Key name"),
        max_length=ApiKey._meta.get_field("name").max_length,
        help_text=_("A label for you, e.g. the bot that will use the key."),
    )
