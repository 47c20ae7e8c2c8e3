"""Writes of privacy: the download of one's data (recorded) and the erasure of an account
(탈퇴), each app doing its own part through its own service; and the retention run.

What erasure keeps and removes, and why (docs/privacy.md):

- kept, pseudonymised: the user row (its name becomes "탈퇴회원-<HMAC>", number and e-mail
  go), so that the ledger (상법 §33, 10 years), the voucher records (전자상거래법 §6, 5 years),
  redeemed coupons and stamps (the stores' sales records) and the consent history (proof of
  consent and of its withdrawal, 정보통신망법 §50) point at no one identifiable;
- ended: follows, standing ad consents (withdrawn as events), unused coupons (voided), the
  personal counter code, sessions, API tokens, unused one-time codes and the API responses
  stored for idempotency keys;
- blanked or deleted: numbers and e-mail addresses on deliveries, vouchers and gifts; notices
  (reconfirmation notices stay as proof, without the number).

Erasure is refused while a voucher they hold has a balance or a refund is pending (nothing
paid is lost) and while they hold a role (a store, a market, an organisation, the platform).
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils.translation import pgettext_lazy

from dangol.access.checks import holds_any
from dangol.access.policy import Who
from dangol.accounts.models import User
from dangol.accounts.services import api_tokens_purge, user_erase
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core import clock
from dangol.core.idempotency import idempotent_requests_of_user_delete
from dangol.core.outbox import outbox_messages_purge
from dangol.coupons.services import coupons_void_of_customer
from dangol.coupons.stamps import customer_code_delete
from dangol.messaging.deliveries import deliveries_addresses_expire, deliveries_recipient_erase
from dangol.notices.services import notices_recipient_erase
from dangol.privacy import selectors
from dangol.privacy.archive import my_data_zip
from dangol.privacy.errors import AccountHoldsRole, ErasureNotConfirmed
from dangol.regulars.services import follows_end_all
from dangol.vouchers.erasure import voucher_erasure_check, vouchers_holder_erase

logger = logging.getLogger("dangol.privacy")

# What a person types to confirm the erasure of their account.
ERASE_WORD = pgettext_lazy("the word typed to confirm deleting one's account", "탈퇴")
# Any role but a customer's: a member of a store, a market or an organisation, or the admin.
ROLES = frozenset(Who) - {Who.ANONYMOUS, Who.CUSTOMER}


# --- the download -----------------------------------------------------------------------------


@transaction.atomic
def my_data_export(*, user: User, fmt: str = "json") -> dict[str, Any]:
    """Return everything dangol holds about `user` (privacy.selectors.my_data) and record
    the export in the audit log as theirs (`fmt`: "json" for the API, "zip" for the file)."""
    document = selectors.my_data(user=user)
    audit_record(
        action=AuditEntry.Action.PERSONAL_DATA_EXPORT, actor=user, subject=f"user:{user.pk}",
        details={
            "export": "my_data", "format": fmt,
            "rows": sum(len(rows) for rows in document["sections"].values()),
        },
    )
    return document


def my_data_download(*, user: User) -> bytes:
    """Return the .zip of everything dangol holds about `user` (recorded as an export)."""
    return my_data_zip(my_data_export(user=user, fmt="zip"))


# --- erasure ----------------------------------------------------------------------------------


def account_erase_check(*, user: User) -> None:
    """Raise unless `user`'s account may be erased now: AccountHoldsRole if they hold a role
    anywhere; VoucherBalanceRemains or VoucherRefundPending from vouchers."""
    if holds_any(user, ROLES):
        raise AccountHoldsRole()
    voucher_erasure_check(user=user)


def erase_word_matches(confirmation: str) -> bool:
    """Return whether `confirmation` is the confirmation word (in Korean, or as shown in the
    reader's language)."""
    typed = confirmation.strip()
    return typed in {"탈퇴", str(ERASE_WORD)}


@dataclass(frozen=True)
class Erasure:
    """What an erasure did, by count."""

    follows_ended: int
    coupons_voided: int
    deliveries_blanked: int
    notices_deleted: int
    vouchers_kept: int


@transaction.atomic
def account_erase(*, user: User, confirmation: str) -> Erasure:
    """Erase `user`'s account (탈퇴) after they typed the confirmation word; return the counts.

    Raise ErasureNotConfirmed if `confirmation` is not the word, and what
    `account_erase_check` raises; in either case nothing changes. Locks the user row
    (accounts.user_erase) for the whole erasure, so two erasures run one after the other.
    """
    if not erase_word_matches(confirmation):
        raise ErasureNotConfirmed(word=str(ERASE_WORD))
    user = User.objects.select_for_update().get(pk=user.pk)
    account_erase_check(user=user)
    phone, email = user.phone, user.email
    follows = follows_end_all(customer=user)
    voided = coupons_void_of_customer(customer=user)
    customer_code_delete(customer=user)
    kept = vouchers_holder_erase(user=user, phone=phone)
    blanked = deliveries_recipient_erase(
        customer=user, addresses=[address for address in (phone, email) if address]
    )
    deleted = notices_recipient_erase(user=user, phone=phone)
    idempotent_requests_of_user_delete(user_id=user.pk)
    user_erase(user=user)
    logger.info("account erased: user=%s", user.pk)
    return Erasure(
        follows_ended=follows, coupons_voided=voided, deliveries_blanked=blanked,
        notices_deleted=deleted, vouchers_kept=kept,
    )


# --- retention --------------------------------------------------------------------------------


def retention_run() -> dict[str, int]:
    """Apply the retention periods of settings (DANGOL_RETENTION_*): blank the addresses of
    old deliveries, delete long-revoked API tokens and old outbox messages, clear expired
    sessions; return how many rows each touched. Safe to run again."""
    expired_sessions, _ = Session.objects.filter(expire_date__lt=clock.now()).delete()
    done = {
        "delivery_addresses": deliveries_addresses_expire(),
        "revoked_api_tokens": api_tokens_purge(),
        "outbox_messages": outbox_messages_purge(),
        "expired_sessions": expired_sessions,
    }
    logger.info("retention run: %s", " ".join(f"{key}={value}" for key, value in done.items()))
    return done
