"""Writes on follows, ad consent, tags and imported customer lists.

Following and consent are separate: following never requires consent (개인정보보호법
§22 ⑤: marketing consent is optional), and a consent to ads is granted, withdrawn and
reconfirmed on its own record, with an append-only history (ConsentEvent) as evidence.
"""

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, connections, models, router, transaction
from django.utils.translation import gettext_lazy as _

from dangol.accounts.models import User
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core import clock
from dangol.core.clock import KST
from dangol.core.csvfile import (
    UTF8_OR_CP949,
    CsvFileTooLarge,
    CsvFileWrongEncoding,
    csv_dict_reader,
    csv_text,
)
from dangol.core.errors import NotFound, ValidationError
from dangol.core.phone import InvalidPhone, mobile_normalize, phone_display
from dangol.notices.models import Notice
from dangol.notices.services import notice_send
from dangol.places.models import Market, Store
from dangol.regulars import consent_texts, selectors
from dangol.regulars.errors import (
    ConsentBeforeSender,
    ConsentInFuture,
    ConsentSuperseded,
    ImportFileInvalid,
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


def _text(version: str) -> consent_texts.ConsentText:
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
    shown = _text(text_version)
    consent = _consent_get_or_create(customer=customer, store=store, market=market)
    if consent.ad_active:
        return consent
    event = _consent_grant_apply(consent=consent, at=at, method=method, shown=shown,
                                 evidence=evidence)
    consent.save(update_fields=[*_GRANT_FIELDS, "updated_at"])
    event.save()
    return consent


_GRANT_FIELDS = (
    "ad_granted_at", "ad_withdrawn_at", "night_withdrawn_at", "method", "text_version", "text",
    "confirmed_at",
)


def _consent_grant_apply(
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
    shown = _text(text_version)
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
    method: str = Consent.Method.WEB,
) -> Consent | None:
    """Withdraw `customer`'s ad opt-in (and with it the night opt-in) at this instant.

    Takes effect at once: an ad at or after this instant is not allowed. Return the
    consent, or None if there never was one. Withdrawing twice changes nothing.
    """
    _one_sender(store, market)
    consent = _consent_for(customer=customer, store=store, market=market, lock=True)
    if consent is None or not consent.ad_active:
        return consent
    now = clock.now()
    if consent.night_active:
        consent.night_withdrawn_at = now
        _event(consent=consent, kind=ConsentEvent.Kind.NIGHT_WITHDRAWN, at=now, method=method)
    consent.ad_withdrawn_at = now
    consent.save(update_fields=["ad_withdrawn_at", "night_withdrawn_at", "updated_at"])
    _event(consent=consent, kind=ConsentEvent.Kind.WITHDRAWN, at=now, method=method)
    return consent


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


# --- customer list import -------------------------------------------------------------------

IMPORT_REQUIRED_COLUMNS = ("이름", "휴대전화")
IMPORT_CONSENT_AT = "동의일시"
IMPORT_CONSENT_METHOD = "동의방법"
IMPORT_MAX_BYTES = 2 * 1024 * 1024
# Rows written per transaction, and per INSERT (inside SQLite's and PostgreSQL's limits on
# bound parameters: a Follow row has 5, a Consent row 13).
IMPORT_CHUNK_ROWS = 2_000
IMPORT_BATCH_SIZE = 500
IMPORT_CHUNK_ATTEMPTS = 3
_CONSENT_AT_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y.%m.%d %H:%M", "%Y.%m.%d",
    "%Y. %m. %d.", "%Y/%m/%d %H:%M", "%Y/%m/%d",
)


@dataclass
class ImportRowError:
    line: int
    reason: str


@dataclass
class ImportResult:
    """What a customer-list import did: counts and the rows it skipped, by line number."""

    followed: int = 0
    already_following: int = 0
    with_consent: int = 0
    without_consent: int = 0
    errors: list[ImportRowError] = field(default_factory=list)
    warnings: list[ImportRowError] = field(default_factory=list)


@dataclass
class _ImportRow:
    line: int
    name: str
    phone: str
    consent_at: dt.datetime | None
    consent_method: str


def _parse_consent_at(value: str) -> dt.datetime:
    text = value.strip()
    for fmt in _CONSENT_AT_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=KST)
        except ValueError:
            continue
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(_("동의일시를 읽을 수 없습니다: %(value)s"), value=text) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=KST)


def _import_rows(
    data: bytes, *, store: Store
) -> tuple[list[_ImportRow], list[ImportRowError]]:
    """Parse the whole file; raise ImportFileInvalid if the file itself is unusable."""
    try:
        text = csv_text(data, encodings=UTF8_OR_CP949, max_bytes=IMPORT_MAX_BYTES)
    except CsvFileTooLarge as error:
        raise ImportFileInvalid(reason=_("파일이 2MB보다 큽니다.")) from error
    except CsvFileWrongEncoding as error:
        reason = _("UTF-8이나 CP949(EUC-KR) 인코딩이 아닙니다.")
        raise ImportFileInvalid(reason=reason) from error
    reader = csv_dict_reader(text)
    header = list(reader.fieldnames or [])
    missing = [column for column in IMPORT_REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ImportFileInvalid(
            reason=_("필수 열이 없습니다: %(columns)s (필요한 열: 이름, 휴대전화)")
            % {"columns": ", ".join(missing)}
        )
    rows: list[_ImportRow] = []
    errors: list[ImportRowError] = []
    seen: set[str] = set()
    now = clock.now()
    for record in reader:
        line = reader.line_num
        values = {key: (value or "").strip() for key, value in record.items() if key}
        if not any(values.values()):
            continue
        try:
            phone = mobile_normalize(values.get("휴대전화", ""))
        except InvalidPhone as exc:
            errors.append(ImportRowError(line=line, reason=exc.message))
            continue
        if phone in seen:
            errors.append(ImportRowError(line=line, reason=str(_("앞줄과 같은 번호입니다."))))
            continue
        consent_at = None
        if values.get(IMPORT_CONSENT_AT):
            try:
                consent_at = _parse_consent_at(values[IMPORT_CONSENT_AT])
            except ValidationError as exc:
                errors.append(ImportRowError(line=line, reason=exc.message))
                continue
            try:
                consent_date_check(granted_at=consent_at, store=store, now=now)
            except ValidationError as exc:
                errors.append(ImportRowError(line=line, reason=exc.message))
                continue
        seen.add(phone)
        rows.append(_ImportRow(
            line=line, name=values.get("이름", "")[:60], phone=phone, consent_at=consent_at,
            consent_method=values.get(IMPORT_CONSENT_METHOD, "")[:100],
        ))
    return rows, errors


def regulars_import(
    *, store: Store, data: bytes, progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a store's existing customer list (a paper notebook typed into a CSV).

    Columns: 이름, 휴대전화 (required), 동의일시 and 동의방법 (optional, the evidence of a
    paper ad consent). Encoding UTF-8 (with or without BOM) or CP949.

    Each valid row gets or creates the customer by phone (unverified: they prove the number
    when they first sign in with a code, and find the follow there) and a Follow with
    source "import". A row with 동의일시 also gets the ad consent, dated then, with method
    "paper"; a row without it becomes a contact who cannot receive ads.

    A bad file (wrong encoding, missing columns, too large) raises ImportFileInvalid and
    writes nothing. Bad rows (an invalid number, an unreadable date) are skipped and
    reported by line number. The valid rows are written set-based, IMPORT_CHUNK_ROWS at a
    time, each chunk in its own short transaction, so other writers wait at most one chunk;
    `progress(done, total)` is called after each chunk commits.
    """
    rows, errors = _import_rows(data, store=store)
    result = ImportResult(errors=errors)
    for start in range(0, len(rows), IMPORT_CHUNK_ROWS):
        chunk = rows[start:start + IMPORT_CHUNK_ROWS]
        part = _import_chunk_retrying(store=store, rows=chunk)
        result.followed += part.followed
        result.already_following += part.already_following
        result.with_consent += part.with_consent
        result.without_consent += part.without_consent
        result.warnings += part.warnings
        if progress is not None:
            progress(start + len(chunk), len(rows))
    return result


def _import_chunk_retrying(*, store: Store, rows: list[_ImportRow]) -> ImportResult:
    """Write one chunk; run it again if a concurrent sign-up, follow or consent of one of its
    customers collided with it (the chunk re-reads what exists and skips it)."""
    for attempt in range(IMPORT_CHUNK_ATTEMPTS):
        try:
            with transaction.atomic():
                return _import_chunk(store=store, rows=rows)
        except IntegrityError:
            if attempt == IMPORT_CHUNK_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _insert_many(template: models.Model, rows: list[dict[str, Any]]) -> None:
    """Insert one row per dict: the `template`'s values (defaults and auto_now applied, as
    save() would) with the dict's fields replaced, in one executemany statement.

    For the import's plain rows (strings and ids), where bulk_create's per-value work was
    most of a large import's time. No signals, no pk returned.
    """
    connection = connections[router.db_for_write(type(template))]
    fields = [column for column in template._meta.concrete_fields if not column.primary_key]
    prepared = {
        column.attname: column.get_db_prep_save(column.pre_save(template, add=True), connection)
        for column in fields
    }
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 -- names from the model
        quote(template._meta.db_table),
        ", ".join(quote(str(column.column)) for column in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [
            [row.get(column.attname, prepared[column.attname]) for column in fields]
            for row in rows
        ])


def _import_chunk(*, store: Store, rows: list[_ImportRow]) -> ImportResult:
    """Write the customers, follows and consents of `rows` in a few bulk statements.

    Must run inside a transaction. Existing consents of the chunk's customers are locked in
    primary-key order and go through the same grant rule as consent_grant.
    """
    result = ImportResult()
    phones = [row.phone for row in rows]
    user_ids = dict(User.objects.filter(phone__in=phones).values_list("phone", "pk"))
    new_users = [
        {"phone": row.phone, "name": row.name,
         # What set_unusable_password() writes, from one secure draw instead of forty.
         "password": UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)}
        for row in rows if row.phone not in user_ids
    ]
    if new_users:
        _insert_many(User(phone="", name="", password=""), new_users)
        user_ids.update(
            User.objects.filter(phone__in=[user["phone"] for user in new_users])
            .values_list("phone", "pk")
        )
    following = set(
        Follow.objects.filter(store=store, customer_id__in=user_ids.values())
        .values_list("customer_id", flat=True)
    )
    now = clock.now()
    new_follows = []
    for row in rows:
        if user_ids[row.phone] in following:
            result.already_following += 1
        else:
            new_follows.append({"customer_id": user_ids[row.phone]})
    if new_follows:
        _insert_many(
            Follow(customer_id=0, store=store, source=Follow.Source.IMPORT, created_at=now),
            new_follows,
        )
    result.followed = len(new_follows)

    evidenced = [row for row in rows if row.consent_at is not None]
    result.without_consent = len(rows) - len(evidenced)
    existing = {
        consent.customer_id: consent
        for consent in Consent.objects.select_for_update().filter(
            store=store, customer_id__in=[user_ids[row.phone] for row in evidenced]
        ).order_by("pk")
    }
    shown = _text(consent_texts.IMPORTED.version)
    created: list[Consent] = []
    changed: list[Consent] = []
    events: list[ConsentEvent] = []
    for row in evidenced:
        assert row.consent_at is not None  # noqa: S101 (evidenced)
        consent = existing.get(user_ids[row.phone])
        if consent is not None and consent.ad_active:
            result.with_consent += 1
            continue
        fresh = consent is None
        if consent is None:
            consent = Consent(customer_id=user_ids[row.phone], store=store)
        evidence = str(_("동의방법: %(method)s") % {"method": row.consent_method or _("서면")})
        try:
            event = _consent_grant_apply(
                consent=consent, at=row.consent_at, method=Consent.Method.PAPER, shown=shown,
                evidence=evidence,
            )
        except ConsentSuperseded as exc:
            result.warnings.append(ImportRowError(line=row.line, reason=exc.message))
            result.without_consent += 1
            continue
        (created if fresh else changed).append(consent)
        events.append(event)
        result.with_consent += 1
    Consent.objects.bulk_create(created, batch_size=IMPORT_BATCH_SIZE)
    for consent in changed:
        consent.updated_at = now
    Consent.objects.bulk_update(changed, [*_GRANT_FIELDS, "updated_at"],
                                batch_size=IMPORT_BATCH_SIZE)
    for event in events:
        event.consent_id = event.consent.pk
    ConsentEvent.objects.bulk_create(events, batch_size=IMPORT_BATCH_SIZE)
    return result


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
