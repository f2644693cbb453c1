from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from hub import curation_digest_views, digest_views, notification_views, pii_views, views
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
    path("settings/interests/", views.interests_view, name="interests"),
    path("saved-searches/", views.saved_search_create_view, name="saved_search_create"),
    path("saved-searches/<int:saved_search_id>/delete/", views.saved_search_delete_view, name="saved_search_delete"),
    path("follow/", views.follow_view, name="follow"),
    # The List-Unsubscribe link of digest e-mails: GET asks, POST (one-click, no CSRF token) unsubscribes.
    path("unsubscribe/<str:token>/", digest_views.digest_unsubscribe_view, name="digest_unsubscribe"),
    # The link of the set-password e-mail sent to imported members (Django's password-reset tokens: one use, expiring).
    path(
        "password/set/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="hub/password_set.html",
            success_url=reverse_lazy("hub:password_set_done"),
            post_reset_login=True,
            post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
        ),
        name="password_set",
    ),
    path(
        "password/set/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="hub/password_set_done.html"),
        name="password_set_done",
    ),
    path("tokens/", views.api_tokens_view, name="api_tokens"),
    path("approvals/", views.approvals_view, name="approvals"),
    path("pii/", pii_views.pii_flags_view, name="pii_flags"),
    path("notifications/", notification_views.notifications_view, name="notifications"),
    path("notifications/read-all/", notification_views.notifications_read_all_view, name="notifications_read_all"),
    path("notifications/feed/new/", notification_views.feed_token_rotate_view, name="notification_feed_rotate"),
    path("notifications/<int:notification_id>/read/", notification_views.notification_read_view, name="notification_read"),
    path("notifications/<int:notification_id>/open/", notification_views.notification_open_view, name="notification_open"),
    path("digests/", curation_digest_views.digest_runs_view, name="digest_runs"),
    path("digests/preview/", curation_digest_views.digest_preview_view, name="digest_preview"),
    path("digests/members/<int:member_id>/", curation_digest_views.digest_log_view, name="digest_log"),
    path("members/<int:user_id>/", views.profile_view, name="profile"),
]
