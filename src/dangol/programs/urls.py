"""Pages of programs: the operator console's programs, the merchant's application."""

from django.urls import path  # noqa: F401

app_name = "programs"

urlpatterns: list = []
