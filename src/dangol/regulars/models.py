"""Follows (단골 맺기): a customer becoming a regular of a store or a market channel.

Consent to ad messages is a separate record (the regulars issue): following never
requires it.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.places.models import Market, Store
from dangol.regulars.rules import OptIn, opt_in_stands


def _one_store_or_market_per_customer(*, check_name: str) -> list[models.BaseConstraint]:
    """Return the constraints of a row about one customer and exactly one store or market:
    the target is one or the other, and a customer has at most one row per target."""
    return [
        models.CheckConstraint(
            condition=(Q(store__isnull=False) & Q(market__isnull=True))
            | (Q(store__isnull=True) & Q(market__isnull=False)),
            name=f"%(app_label)s_%(class)s_{check_name}",
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
    tags: "models.ManyToManyField[Tag, Any]" = models.ManyToManyField(
        "Tag", blank=True, related_name="follows", verbose_name=_("태그")
    )
    created_at = models.DateTimeField(_("단골 맺은 때"), db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("단골")
        verbose_name_plural = _("단골")
        constraints = [
            *_one_store_or_market_per_customer(check_name="one_target"),
        ]
        indexes = [
            models.Index(fields=["store", "created_at"], name="regulars_follow_store_time"),
            models.Index(fields=["market", "created_at"], name="regulars_follow_market_time"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} → {self.store or self.market}"


class Tag(models.Model):
    """One label a store gives some of its regulars (예: 김장 고객, 배달)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="regular_tags")
    name = models.CharField(_("태그"), max_length=30)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("단골 태그")
        verbose_name_plural = _("단골 태그")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "name"], name="%(app_label)s_%(class)s_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Consent(models.Model):
    """One customer's consent to ad messages (광고성 정보 수신 동의) from one sender: a store
    or a market channel. Kept apart from Follow: following never requires it.

    The row holds the current state; `ConsentEvent` rows are its append-only history and
    evidence. `ad_granted_at`/`ad_withdrawn_at` are the latest grant and the withdrawal
    that ended it (None while the consent stands); the same for the night-time opt-in
    (21:00–08:00 KST), which needs the ad opt-in. `confirmed_at` is the last grant or
    reconfirmation notice: the 2-year clock of 정보통신망법 §50 ⑧ runs from it.
    """

    class Method(models.TextChoices):
        WEB = "web", _("웹 양식")
        PAPER = "paper", _("서면·명부 가져오기")
        API = "api", _("API")
        PHONE_080 = "080", _("080 무료 수신거부 전화")

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="consents"
    )
    market = models.ForeignKey(
        Market, on_delete=models.CASCADE, null=True, blank=True, related_name="consents"
    )
    ad_granted_at = models.DateTimeField(_("광고 수신 동의 시각"), null=True, blank=True)
    ad_withdrawn_at = models.DateTimeField(_("광고 수신 철회 시각"), null=True, blank=True)
    night_granted_at = models.DateTimeField(_("야간 수신 동의 시각"), null=True, blank=True)
    night_withdrawn_at = models.DateTimeField(_("야간 수신 철회 시각"), null=True, blank=True)
    method = models.CharField(_("동의 방법"), max_length=10, choices=Method.choices, blank=True)
    text_version = models.CharField(_("동의 문구 버전"), max_length=40, blank=True)
    text = models.TextField(_("보여 준 동의 문구"), blank=True)
    confirmed_at = models.DateTimeField(
        _("마지막 확인 시각"), null=True, blank=True, db_index=True,
        help_text=_("동의 또는 재확인 안내 시각; 2년마다 다시 안내합니다."),
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("수신 동의")
        verbose_name_plural = _("수신 동의")
        constraints = [
            *_one_store_or_market_per_customer(check_name="one_sender"),
            # A standing night opt-in needs a standing ad opt-in.
            models.CheckConstraint(
                condition=Q(night_granted_at__isnull=True)
                | Q(night_withdrawn_at__isnull=False)
                | (Q(ad_granted_at__isnull=False) & Q(ad_withdrawn_at__isnull=True)),
                name="%(app_label)s_%(class)s_night_needs_ad",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} → {self.store or self.market}"

    @property
    def ad_active(self) -> bool:
        """Return whether the ad opt-in stands now (`rules.opt_in_stands`)."""
        return opt_in_stands(self, OptIn.AD, clock.now())

    @property
    def night_active(self) -> bool:
        """Return whether the night-time opt-in stands now, with the ad opt-in it needs."""
        now = clock.now()
        return opt_in_stands(self, OptIn.AD, now) and opt_in_stands(self, OptIn.NIGHT, now)


class ConsentEvent(models.Model):
    """One change to a consent, or one reconfirmation notice about it: the evidence.

    Append-only: services insert rows and never update or delete them.
    """

    class Kind(models.TextChoices):
        GRANTED = "granted", _("광고 수신 동의")
        NIGHT_GRANTED = "night_granted", _("야간 수신 동의")
        WITHDRAWN = "withdrawn", _("광고 수신 철회")
        NIGHT_WITHDRAWN = "night_withdrawn", _("야간 수신 철회")
        RECONFIRMATION_SENT = "reconfirmation_sent", _("수신 동의 확인 안내 발송")

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("종류"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("시각"), db_index=True)
    method = models.CharField(
        _("방법"), max_length=10, choices=Consent.Method.choices, blank=True
    )
    text_version = models.CharField(_("동의 문구 버전"), max_length=40, blank=True)
    text = models.TextField(_("보여 준 문구"), blank=True)
    notice = models.ForeignKey(
        "notices.Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("수신 동의 이력")
        verbose_name_plural = _("수신 동의 이력")
        ordering = ["consent_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.consent_id}: {self.kind} @ {self.at:%Y-%m-%d %H:%M}"


class RegularsImport(models.Model):
    """One upload of a store's customer list, imported in the background chunk by chunk: the
    file as uploaded (emptied once imported), how far the import has come, and what it did.

    `done_rows` of `total_rows` valid rows are written; each chunk and the counts it adds
    commit together, so an import stopped half-way resumes after its last chunk.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("대기 중")
        RUNNING = "running", _("가져오는 중")
        DONE = "done", _("완료")
        FAILED = "failed", _("실패")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="regulars_imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    filename = models.CharField(_("파일 이름"), max_length=200, blank=True)
    data = models.BinaryField(_("파일 내용"), blank=True)
    status = models.CharField(
        _("상태"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("가져올 줄 수"), null=True, blank=True)
    done_rows = models.PositiveIntegerField(_("가져온 줄 수"), default=0)
    followed = models.PositiveIntegerField(_("새 단골"), default=0)
    already_following = models.PositiveIntegerField(_("이미 단골"), default=0)
    with_consent = models.PositiveIntegerField(_("광고 수신 동의"), default=0)
    without_consent = models.PositiveIntegerField(_("동의 없음"), default=0)
    # [{"line": 12, "reason": "…"}]: rows skipped, and rows imported without their consent.
    row_errors = models.JSONField(_("건너뛴 줄"), default=list, blank=True)
    row_warnings = models.JSONField(_("동의를 가져오지 않은 줄"), default=list, blank=True)
    failure = models.CharField(_("실패 이유"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("시작"), null=True, blank=True)
    # Upload, start and every chunk: an unfinished import whose last step is old lost its worker.
    stepped_at = models.DateTimeField(_("마지막 진행"), default=clock.now)
    finished_at = models.DateTimeField(_("끝"), null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("고객 명부 가져오기")
        verbose_name_plural = _("고객 명부 가져오기")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_rows__isnull=True, done_rows=0)
                | Q(done_rows__lte=models.F("total_rows")),
                name="%(app_label)s_%(class)s_done_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}: {self.filename} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
