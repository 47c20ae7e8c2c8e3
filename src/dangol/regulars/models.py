"""Follows (단골 맺기): a customer becoming a regular of a store or a market channel.

Consent to ad messages is a separate record (the regulars issue): following never
requires it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.places.models import Market, Store


class Follow(models.Model):
    """One customer following one store, or one market's channel."""

    class Source(models.TextChoices):
        PAGE = "page", _("가게 페이지")
        SEARCH = "search", _("검색")
        QR = "qr", _("QR 코드")
        IMPORT = "import", _("고객 명부")
        DEMO = "demo", _("데모")

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    market = models.ForeignKey(
        Market, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    source = models.CharField(_("경로"), max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(_("단골 맺은 때"), db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("단골")
        verbose_name_plural = _("단골")
        constraints = [
            models.CheckConstraint(
                condition=(Q(store__isnull=False) & Q(market__isnull=True))
                | (Q(store__isnull=True) & Q(market__isnull=False)),
                name="%(app_label)s_%(class)s_one_target",
            ),
            models.UniqueConstraint(
                fields=["customer", "store"], condition=Q(store__isnull=False),
                name="%(app_label)s_%(class)s_unique_store",
            ),
            models.UniqueConstraint(
                fields=["customer", "market"], condition=Q(market__isnull=False),
                name="%(app_label)s_%(class)s_unique_market",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "created_at"], name="regulars_follow_store_time"),
            models.Index(fields=["market", "created_at"], name="regulars_follow_market_time"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} → {self.store or self.market}"
