"""Grants that end: a program's period is over, or an operator withdraws a grant.

When the benefits end. A program's benefits are promised for its period (starts_on to
ends_on, inclusive, KST), so they end when that period is over: the day after `ends_on`
the periodic task `program_benefits_end_due` ends the settlement benefits of every program
whose period has passed (`program_benefits_end`). Closing a program (`program_close`) only
stops applications: merchants granted a benefit keep it until the period ends. Message
credit is the store's once granted and does not end with the period; an operator can take
back what is unused of it by withdrawing the grant.

Ending a settlement grant puts the store's settlement terms back as they were before it
(dangol.programs.settlement_benefits: unless another program still grants the same
benefit, or the terms were changed since the grant), marks the grant ended and records one
audit entry (`program.benefit_end`) with the outcome. Withdrawing a grant
(`grant_withdraw`) does the same for a settlement benefit and, for credit, moves what is
unused back to the program's budget through the ledger; one audit entry
(`program.grant_withdraw`).
"""

import datetime as dt
from typing import Any

from django.db import transaction

from dangol.access.checks import may_operate
from dangol.accounts.models import User
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core import clock
from dangol.messaging.credit import message_credit_withdraw
from dangol.programs.errors import InvalidProgram, NotProgramOperator
from dangol.programs.models import Application, Grant, Program
from dangol.programs.services import program_budget_account
from dangol.programs.settlement_benefits import (
    OUTCOME_CHANGED_SINCE,
    SETTLEMENT_KINDS,
    settlement_account_lock,
    settlement_benefit_end,
)

# Note on an application whose settlement terms were changed after its grant and kept.
NOTE_SETTLEMENT_CHANGED = "settlement_changed_since_grant"
END_REASON_MAX = 200


def _settlement_end(grant: Grant) -> str:
    """End a settlement grant's terms (see settlement_benefits); note a kept change on its
    application; return the outcome."""
    outcome = settlement_benefit_end(grant=grant)
    if outcome == OUTCOME_CHANGED_SINCE and grant.application_id is not None:
        application = Application.objects.select_for_update().get(pk=grant.application_id)
        note = {"code": NOTE_SETTLEMENT_CHANGED, "benefit": grant.benefit.kind}
        if note not in application.reasons:
            application.reasons = [*application.reasons, note]
            application.save(update_fields=["reasons", "updated_at"])
    return outcome


def _grant_close(grant: Grant, *, status: str, at: dt.datetime, **fields: Any) -> None:
    grant.status = status
    grant.ended_at = at
    for name, value in fields.items():
        setattr(grant, name, value)
    grant.save(update_fields=["status", "ended_at", *fields, "updated_at"])


def program_benefits_end(*, program: Program, at: dt.datetime | None = None) -> int:
    """End the program's active settlement grants as its period is over (at `at`, default
    now); return how many ended. Each is audited; a rerun ends nothing twice. Locks the
    program's row, then for each grant its store's settlement account and the grant's row."""
    at = at or clock.now()
    ended = 0
    with transaction.atomic():
        locked = Program.objects.select_for_update().get(pk=program.pk)
        active = Grant.objects.filter(
            benefit__program=locked, benefit__kind__in=SETTLEMENT_KINDS,
            status=Grant.Status.ACTIVE,
        )
        for grant_id, store_id in active.order_by("id").values_list("id", "store_id"):
            if store_id is not None:
                settlement_account_lock(store_id)
            grant = (
                Grant.objects.select_for_update().select_related("benefit")
                .filter(pk=grant_id, status=Grant.Status.ACTIVE).first()
            )
            if grant is None:  # withdrawn meanwhile
                continue
            outcome = _settlement_end(grant)
            _grant_close(grant, status=Grant.Status.ENDED, at=at)
            audit_record(
                action=AuditEntry.Action.BENEFIT_END, actor=None, subject=f"grant:{grant.pk}",
                amount=0, organisation_id=locked.operator_id,
                details={"program": locked.pk, "store": grant.store_id,
                         "benefit": grant.benefit.kind, "outcome": outcome},
            )
            ended += 1
    return ended


def programs_benefits_end_due(*, at: dt.datetime | None = None) -> int:
    """End the settlement grants of every program whose period ended before the day of `at`
    (KST, default now); return how many grants ended. Safe to run again."""
    at = at or clock.now()
    today = at.astimezone(clock.KST).date()
    due = (
        Program.objects.filter(
            ends_on__lt=today, benefits__kind__in=SETTLEMENT_KINDS,
            benefits__grants__status=Grant.Status.ACTIVE,
        )
        .distinct().order_by("id")
    )
    return sum(program_benefits_end(program=program, at=at) for program in due)


def grant_withdraw(*, grant: Grant, actor: User, reason: str) -> Grant:
    """Withdraw `grant` for the operator's `reason` and return it; a withdrawn grant is
    returned as is.

    Credit (message or market channel credit): what the store or market has not used of it
    goes back to the program's budget (a ledger transfer; the sender's own top-ups stay).
    Settlement benefit: the store's terms go back as when the period ends. One audit entry
    as `actor`'s. Raise NotProgramOperator unless `actor` operates the grant's program and
    InvalidProgram without a reason (nothing changes). Locks the program, the store's
    settlement account (for a settlement benefit), then the grant."""
    program = Program.objects.get(benefits__grants=grant)
    if not may_operate(actor, program.operator_id):
        raise NotProgramOperator()
    reason = (reason or "").strip()[:END_REASON_MAX]
    if not reason:
        raise InvalidProgram(reason=str(Grant._meta.get_field("end_reason").verbose_name))
    with transaction.atomic():
        locked_program = Program.objects.select_for_update().get(pk=program.pk)
        if grant.store_id is not None and grant.benefit.kind in SETTLEMENT_KINDS:
            settlement_account_lock(grant.store_id)
        locked = Grant.objects.select_for_update().select_related("benefit").get(pk=grant.pk)
        if locked.status == Grant.Status.WITHDRAWN:
            return locked
        details: dict[str, Any] = {
            "program": locked_program.pk, "store": locked.store_id,
            "market": locked.market_id, "benefit": locked.benefit.kind, "reason": reason,
        }
        fields: dict[str, Any] = {"ended_by": actor, "end_reason": reason}
        if locked.benefit.kind in SETTLEMENT_KINDS:
            details["settlement"] = (
                _settlement_end(locked) if locked.status == Grant.Status.ACTIVE else "ended"
            )
        elif locked.amount:
            posted = message_credit_withdraw(
                store=locked.store, market=locked.market, granted=locked.amount,
                to_account=program_budget_account(program=locked_program),
                idempotency_key=f"programs:grant:{locked.pk}",
                description=f"{locked_program.name} {locked.benefit.get_kind_display()} 회수",
            )
            if posted is not None:
                fields["return_transaction"] = posted
                fields["returned"] = sum(
                    entry.amount for entry in posted.entries.all() if entry.amount > 0
                )
        _grant_close(locked, status=Grant.Status.WITHDRAWN, at=clock.now(), **fields)
        audit_record(
            action=AuditEntry.Action.GRANT_WITHDRAW, actor=actor, subject=f"grant:{locked.pk}",
            amount=locked.returned, organisation_id=locked_program.operator_id,
            details=details,
        )
    return locked
