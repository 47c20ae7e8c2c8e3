from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data and the runtime commands (`dangol demo`, `serve`, `seed_demo`); one
    model, the record that the demo seed ran."""

    name = "dangol.demo"
    label = "demo"
    verbose_name = _("데모")
