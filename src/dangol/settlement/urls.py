"""Pages of settlement."""

from django.urls import path  # noqa: F401

app_name = "settlement"

urlpatterns: list = []
