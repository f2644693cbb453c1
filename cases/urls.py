from django.urls import path

from cases import views
from cases.feeds import CaseFeed, LogEntryFeed, RegionCaseFeed, SectorCaseFeed

app_name = "cases"

urlpatterns = [
    path("", views.log_feed_view, name="log_feed"),
    path("feed/", LogEntryFeed(), name="log_feed_atom"),
]

# Mounted at /cases/feed/ by hub/urls.py, ahead of Wagtail's pages (/cases/ itself is the case index page).
case_feed_urlpatterns = [
    path("", CaseFeed(), name="cases"),
    path("sector/<str:slug>/", SectorCaseFeed(), name="sector"),
    path("region/<str:code>/", RegionCaseFeed(), name="region"),
]
