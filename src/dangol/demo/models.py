from django.db import models
from django.utils.translation import gettext_lazy as _

from dangol.core import clock


class DemoSeed(models.Model):
    """The record that one demo seed ran to the end: a later start finds it and seeds nothing.

    The seed writes consents, money and messages that must exist once; re-running any part of
    it on a database where real people have since joined would touch them.
    """

    key = models.CharField(_("데모"), max_length=60, unique=True)
    created_at = models.DateTimeField(_("만든 시각"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("바뀐 시각"), auto_now=True)

    class Meta:
        verbose_name = _("데모 데이터 기록")
        verbose_name_plural = _("데모 데이터 기록")

    def __str__(self) -> str:
        return self.key
