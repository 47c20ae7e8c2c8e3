from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationsConfig(AppConfig):
    name = "dangol.organisations"
    label = "organisations"
    verbose_name = _("기관")
