"""Writes on notices."""

from django.db import IntegrityError, transaction

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.phone import mobile_normalize
from dangol.notices import channels
from dangol.notices.errors import NoticeWithoutRecipient
from dangol.notices.models import Notice


@transaction.atomic
def notice_send(
    *, user: User | None = None, phone: str | None = None, kind: str, title: str, body: str,
    idempotency_key: str,
) -> Notice:
    """Record one informational notice to `user` or `phone`; return it.

    A new notice is handed to the senders registered in `dangol.notices.channels` (the
    messaging app's delivery path: in-app inbox copy and SMS) in this transaction.

    A repeat with the same `idempotency_key` returns the first notice and sends nothing.
    Raise NoticeWithoutRecipient if neither `user` nor `phone` is given, InvalidPhone if
    `phone` is not a Korean mobile number.
    """
    existing = Notice.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if user is None and not phone:
        raise NoticeWithoutRecipient()
    number = mobile_normalize(phone) if phone else ""
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                user=user, phone=number, kind=kind, title=title, body=body,
                idempotency_key=idempotency_key, created_at=clock.now(),
            )
    except IntegrityError:
        # A concurrent send with the same key won; its row is the notice.
        return Notice.objects.get(idempotency_key=idempotency_key)
    channels.notice_dispatch(notice)
    return notice


@transaction.atomic
def notices_mark_read(*, user: User) -> int:
    """Mark every unread notice of `user` read; return how many changed."""
    from dangol.notices.selectors import notices_for

    unread = notices_for(user=user).filter(read_at__isnull=True)
    channels.notices_read(user, unread)  # while they are still unread: the inbox copies
    return Notice.objects.filter(pk__in=unread.values("pk")).update(read_at=clock.now())


@transaction.atomic
def notices_recipient_erase(*, user: User, phone: str | None) -> int:
    """Erase the notices to `user` (an account being erased) or to their number `phone`
    (sent before they signed up); return how many were deleted.

    Consent reconfirmation notices are kept as the proof that the notice of 정보통신망법
    §50 ⑧ was sent (the consent history points at them), tied to the pseudonymised user
    with the number blanked; every other notice is deleted.
    """
    addressed = Notice.objects.filter(user=user)
    if phone:
        addressed = addressed | Notice.objects.filter(user__isnull=True, phone=phone)
    kept = addressed.filter(kind=Notice.Kind.CONSENT_RECONFIRMATION)
    Notice.objects.filter(pk__in=list(kept.values_list("pk", flat=True))).update(
        user=user, phone=""
    )
    deleted, _ = addressed.exclude(kind=Notice.Kind.CONSENT_RECONFIRMATION).delete()
    return deleted
