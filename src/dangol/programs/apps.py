from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "dangol.programs"
    label = "programs"
    verbose_name = _("상생 사업")
