from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    """Access has no models; it is an app for its `dangol token` command."""

    name = "dangol.access"
    label = "access"
    verbose_name = _("권한")
