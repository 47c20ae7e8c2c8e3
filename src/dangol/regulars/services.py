"""Writes on follows, ad consent, tags and imported customer lists.

Following and consent are separate: following never requires consent (개인정보보호법
§22 ⑤: marketing consent is optional), and a consent to ads is granted, withdrawn and
reconfirmed on its own record, with an append-only history (ConsentEvent) as evidence.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from dangol.accounts.models import User
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core import clock
from dangol.core.clock import KST
from dangol.core.errors import NotFound
from dangol.core.phone import phone_display
from dangol.notices.models import Notice
from dangol.notices.services import notice_send
from dangol.places.models import Market, Store
from dangol.regulars import consent_texts, selectors
from dangol.regulars.errors import (
    ConsentBeforeSender,
    ConsentInFuture,
    ConsentSuperseded,
    NightNeedsAdConsent,
    TagInvalid,
    TagNotOfStore,
    UnknownConsentText,
)
from dangol.regulars.models import Consent, ConsentEvent, Follow, Tag
from dangol.regulars.rules import OptIn, opt_in_stands_q, reconfirmation_cutoff


def _one_sender(store: Store | None, market: Market | None) -> None:
    if (store is None) == (market is None):
        raise ValueError("name exactly one sender: a store or a market")


# --- follows --------------------------------------------------------------------------------


@transaction.atomic
def follow_create(
    *, customer: User, store: Store | None = None, market: Market | None = None,
    source: str = Follow.Source.PAGE, at: dt.datetime | None = None,
) -> Follow:
    """Make `customer` a regular of `store` (or of `market`'s channel); return the follow.

    Following twice returns the existing follow: the second tap changes nothing. `at`
    backdates a follow imported from a customer list (default: now).
    """
    _one_sender(store, market)
    existing = Follow.objects.filter(customer=customer, store=store, market=market).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Follow.objects.create(
                customer=customer, store=store, market=market, source=source,
                created_at=at or clock.now(),
            )
    except IntegrityError:
        # A concurrent tap won the race; the unique constraint kept one row.
        return Follow.objects.get(customer=customer, store=store, market=market)


@transaction.atomic
def follow_delete(
    *, customer: User, store: Store | None = None, market: Market | None = None
) -> bool:
    """Stop `customer` following `store` (or `market`); return whether a follow existed.

    A standing ad consent to the same sender is withdrawn at the same instant: the stated
    retention of the consent is "until withdrawn or until you stop being a regular".
    """
    _one_sender(store, market)
    deleted, _ = Follow.objects.filter(customer=customer, store=store, market=market).delete()
    consent_withdraw(customer=customer, store=store, market=market, method=Consent.Method.WEB)
    return deleted > 0


@transaction.atomic
def follows_end_all(*, customer: User) -> int:
    """End every follow of `customer` and withdraw every ad consent still standing (an
    account being erased); return how many follows ended.

    Each goes through `follow_delete` and `consent_withdraw`, so every withdrawal is an
    event of the consent's history like any other, and the history stays as the proof.
    """
    follows = list(Follow.objects.filter(customer=customer).select_related("store", "market"))
    for each in follows:
        follow_delete(customer=customer, store=each.store, market=each.market)
    for consent in Consent.objects.filter(customer=customer).select_related("store", "market"):
        consent_withdraw(customer=customer, store=consent.store, market=consent.market)
    return len(follows)


@transaction.atomic
def follow_join(
    *, customer: User, store: Store | None = None, market: Market | None = None,
    source: str = Follow.Source.PAGE, ad: bool = False, night: bool = False,
    method: str = Consent.Method.WEB,
) -> Follow:
    """Follow a sender and, if the customer ticked them, grant its optional ad consents.

    Raise NightNeedsAdConsent (and write nothing) if `night` is asked without `ad`
    (unless an ad consent already stands).
    """
    _one_sender(store, market)
    if night and not ad:
        current = _consent_for(customer=customer, store=store, market=market)
        if current is None or not current.ad_active:
            raise NightNeedsAdConsent()
    follow = follow_create(customer=customer, store=store, market=market, source=source)
    if ad:
        consent_grant(customer=customer, store=store, market=market, method=method)
    if night:
        consent_night_grant(customer=customer, store=store, market=market, method=method)
    return follow


# --- consent --------------------------------------------------------------------------------


def _consent_for(
    *, customer: User, store: Store | None, market: Market | None, lock: bool = False
) -> Consent | None:
    qs = Consent.objects.filter(customer=customer, store=store, market=market)
    if lock:
        qs = qs.select_for_update()
    return qs.first()


def _consent_get_or_create(
    *, customer: User, store: Store | None, market: Market | None
) -> Consent:
    consent = _consent_for(customer=customer, store=store, market=market, lock=True)
    if consent is not None:
        return consent
    try:
        with transaction.atomic():
            return Consent.objects.create(customer=customer, store=store, market=market)
    except IntegrityError:
        return Consent.objects.select_for_update().get(
            customer=customer, store=store, market=market
        )


def _event(
    *, consent: Consent, kind: str, at: dt.datetime, method: str = "", text_version: str = "",
    text: str = "", notice: Notice | None = None,
) -> ConsentEvent:
    return ConsentEvent.objects.create(
        consent=consent, kind=kind, at=at, method=method, text_version=text_version,
        text=text, notice=notice,
    )


def consent_text(version: str) -> consent_texts.ConsentText:
    try:
        return consent_texts.BY_VERSION[version]
    except KeyError:
        raise UnknownConsentText(version=version) from None


def _stamp(moment: dt.datetime) -> str:
    """Return `moment` as KST minutes, or its own text when KST cannot hold it (year 1)."""
    try:
        return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M")
    except OverflowError:
        return moment.isoformat()


def consent_date_check(
    *, granted_at: dt.datetime, store: Store | None = None, market: Market | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Refuse the date of consent evidence given earlier (a paper notebook, an import).

    Raise ConsentInFuture if `granted_at` lies after `now` (default now), ConsentBeforeSender
    if it lies before the sender — `store` or `market` — joined (its created_at): nobody can
    have consented to a sender that did not exist yet, and dates such as 1900-01-01 or
    0001-01-01T00:00:00+14:00 (which no database can store) are typing errors. The one check
    of such dates: `consent_grant` and the import's rows call it.
    """
    _one_sender(store, market)
    if granted_at > (now or clock.now()):
        raise ConsentInFuture()
    sender = store if store is not None else market
    assert sender is not None  # noqa: S101 (_one_sender)
    if granted_at < sender.created_at:
        raise ConsentBeforeSender(granted=_stamp(granted_at), joined=_stamp(sender.created_at))


@transaction.atomic
def consent_grant(
    *, customer: User, store: Store | None = None, market: Market | None = None,
    method: str = Consent.Method.WEB, text_version: str = consent_texts.AD.version,
    evidence: str = "", granted_at: dt.datetime | None = None,
) -> Consent:
    """Record `customer`'s opt-in to ad messages from `store` or `market`; return the consent.

    The evidence kept is the instant, the method, the version and full text shown (plus
    `evidence`, e.g. how a paper consent was given). `granted_at` dates a consent given
    earlier on paper. Granting while a consent stands changes nothing. Raise
    ConsentSuperseded if `granted_at` precedes the customer's latest withdrawal (an old
    paper consent must not undo a withdrawal), ConsentInFuture if it lies ahead and
    ConsentBeforeSender if it lies before the sender joined (`consent_date_check`).
    """
    _one_sender(store, market)
    now = clock.now()
    at = granted_at or now
    if granted_at is not None:
        consent_date_check(granted_at=granted_at, store=store, market=market, now=now)
    shown = consent_text(text_version)
    consent = _consent_get_or_create(customer=customer, store=store, market=market)
    if consent.ad_active:
        return consent
    event = consent_grant_apply(consent=consent, at=at, method=method, shown=shown,
                                 evidence=evidence)
    consent.save(update_fields=[*GRANT_FIELDS, "updated_at"])
    event.save()
    return consent


GRANT_FIELDS = (
    "ad_granted_at", "ad_withdrawn_at", "night_withdrawn_at", "method", "text_version", "text",
    "confirmed_at",
)


def consent_grant_apply(
    *, consent: Consent, at: dt.datetime, method: str, shown: consent_texts.ConsentText,
    evidence: str,
) -> ConsentEvent:
    """Set the fields of a grant at `at` on `consent` (not standing, not saved) and return
    its GRANTED event, unsaved. Raise ConsentSuperseded if `at` is not after the latest
    withdrawal. The one place that says what a grant writes: consent_grant and the bulk
    import both call it."""
    if consent.ad_withdrawn_at is not None and at <= consent.ad_withdrawn_at:
        raise ConsentSuperseded(granted=at.astimezone(KST).strftime("%Y-%m-%d %H:%M"))
    text = f"{shown.text}\n{evidence}".strip()
    consent.ad_granted_at = at
    consent.ad_withdrawn_at = None
    # A new ad opt-in does not revive an earlier night opt-in: that needs its own tick.
    if consent.night_granted_at is not None and consent.night_withdrawn_at is None:
        consent.night_withdrawn_at = consent.ad_granted_at
    consent.method = method
    consent.text_version = shown.version
    consent.text = text
    consent.confirmed_at = at
    return ConsentEvent(consent=consent, kind=ConsentEvent.Kind.GRANTED, at=at, method=method,
                        text_version=shown.version, text=text)


@transaction.atomic
def consent_night_grant(
    *, customer: User, store: Store | None = None, market: Market | None = None,
    method: str = Consent.Method.WEB, text_version: str = consent_texts.NIGHT.version,
) -> Consent:
    """Record the separate opt-in to ads at night (21:00–08:00 KST); return the consent.

    Raise NightNeedsAdConsent unless an ad opt-in to the same sender stands.
    """
    _one_sender(store, market)
    consent = _consent_for(customer=customer, store=store, market=market, lock=True)
    if consent is None or not consent.ad_active:
        raise NightNeedsAdConsent()
    if consent.night_active:
        return consent
    shown = consent_text(text_version)
    now = clock.now()
    consent.night_granted_at = now
    consent.night_withdrawn_at = None
    consent.save(update_fields=["night_granted_at", "night_withdrawn_at", "updated_at"])
    _event(consent=consent, kind=ConsentEvent.Kind.NIGHT_GRANTED, at=now, method=method,
           text_version=shown.version, text=shown.text)
    return consent


@transaction.atomic
def consent_withdraw(
    *, customer: User, store: Store | None = None, market: Market | None = None,
    method: str = Consent.Method.WEB, at: dt.datetime | None = None,
) -> Consent | None:
    """Withdraw `customer`'s ad opt-in (and with it the night opt-in) at this instant, or at
    `at` when it was made elsewhere earlier (a call to the 080 opt-out number; never later
    than now).

    Takes effect at once: an ad at or after that instant is not allowed. Return the
    consent, or None if there never was one. Withdrawing twice changes nothing.
    """
    _one_sender(store, market)
    consent = _consent_for(customer=customer, store=store, market=market, lock=True)
    if consent is None or not consent.ad_active:
        return consent
    now = clock.now() if at is None else min(at, clock.now())
    if consent.night_active:
        consent.night_withdrawn_at = now
        _event(consent=consent, kind=ConsentEvent.Kind.NIGHT_WITHDRAWN, at=now, method=method)
    consent.ad_withdrawn_at = now
    consent.save(update_fields=["ad_withdrawn_at", "night_withdrawn_at", "updated_at"])
    _event(consent=consent, kind=ConsentEvent.Kind.WITHDRAWN, at=now, method=method)
    return consent


@transaction.atomic
def consents_withdraw_all(
    *, customer: User, method: str, at: dt.datetime | None = None
) -> int:
    """Withdraw every ad opt-in of `customer` still standing, each through
    `consent_withdraw` (a call to the operator's 080 opt-out number names no sender: it
    stops every ad by text); return how many were withdrawn. With `at`, an opt-in given
    after that instant stands: the person said yes again after saying no."""
    withdrawn = 0
    for consent in Consent.objects.filter(customer=customer).select_related("store", "market"):
        given_later = at is not None and consent.ad_granted_at is not None and (
            consent.ad_granted_at > at
        )
        if consent.ad_active and not given_later:
            consent_withdraw(
                customer=customer, store=consent.store, market=consent.market, method=method,
                at=at,
            )
            withdrawn += 1
    return withdrawn


@transaction.atomic
def consent_night_withdraw(
    *, customer: User, store: Store | None = None, market: Market | None = None,
    method: str = Consent.Method.WEB,
) -> Consent | None:
    """Withdraw only the night-time opt-in at this instant; the ad opt-in stays."""
    _one_sender(store, market)
    consent = _consent_for(customer=customer, store=store, market=market, lock=True)
    if consent is None or not consent.night_active:
        return consent
    now = clock.now()
    consent.night_withdrawn_at = now
    consent.save(update_fields=["night_withdrawn_at", "updated_at"])
    _event(consent=consent, kind=ConsentEvent.Kind.NIGHT_WITHDRAWN, at=now, method=method)
    return consent


@transaction.atomic
def consent_withdraw_by_id(*, customer: User, consent_id: int, night_only: bool = False) -> Consent:
    """Withdraw one of `customer`'s consents by id (the one-tap button); return it.

    Raise NotFound if the consent is not the customer's.
    """
    consent = Consent.objects.filter(pk=consent_id, customer=customer).first()
    if consent is None:
        raise NotFound()
    withdraw = consent_night_withdraw if night_only else consent_withdraw
    withdraw(customer=customer, store=consent.store, market=consent.market)
    consent.refresh_from_db()
    return consent


def _sender_name(consent: Consent) -> str:
    return str(consent.store or consent.market)


@transaction.atomic
def consent_reconfirmation_send(*, consent_id: int, today: dt.date) -> Notice | None:
    """Send the 2-year reconfirmation notice of one consent if it is due on `today` (KST);
    return the notice, or None if it is not due (already sent, withdrawn, confirmed later).

    The notice is informational, not an ad; it is recorded in the consent's history and
    restarts the 2-year clock. Silence keeps the consent. Safe to run again: the consent row
    is locked, and the notice's idempotency key names the consent and the day.
    """
    consent = (
        Consent.objects.select_for_update(of=("self",))
        .select_related("customer", "store", "market")
        .filter(pk=consent_id).first()
    )
    if consent is None or not consent.ad_active or consent.confirmed_at is None:
        return None
    if consent.confirmed_at >= reconfirmation_cutoff(today):
        return None
    granted = consent.ad_granted_at
    assert granted is not None  # noqa: S101 (ad_active)
    notice = notice_send(
        user=consent.customer, kind=Notice.Kind.CONSENT_RECONFIRMATION,
        title=str(_("광고성 정보 수신 동의 확인 안내")),
        body=str(_(
            "%(sender)s의 광고성 정보 수신에 %(date)s에 동의하셨습니다. 동의는 그대로 "
            "유지되며, 원하지 않으시면 '내 수신 동의' 화면에서 언제든 철회할 수 있습니다. "
            "야간(21시~8시) 수신 동의: %(night)s."
        ) % {
            "sender": _sender_name(consent),
            "date": granted.astimezone(KST).strftime("%Y-%m-%d"),
            "night": _("예") if consent.night_active else _("아니요"),
        }),
        idempotency_key=f"consent-reconfirm:{consent.pk}:{today.isoformat()}",
    )
    now = clock.now()
    consent.confirmed_at = now
    consent.save(update_fields=["confirmed_at", "updated_at"])
    _event(consent=consent, kind=ConsentEvent.Kind.RECONFIRMATION_SENT, at=now, notice=notice)
    return notice


def consents_reconfirm_due(*, today: dt.date) -> int:
    """Send every reconfirmation notice due on `today` (KST); return how many were sent.

    Each consent is handled in its own transaction, so one failure does not hold back the
    rest and a rerun picks up where it stopped.
    """
    ids = list(
        Consent.objects.filter(
            opt_in_stands_q(OptIn.AD, clock.now()), confirmed_at__lt=reconfirmation_cutoff(today)
        ).order_by("pk").values_list("pk", flat=True)
    )
    sent = 0
    for consent_id in ids:
        if consent_reconfirmation_send(consent_id=consent_id, today=today) is not None:
            sent += 1
    return sent


# --- tags -----------------------------------------------------------------------------------


@transaction.atomic
def tag_create(*, store: Store, name: str) -> Tag:
    """Create the tag `name` for `store` (or return the existing one of that name).

    Raise TagInvalid if the name is empty or longer than 30 characters.
    """
    name = " ".join(name.split())
    if not name or len(name) > 30:
        raise TagInvalid()
    tag, _created = Tag.objects.get_or_create(store=store, name=name)
    return tag


@transaction.atomic
def tag_delete(*, store: Store, tag_id: int) -> None:
    """Delete one of `store`'s tags (its regulars lose the tag)."""
    deleted, _ = Tag.objects.filter(store=store, pk=tag_id).delete()
    if not deleted:
        raise TagNotOfStore()


@transaction.atomic
def follow_tags_set(*, store: Store, follow_id: int, tag_ids: list[int]) -> Follow:
    """Give the regular `follow_id` of `store` exactly the tags `tag_ids`; return the follow.

    Raise NotFound if the follow is not of `store`, TagNotOfStore if a tag is not.
    """
    follow = Follow.objects.filter(pk=follow_id, store=store).first()
    if follow is None:
        raise NotFound()
    tags = list(Tag.objects.filter(store=store, pk__in=tag_ids))
    if len(tags) != len(set(tag_ids)):
        raise TagNotOfStore()
    follow.tags.set(tags)
    return follow


# --- export ---------------------------------------------------------------------------------


@transaction.atomic
def regulars_export(*, store: Store, actor: User) -> list[list[str]]:
    """Return the store's regulars as rows for a CSV, a header first: name, full number,
    the day they joined, ad consent and its time, night consent, tags; and record the
    export of personal data in the audit log as `actor`'s (the caller has checked that
    `actor` may take it: access's `regulars.export`)."""
    rows = [[
        str(_("이름")), str(_("휴대전화")), str(_("단골 맺은 날")), str(_("광고 수신 동의")),
        str(_("광고 수신 동의일시")), str(_("야간 수신 동의")), str(_("태그")),
    ]]
    follows = list(selectors.regulars_of(store=store))
    consents = selectors.regulars_consents(
        store=store, customer_ids=[follow.customer_id for follow in follows]
    )
    yes, no = str(_("예")), str(_("아니요"))
    for follow in follows:
        consent = consents.get(follow.customer_id)
        ad = consent is not None and consent.ad_active
        rows.append([
            follow.customer.name,
            phone_display(follow.customer.phone or ""),
            follow.created_at.astimezone(clock.KST).strftime("%Y-%m-%d"),
            yes if ad else no,
            consent.ad_granted_at.astimezone(clock.KST).strftime("%Y-%m-%d %H:%M")
            if ad and consent is not None and consent.ad_granted_at else "",
            yes if consent is not None and consent.night_active else no,
            ", ".join(tag.name for tag in follow.tags.all()),
        ])
    audit_record(
        action=AuditEntry.Action.PERSONAL_DATA_EXPORT, actor=actor, subject=f"store:{store.pk}",
        details={"export": "regulars", "rows": len(follows)},
    )
    return rows
