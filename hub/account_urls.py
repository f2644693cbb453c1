from django.contrib.auth import views as auth_views
from django.urls import path

from hub import pii_views, views
from hub.forms import EmailAuthenticationForm

app_name = "hub"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="hub/login.html", authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup_view, name="signup"),
    path("settings/", views.settings_view, name="settings"),
    path("tokens/", views.api_tokens_view, name="api_tokens"),
    path("approvals/", views.approvals_view, name="approvals"),
    path("pii/", pii_views.pii_flags_view, name="pii_flags"),
    path("members/<int:user_id>/", views.profile_view, name="profile"),
]
