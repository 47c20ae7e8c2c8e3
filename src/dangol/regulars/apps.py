from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegularsConfig(AppConfig):
    name = "dangol.regulars"
    label = "regulars"
    verbose_name = _("단골")
