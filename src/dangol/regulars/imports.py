"""The store's existing customer list imported from a CSV (a paper notebook typed in):
parsed whole first, then written set-based in short transactions of a few thousand rows."""

import csv
import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, connections, models, router, transaction
from django.utils.translation import gettext_lazy as _

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.clock import KST
from dangol.core.csvfile import (
    UTF8_OR_CP949,
    CsvFileTooLarge,
    CsvFileWrongEncoding,
    csv_dict_reader,
    csv_text,
)
from dangol.core.errors import ValidationError
from dangol.core.phone import InvalidPhone, mobile_normalize
from dangol.places.models import Store
from dangol.regulars import consent_texts
from dangol.regulars.errors import (
    ConsentSuperseded,
    ImportFileInvalid,
)
from dangol.regulars.models import Consent, ConsentEvent, Follow
from dangol.regulars.services import (
    GRANT_FIELDS,
    consent_date_check,
    consent_grant_apply,
    consent_text,
)

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


@dataclass(frozen=True)
class ImportRow:
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


def regulars_import_file_check(data: bytes) -> "csv.DictReader[str]":
    """Return a reader over the customer list `data` positioned after its header.

    Raise ImportFileInvalid if the file itself is unusable: larger than 2 MB, neither UTF-8
    nor CP949, or without the required columns. Reads no row.
    """
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
    return reader


def regulars_import_rows(
    data: bytes, *, store: Store, now: dt.datetime | None = None
) -> tuple[list[ImportRow], list[ImportRowError]]:
    """Parse the whole file into its valid rows and the rejected ones, by line; a consent
    dated after `now` (default now) is rejected. Raise ImportFileInvalid if the file itself
    is unusable. The same file and `now` give the same rows in the same order."""
    reader = regulars_import_file_check(data)
    rows: list[ImportRow] = []
    errors: list[ImportRowError] = []
    seen: set[str] = set()
    now = now or clock.now()
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
        rows.append(ImportRow(
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
    rows, errors = regulars_import_rows(data, store=store)
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


def _import_chunk_retrying(*, store: Store, rows: list[ImportRow]) -> ImportResult:
    """Write one chunk; run it again if a concurrent sign-up, follow or consent of one of its
    customers collided with it (the chunk re-reads what exists and skips it)."""
    for attempt in range(IMPORT_CHUNK_ATTEMPTS):
        try:
            with transaction.atomic():
                return regulars_import_chunk(store=store, rows=rows)
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


def regulars_import_chunk(*, store: Store, rows: list[ImportRow]) -> ImportResult:
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
    shown = consent_text(consent_texts.IMPORTED.version)
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
            event = consent_grant_apply(
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
    Consent.objects.bulk_update(changed, [*GRANT_FIELDS, "updated_at"],
                                batch_size=IMPORT_BATCH_SIZE)
    for event in events:
        event.consent_id = event.consent.pk
    ConsentEvent.objects.bulk_create(events, batch_size=IMPORT_BATCH_SIZE)
    return result
