"""The audit log's page."""

from django.urls import path

from dangol.audit import views

app_name = "audit"

urlpatterns = [
    path("console/audit/", views.log, name="log"),
]
