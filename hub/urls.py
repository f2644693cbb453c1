from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cases.urls import case_feed_urlpatterns
from hub import dashboard_views
from hub.api import api
from hub.notification_views import NotificationFeed
from hub.views import markdown_preview_view

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("hub.account_urls")),
    path("logs/", include("cases.urls")),
    path("cases/feed/", include((case_feed_urlpatterns, "case_feeds"))),
    path("search/", include("search.urls")),
    path("markdown/preview/", markdown_preview_view, name="markdown_preview"),
    path("dashboard/", dashboard_views.dashboard_view, name="dashboard"),
    path("dashboard/export/<slug:table>.csv", dashboard_views.dashboard_csv_view, name="dashboard_csv"),
    path("dashboard/summary/", dashboard_views.dashboard_summary_view, name="dashboard_summary"),
    path("dashboard/summary/export/<slug:table>.csv", dashboard_views.dashboard_summary_csv_view, name="dashboard_summary_csv"),
    path("api/v1/", api.urls),
    # A member's notifications for feed readers; the secret token in the URL stands in for signing in.
    path("feeds/notifications/<str:token>/", NotificationFeed(), name="notification_feed"),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
