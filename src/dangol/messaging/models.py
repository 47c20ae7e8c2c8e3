"""Messaging (메시지): campaigns from a store or a market channel to its regulars, and their
deliveries, one row per recipient and channel.

A Campaign is what the sender wrote (or a fixed informational template) and to whom; a
Delivery is one copy on one channel (in-app inbox, SMS/LMS, e-mail) with its own state,
opt-out token and provider result. Rows first: the fan-out inserts every Delivery in the
sending transaction; tasks only move rows between states.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.coupons.models import CouponTemplate
from dangol.ledger.models import Transaction
from dangol.places.models import Market, Store
from dangol.regulars.models import Tag

BODY_MAX_LENGTH = 1000
SMS_MAX_BYTES = 90  # EUC-KR bytes of a short SMS; longer text goes as LMS


class Channel(models.TextChoices):
    IN_APP = "in_app", _("앱 알림함")
    SMS = "sms", _("문자(SMS)")
    LMS = "lms", _("장문 문자(LMS)")
    EMAIL = "email", _("이메일")


class MessagePrice(models.Model):
    """The operator's price per recipient of one channel, in won (defaults: in-app ₩15,
    SMS ₩20, LMS ₩50, e-mail ₩0)."""

    channel = models.CharField(_("채널"), max_length=10, choices=Channel.choices, unique=True)
    price = models.PositiveIntegerField(_("건당 가격(원)"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("메시지 단가")
        verbose_name_plural = _("메시지 단가")
        ordering = ["channel"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.price:,}원"


class Campaign(models.Model):
    """One message to an audience: an ad from one sender (a store or a market channel), or
    an informational message from the system (no sender)."""

    class Kind(models.TextChoices):
        AD = "ad", _("광고")
        INFO = "info", _("정보성 안내")

    class Template(models.TextChoices):
        FREE = "", _("직접 작성")
        CLOSING_SALE = "closing_sale", _("마감 세일")
        VOUCHER_RECEIVED = "voucher_received", _("상품권 도착")
        EXPIRY = "expiry", _("유효기간 만료 안내")
        SETTLEMENT_PAID = "settlement_paid", _("정산 지급")
        CONSENT_RECONFIRMATION = "consent_reconfirmation", _("수신 동의 확인 안내")

    class Audience(models.TextChoices):
        ALL = "all", _("동의한 단골 모두")
        TAG = "tag", _("태그")
        MARKET = "market", _("시장 채널 구독자")
        DIRECT = "direct", _("지정한 받는 사람(정보성)")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("예약")
        SENT = "sent", _("발송")
        CANCELLED = "cancelled", _("취소")

    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    market = models.ForeignKey(
        Market, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    kind = models.CharField(_("종류"), max_length=10, choices=Kind.choices)
    template = models.CharField(
        _("서식"), max_length=30, choices=Template.choices, blank=True, default=""
    )
    body = models.TextField(_("내용"), max_length=BODY_MAX_LENGTH)
    image = models.ImageField(_("이미지"), upload_to="campaigns/%Y/%m/", blank=True)
    coupon_template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, null=True, blank=True,
        related_name="campaigns", verbose_name=_("쿠폰"),
    )
    link_url = models.URLField(_("링크 주소"), blank=True)
    link_label = models.CharField(_("링크 버튼 글자"), max_length=20, blank=True)
    audience = models.CharField(_("받는 사람"), max_length=10, choices=Audience.choices)
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, null=True, blank=True)
    channels = models.JSONField(_("채널"), default=list)
    scheduled_at = models.DateTimeField(_("보낼 시각"))
    status = models.CharField(_("상태"), max_length=10, choices=Status.choices)
    sent_at = models.DateTimeField(_("보낸 시각"), null=True, blank=True)
    idempotency_key = models.CharField(_("멱등성 키"), max_length=100, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="campaigns_created",
    )
    # Fan-out figures, written by campaign_send in its transaction.
    targeted = models.PositiveIntegerField(_("대상"), default=0)
    suppressed_no_consent = models.PositiveIntegerField(_("동의 없음"), default=0)
    suppressed_withdrawn = models.PositiveIntegerField(_("동의 철회"), default=0)
    suppressed_opted_out = models.PositiveIntegerField(_("수신 거부"), default=0)
    held_quiet_hours = models.PositiveIntegerField(_("야간 보류"), default=0)
    cost = models.PositiveBigIntegerField(_("비용(원)"), default=0)
    charge = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, null=True, blank=True, related_name="campaign"
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("메시지")
        verbose_name_plural = _("메시지")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="ad", store__isnull=True, market__isnull=False)
                | Q(kind="ad", store__isnull=False, market__isnull=True)
                | Q(kind="info", store__isnull=True, market__isnull=True),
                name="%(app_label)s_%(class)s_one_sender",
            ),
            models.CheckConstraint(
                condition=Q(kind="ad", template__in=["", "closing_sale"])
                | Q(kind="info") & ~Q(template__in=["", "closing_sale"]),
                name="%(app_label)s_%(class)s_info_from_templates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.get_kind_display()} {self.body[:20]}"


class SuppressedReason:
    """Why a delivery was suppressed (`Delivery.suppressed_reason`)."""

    NO_CONSENT = "no_consent"
    OPTED_OUT = "opted_out"
    WITHDRAWN_BEFORE_DISPATCH = "withdrawn_before_dispatch"
    QUIET_HOURS_WITHDRAWN = "quiet_hours_withdrawn"
    RECIPIENT_ERASED = "recipient_erased"


class Delivery(models.Model):
    """One campaign to one recipient on one channel (발송)."""

    class Status(models.TextChoices):
        VISIBLE = "visible", _("도착(앱)")
        HELD = "held", _("야간 보류")
        QUEUED = "queued", _("발송 대기")
        SENDING = "sending", _("발송 중")
        SENT = "sent", _("발송 완료")
        FAILED = "failed", _("실패")
        SUPPRESSED = "suppressed", _("발송 안 함")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="deliveries",
    )
    channel = models.CharField(_("채널"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("받는 곳"), max_length=254, blank=True)
    status = models.CharField(_("상태"), max_length=12, choices=Status.choices)
    price = models.PositiveIntegerField(_("단가(원)"), default=0)
    release_at = models.DateTimeField(_("보낼 수 있는 때"), db_index=True)
    opt_out_token = models.CharField(max_length=32, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    suppressed_reason = models.CharField(max_length=30, blank=True)
    refunded = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    # The provider's delivery report (polled for SMS/LMS): "delivered", "failed" or "";
    # db_default: the fan-out inserts rows in SQL (audience.py) without these columns.
    report_status = models.CharField(_("전달 결과"), max_length=10, blank=True, db_default="")
    report_code = models.CharField(_("전달 결과 코드"), max_length=20, blank=True, db_default="")
    reported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("발송")
        verbose_name_plural = _("발송")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer", "channel"], name="%(app_label)s_%(class)s_once"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "channel", "status"], name="messaging_inbox"),
            models.Index(fields=["channel", "status", "release_at"], name="messaging_dispatch"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.customer_id} {self.channel} {self.status}"


class SmsChannelState(models.Model):
    """The SMS provider as dangol last found it, one row (pk 1): paused when the month's
    sending quota ran out (deliveries wait, nothing fails), how far the provider's 080
    block list has been read and up to which withdrawal made in dangol it has been told."""

    paused_at = models.DateTimeField(_("발송 멈춘 때"), null=True, blank=True)
    paused_reason = models.CharField(_("멈춘 까닭"), max_length=300, blank=True)
    opt_outs_read_until = models.DateTimeField(
        _("080 수신거부 목록 읽은 때"), null=True, blank=True
    )
    opt_outs_pushed_until = models.DateTimeField(
        _("080 수신거부 목록에 보낸 철회의 때"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("문자 발송 상태")
        verbose_name_plural = _("문자 발송 상태")

    def __str__(self) -> str:
        return str(_("멈춤")) if self.paused_at else str(_("보내는 중"))
