from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacesConfig(AppConfig):
    name = "dangol.places"
    label = "places"
    verbose_name = _("시장과 가게")
