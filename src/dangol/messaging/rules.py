"""Pure compliance rules of messaging (정보통신망법 §50), free of the database so they can be
tested at every instant and boundary; the set-based SQL of the fan-out and the release task
must agree with them (tests/messaging/test_rules_vs_sql.py checks that it does).

- `release_at`: when a message may reach someone who has no night opt-in.
- `ad_decision` / `info_decision`: send, hold until 08:00 KST, or suppress (with a reason).
- `ad_text` / `info_text` / `closing_sale_body`: the exact text a recipient sees.
- `sms_bytes` / `sms_kind` / `sms_text`: SMS or LMS by the carriers' byte count.
- `dedupe_key` / `audience_copies`: one copy per campaign, customer and channel.

Reconfirmation (§50 ⑧, 시행령 §62-3): the sender must tell each consenting recipient every two
years that the consent stands. The consent does not lapse when the notice is due or late —
silence keeps it — so a consent "due for reconfirmation" still lets ads through; the notice is
the regulars app's periodic job (`consents_reconfirm_due`), not a condition of sending.
"""

import datetime as dt
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dangol.core.clock import KST
from dangol.core.korean import format_date
from dangol.core.money import format_won
from dangol.core.phone import phone_display
from dangol.core.sms import sms_byte_count, sms_safe_text
from dangol.messaging.errors import AdSenderIncomplete, InfoTemplateUnknown, SmsTooLong
from dangol.regulars.rules import (
    NIGHT_END_HOUR,
    ConsentState,
    OptIn,
    consent_allows_ad,
    is_night_kst,
    opt_in_stands,
    opt_in_withdrawn,
)

__all__ = [
    "AD_PREFIX",
    "INFO_TEMPLATES",
    "LMS_MAX_BYTES",
    "OPT_OUT_080_LABEL",
    "OPT_OUT_LABEL",
    "SMS_MAX_BYTES",
    "ConsentState",
    "Decision",
    "FollowRow",
    "Outcome",
    "Reason",
    "Sender",
    "ad_body",
    "ad_decision",
    "ad_text",
    "audience_copies",
    "closing_sale_body",
    "dedupe_key",
    "follow_reaches",
    "info_decision",
    "info_text",
    "info_title",
    "release_at",
    "sms_bytes",
    "sms_kind",
    "sms_text",
]

# --- quiet hours --------------------------------------------------------------------------


def release_at(at: dt.datetime) -> dt.datetime:
    """Return the first instant from `at` on at which an ad may reach a recipient without
    the night opt-in: `at` itself between 08:00 and 21:00 KST (08:00 included, 21:00 not),
    else the next 08:00 KST (21:00 → 08:00 the next day; 07:59 → 08:00 the same day).

    A night-time result is an aware datetime in KST; a daytime `at` is returned unchanged.
    """
    if at.tzinfo is None:
        raise ValueError("release_at() needs an aware datetime")
    if not is_night_kst(at):
        return at
    local = at.astimezone(KST)
    day = local.date()
    if local.hour >= NIGHT_END_HOUR:  # 21:00–23:59: tomorrow morning
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(NIGHT_END_HOUR), tzinfo=KST)


# --- decisions ----------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    SEND = "send"
    HOLD = "hold"
    SUPPRESS = "suppress"


class Reason(enum.StrEnum):
    """Why an ad is not sent now. The values are stable (statistics, Delivery rows)."""

    NO_CONSENT = "no_consent"  # never opted in to this sender (or only after `at`)
    WITHDRAWN = "withdrawn"  # opted in once, withdrawn at or before `at`
    NIGHT_NO_CONSENT = "night_no_consent"  # night, no night opt-in: held until 08:00 KST
    OPTED_OUT = "opted_out"  # tapped this delivery's 수신 거부 link at or before `at`


@dataclass(frozen=True)
class Decision:
    """What to do with one message to one recipient at one instant.

    `release_at` is when it may reach the recipient: `at` for send, the next 08:00 KST for
    hold, None for suppress. `reason` is None only for send.
    """

    outcome: Outcome
    reason: Reason | None = None
    release_at: dt.datetime | None = None

    @property
    def send(self) -> bool:
        return self.outcome is Outcome.SEND

    @property
    def hold(self) -> bool:
        return self.outcome is Outcome.HOLD

    @property
    def suppress(self) -> bool:
        return self.outcome is Outcome.SUPPRESS


def ad_decision(
    *, consent: ConsentState | None, at: dt.datetime,
    opted_out_at: dt.datetime | None = None, reconfirmation_due: bool = False,
) -> Decision:
    """Decide an ad to one recipient at `at` from the recipient's consent to the sender.

    In this order:
    1. opted out through this delivery's link at or before `at` → suppress (opted_out);
    2. no ad opt-in standing at `at` → suppress: withdrawn if one was granted by then and
       withdrawn at or before `at`, else no_consent (a withdrawal takes effect at its
       instant; a later re-grant clears it);
    3. night (21:00–08:00 KST) without a standing night opt-in → hold until the next 08:00
       KST (night_no_consent) — held, not dropped: the release re-decides at that instant,
       so a withdrawal in between suppresses it;
    4. else send.

    `reconfirmation_due` (the 2-year notice is due or late) changes nothing: by law silence
    keeps the consent, so the ad still goes out (see the module docstring).
    """
    del reconfirmation_due  # deliberately no effect: silence keeps consent (§50 ⑧)
    if opted_out_at is not None and opted_out_at <= at:
        return Decision(Outcome.SUPPRESS, Reason.OPTED_OUT)
    if consent is not None and opt_in_withdrawn(consent, OptIn.AD, at):
        return Decision(Outcome.SUPPRESS, Reason.WITHDRAWN)
    if consent is None or not opt_in_stands(consent, OptIn.AD, at):
        return Decision(Outcome.SUPPRESS, Reason.NO_CONSENT)
    if not consent_allows_ad(consent, at):  # ad opt-in stands: it is night without night opt-in
        return Decision(Outcome.HOLD, Reason.NIGHT_NO_CONSENT, release_at(at))
    return Decision(Outcome.SEND, None, at)


INFO_TEMPLATES = ("voucher_received", "expiry", "settlement_paid", "consent_reconfirmation")


def info_decision(*, template: str, at: dt.datetime) -> Decision:
    """Decide an informational message (not an ad): always send at `at`, night included,
    without ad consent. Raise InfoTemplateUnknown unless `template` is one of the four fixed
    informational templates — free text is never informational."""
    if template not in INFO_TEMPLATES:
        raise InfoTemplateUnknown(template=template or "-")
    return Decision(Outcome.SEND, None, at)


# --- texts --------------------------------------------------------------------------------

# The legal markers are fixed Korean wording (시행령 §61 ②, 별표 6), not translated.
AD_PREFIX = "(광고)"
OPT_OUT_LABEL = "무료 수신거부"
# An ad by SMS/LMS ends with the free 080 number (NHN's ad routes refuse it otherwise, -6003).
OPT_OUT_080_LABEL = "무료수신거부"
CONTACT_LABEL = "연락처"


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


# A label the merchant typed: 광고 with brackets of any width and style, spaces anywhere.
_OPEN = "(\\[【<〔〈《（［＜「『"
_CLOSE = ")\\]】>〕〉》）］＞」』"
_WORD = r"광[^\S\n]*고"
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"))
# Anywhere: both brackets ("(광고)", "[광 고]", "（광고）").
_LABEL = re.compile(rf"[^\S\n]*[{_OPEN}][^\S\n]*{_WORD}[^\S\n]*[{_CLOSE}][^\S\n]*")
# At the start: one bracket is enough ("광고)", "(광고" before a space or the end).
_LEADING = re.compile(
    rf"\s*(?:[{_OPEN}]\s*{_WORD}(?=[\s{_OPEN}]|$)|{_WORD}\s*[{_CLOSE}])\s*"
)
# At the end: an opening bracket is enough ("… (광고").
_TRAILING = re.compile(rf"\s*[{_OPEN}]\s*{_WORD}\s*$")


def _label_dropped_once(text: str) -> str:
    lines = [
        _LABEL.sub(" ", line).strip() if _LABEL.search(line) else line
        for line in text.split("\n")
    ]
    text = "\n".join(lines)
    text = _LEADING.sub("", text, count=1) if _LEADING.match(text) else text
    return _TRAILING.sub("", text)


def ad_body(body: str) -> str:
    """Return the body of an ad with every ad label the merchant typed removed, so that the
    one correct "(광고)" that `ad_text` adds is the only one: a bracketed label anywhere
    ("[광고]", "(광 고)", "（광고）", "【광고】"), a half-bracketed one at the start ("광고)",
    "(광고 ") or at the end ("… (광고"). The word 광고 in a sentence ("광고 문의", "신문
    광고(오늘자)") stays. Line ends become "\\n", invisible characters go, and the result is
    stripped; applying it again changes nothing.
    """
    text = _clean(body.translate(_INVISIBLE))
    while True:
        dropped = _clean(_label_dropped_once(text))
        if dropped == text:
            return text
        text = dropped


def ad_text(
    *, body: str, sender_name: str, sender_contact: str, opt_out_url: str,
    opt_out_080: str = "",
) -> str:
    """Return the exact text of an ad as the recipient sees it:

        (광고) 바다수산
        <body>
        연락처: 051-544-1234
        무료 수신거부: https://…/o/<token>/

    or, by SMS/LMS with the operator's free 080 number (`opt_out_080`), ending with the line
    "무료수신거부 080-123-4567" instead of the web link (the provider's 080 service records
    the call on its block list).

    The marker, sender, contact and opt-out line are added here, never typed: a label the
    merchant typed ("(광고)", "[광고]", "(광 고)", "광고)" …) is dropped (`ad_body`), not
    doubled. A contact in E.164
    form ('+82515441234') is shown in the national form. Raise AdSenderIncomplete if the
    sender's name, contact or the opt-out URL is blank (the law requires all three).
    """
    name, contact, url = sender_name.strip(), sender_contact.strip(), opt_out_url.strip()
    if opt_out_080.strip():
        url = "080"
    if not name or not contact or not url:
        raise AdSenderIncomplete()
    if contact.startswith("+"):
        contact = phone_display(contact)
    text = ad_body(body)
    lines = [f"{AD_PREFIX} {name}"]
    if text:
        lines.append(text)
    lines.append(f"{CONTACT_LABEL}: {contact}")
    if opt_out_080.strip():
        lines.append(f"{OPT_OUT_080_LABEL} {phone_display(opt_out_080.strip())}")
    else:
        lines.append(f"{OPT_OUT_LABEL}: {url}")
    return "\n".join(lines)


def _kst_day(value: dt.date | dt.datetime) -> str:
    return format_date(value, weekday=False)


def _won(value: int | str) -> str:
    return format_won(value) if isinstance(value, int) else str(value)


# Required values per template; `message`/`night` are optional.
_INFO_FIELDS: dict[str, tuple[str, ...]] = {
    "voucher_received": ("product", "balance"),
    "expiry": ("product", "balance", "date"),
    "settlement_paid": ("store", "amount", "date"),
    "consent_reconfirmation": ("sender", "date"),
}


def info_title(template: str) -> str:
    """Return the title of an informational template in the active language."""
    titles = {
        "voucher_received": _("상품권이 도착했습니다"),
        "expiry": _("상품권 유효기간이 곧 끝납니다"),
        "settlement_paid": _("정산금이 지급되었습니다"),
        "consent_reconfirmation": _("광고성 정보 수신 동의 확인 안내"),
    }
    if template not in titles:
        raise InfoTemplateUnknown(template=template or "-")
    return str(titles[template])


def info_text(template: str, **values: Any) -> str:
    """Return the body of an informational message (not an ad: no "(광고)", no opt-out
    line) from one of the four fixed templates, in the active language (Korean first):

    - voucher_received: product, balance (won), [message] (the giver's note)
    - expiry: product, balance (won), date (the last valid day)
    - settlement_paid: store, amount (won), date (the pay-out day)
    - consent_reconfirmation: sender, date (the opt-in day), [night] (bool)

    Money given as int is shown as '₩12,000', dates as '2026. 11. 21.'. Raise
    InfoTemplateUnknown for another template and KeyError for a missing value.
    """
    if template not in _INFO_FIELDS:
        raise InfoTemplateUnknown(template=template or "-")
    missing = [name for name in _INFO_FIELDS[template] if name not in values]
    if missing:
        raise KeyError(", ".join(missing))
    v = values
    if template == "voucher_received":
        text = gettext("%(product)s (잔액 %(balance)s)을 선물 받았습니다.") % {
            "product": v["product"], "balance": _won(v["balance"]),
        }
        if v.get("message"):
            text += "\n" + gettext("보낸 분의 메시지: %(message)s") % {
                "message": str(v["message"])[:200],
            }
        return text
    if template == "expiry":
        return gettext(
            "%(product)s 잔액 %(balance)s의 유효기간이 %(date)s에 끝납니다."
            " 기간 연장(3개월)이나 환불을 신청할 수 있습니다."
        ) % {
            "product": v["product"], "balance": _won(v["balance"]),
            "date": _kst_day(v["date"]),
        }
    if template == "settlement_paid":
        return gettext("%(store)s의 정산금 %(amount)s을 %(date)s에 지급했습니다.") % {
            "store": v["store"], "amount": _won(v["amount"]),
            "date": _kst_day(v["date"]),
        }
    return gettext(
        "%(sender)s의 광고성 정보 수신에 %(date)s에 동의하셨습니다. 동의는 그대로 "
        "유지되며, 원하지 않으시면 '내 수신 동의' 화면에서 언제든 철회할 수 있습니다. "
        "야간(21시~8시) 수신 동의: %(night)s."
    ) % {
        "sender": v["sender"], "date": _kst_day(v["date"]),
        "night": gettext("예") if v.get("night") else gettext("아니요"),
    }


def closing_sale_body(*, item: str, price: int, until: dt.time | dt.datetime) -> str:
    """Return the body of the one-tap "마감 세일" ad: item, price in won ('₩12,000') and
    until when today ('19:00'; an aware datetime is read in KST). `ad_text` then adds the
    marker, sender, contact and opt-out line."""
    if isinstance(until, dt.datetime):
        if until.tzinfo is None:
            raise ValueError("closing_sale_body() needs an aware datetime")
        until = until.astimezone(KST).time()
    return gettext("[마감 세일] %(item)s %(price)s, 오늘 %(until)s까지!") % {
        "item": item.strip(), "price": format_won(price), "until": f"{until:%H:%M}",
    }


# --- SMS or LMS ---------------------------------------------------------------------------

# Korean carriers and bulk-SMS providers count a short message in bytes with Hangul as 2 bytes
# (EUC-KR/CP949) and ASCII as 1: SMS up to 90 bytes (한글 45자), LMS up to 2,000 bytes
# (한글 1,000자). Sources: 전자신문 2011-10-17 "KT, SMS 전송용량 90바이트→140바이트" (the
# carriers' terms: KT SMS 90 bytes = 한글 45자, others 80), and the bulk providers' documented
# limits (e.g. CoolSMS: "90바이트 이하는 SMS, 90바이트 초과~2000바이트까지는 LMS"; Popbill
# SendLMS: "최대 2,000byte의 장문(LMS)"). Bulk providers all use 90 for SMS.
SMS_MAX_BYTES = 90
LMS_MAX_BYTES = 2000

def sms_text(text: str) -> str:
    """Return `text` as it goes out by SMS/LMS: the SMS channel's one function
    (dangol.core.sms.sms_safe_text: "₩12,000" → "12,000원", other characters outside CP949
    as '?'), so that what the composer counts is what is sent."""
    return sms_safe_text(text)


def sms_bytes(text: str) -> int:
    """Return the byte length of `text` as carriers count it: CP949 (the superset of EUC-KR
    that gives every one of the 11,172 Hangul syllables 2 bytes; Python's strict euc_kr
    spends 8 bytes on a syllable outside KS X 1001 such as '똠'), after `sms_text`."""
    return sms_byte_count(text)


def sms_kind(text: str) -> str:
    """Return "sms" if `text` fits a short message (≤ 90 bytes), "lms" up to 2,000 bytes;
    raise SmsTooLong beyond that (with the byte count)."""
    size = sms_bytes(text)
    if size <= SMS_MAX_BYTES:
        return "sms"
    if size <= LMS_MAX_BYTES:
        return "lms"
    raise SmsTooLong(bytes=f"{size:,}", limit=f"{LMS_MAX_BYTES:,}")


# --- one copy per campaign ----------------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    """The sender of a campaign: a store or a market channel (exactly one)."""

    store_id: int | None = None
    market_id: int | None = None

    def __post_init__(self) -> None:
        if (self.store_id is None) == (self.market_id is None):
            raise ValueError("a sender is exactly one of a store or a market")


@dataclass(frozen=True)
class FollowRow:
    """One Follow row (a customer following a store, or a market's channel) with its tags,
    as the fan-out's join sees it (the same row may come more than once from a join)."""

    customer_id: int
    store_id: int | None = None
    market_id: int | None = None
    tag_ids: frozenset[int] = frozenset()


def follow_reaches(
    sender: Sender, follow: FollowRow, *, audience: str = "all", tag_id: int | None = None
) -> bool:
    """Return whether `follow` puts its customer in the audience of `sender`'s campaign:
    all → a follow of the sending store (or of the sending market's channel); tag → a follow
    of the sending store carrying `tag_id`; market → a follow of the sending market's channel.
    A follow of another store or market — even a store inside the sending market — does not
    reach (consent is per sender; the market audience is the channel's own followers)."""
    if audience == "tag":
        return (
            sender.store_id is not None and follow.store_id == sender.store_id
            and tag_id is not None and tag_id in follow.tag_ids
        )
    if audience == "market":
        return sender.market_id is not None and follow.market_id == sender.market_id
    if audience == "all":
        if sender.store_id is not None:
            return follow.store_id == sender.store_id
        return follow.market_id == sender.market_id
    raise ValueError(f"unknown audience {audience!r}")


def dedupe_key(*, campaign_id: int, customer_id: int, channel: str) -> tuple[int, int, str]:
    """Return the identity of one copy of a campaign: (campaign, customer, channel) — the
    Delivery table's unique constraint. However many follow rows bring a customer in (a
    store and its market channel, a repeated join row), they make one copy per channel."""
    return (campaign_id, customer_id, channel)


def audience_copies(
    *, campaign_id: int, sender: Sender, follows: Iterable[FollowRow], channels: Iterable[str],
    audience: str = "all", tag_id: int | None = None,
) -> set[tuple[int, int, str]]:
    """Return the copies a campaign makes before consent is judged: one `dedupe_key` per
    customer reached by any of `follows` and per channel."""
    chosen = list(dict.fromkeys(channels))
    customers = {
        follow.customer_id for follow in follows
        if follow_reaches(sender, follow, audience=audience, tag_id=tag_id)
    }
    return {
        dedupe_key(campaign_id=campaign_id, customer_id=customer, channel=channel)
        for customer in customers for channel in chosen
    }
