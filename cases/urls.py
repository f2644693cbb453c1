from django.urls import path

from cases import views
from cases.feeds import LogEntryFeed

app_name = "cases"

urlpatterns = [
    path("", views.log_feed_view, name="log_feed"),
    path("feed/", LogEntryFeed(), name="log_feed_atom"),
]
