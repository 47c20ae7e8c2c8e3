"""Pages of messaging."""

from django.urls import path  # noqa: F401

app_name = "messaging"

urlpatterns: list = []
