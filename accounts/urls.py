from django.urls import path

from accounts import views

app_name = "accounts"

password = views.password_views()

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/api-keys/", views.api_key_create_page, name="api_key_create"),
    path("profile/api-keys/<int:pk>/revoke/", views.api_key_revoke_page, name="api_key_revoke"),
    path("language/", views.language_switch, name="language"),
    path("password/change/", password["password_change"], name="password_change"),
    path("password/change/done/", password["password_change_done"], name="password_change_done"),
    path("password/reset/", password["password_reset"], name="password_reset"),
    path("password/reset/sent/", password["password_reset_done"], name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", password["password_reset_confirm"], name="password_reset_confirm"),
    path("password/reset/complete/", password["password_reset_complete"], name="password_reset_complete"),
]
