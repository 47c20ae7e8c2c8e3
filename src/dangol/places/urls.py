from django.urls import path

from dangol.places import views

app_name = "places"
urlpatterns = [
    path("markets/", views.market_list, name="market_list"),
    path("markets/<int:pk>/", views.market_detail, name="market"),
    path("regions/<str:code>/", views.region_detail, name="region"),
]
