from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dangol.core"
    label = "core"
    verbose_name = _("기본")

    def ready(self) -> None:
        from dangol.core import checks  # noqa: F401 - registers the system checks
