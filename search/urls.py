from django.urls import path

from search import views

app_name = "search"

urlpatterns = [
    path("", views.search_view, name="search"),
    path("export.<str:fmt>", views.search_export_view, name="export"),
]
