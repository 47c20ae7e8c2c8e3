from django.urls import path

from dangol.core import views

app_name = "dev"
urlpatterns = [path("outbox/", views.outbox, name="outbox")]
