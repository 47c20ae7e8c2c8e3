from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "dangol.messaging"
    label = "messaging"
    verbose_name = _("메시지")

    def ready(self) -> None:
        # Informational notices (written by lower apps through notices.notice_send) go
        # through messaging's delivery path; see dangol.messaging.informational.
        from dangol.messaging import informational
        from dangol.notices import channels

        channels.register(informational.notice_route)
        channels.register_reader(informational.notice_read_sync)
