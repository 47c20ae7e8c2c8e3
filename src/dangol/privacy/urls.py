from django.urls import path

from dangol.privacy import views

app_name = "privacy"
urlpatterns = [
    path("me/privacy/", views.overview, name="overview"),
    path("me/privacy/download/", views.download, name="download"),
    path("me/privacy/delete/", views.erase, name="erase"),
]
