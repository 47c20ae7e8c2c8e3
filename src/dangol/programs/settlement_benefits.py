"""A program's settlement benefits on a store's settlement account: applied when granted,
put back when the grant ends — the two halves of one rule, side by side.

A settlement upgrade moves the store to a policy with at least the benefit's cycles a month;
fast settlement makes it eligible with the fee waived (0 bp). Each benefit owns its fields of
the account (the upgrade: the policy; fast settlement: eligibility and fee) and the grant
keeps them as they were before it and as it set them (`Grant.previous_settlement`,
`Grant.granted_settlement`).

When a grant ends (`settlement_benefit_end`), with the account's row locked:
- another still-active grant of the same benefit to the store keeps the terms
  (`still_granted`); the earliest such grant takes over the ended grant's "before" if the
  ended one was granted first, so that when the last grant ends the account goes back to
  the state before the first grant of the chain;
- else, if the account still has the granted values, the benefit's fields go back to
  their values before the grant (`reverted`);
- else the owner or an operator changed them since: theirs are kept (`changed_since`);
- a store that had no settlement account when granted has nothing to put back (`none`).
"""

from typing import Any

from dangol.places.models import Store
from dangol.programs.models import Benefit, Grant
from dangol.settlement.models import SettlementPolicy, StoreSettlementAccount
from dangol.settlement.services import settlement_policy_create, store_settlement_account_set

DEFAULT_SETTLEMENT_CYCLES = 10
SETTLEMENT_KINDS = (Benefit.Kind.SETTLEMENT_UPGRADE, Benefit.Kind.FAST_SETTLEMENT)

# Outcomes of a settlement grant's end (kept in its audit entry).
OUTCOME_REVERTED = "reverted"
OUTCOME_STILL_GRANTED = "still_granted"
OUTCOME_CHANGED_SINCE = "changed_since"
OUTCOME_NONE = "none"


def _policy_with(cycles: int) -> SettlementPolicy:
    policy = (
        SettlementPolicy.objects.filter(cycles_per_month=cycles)
        .order_by("fee_bp", "id").first()
    )
    return policy or settlement_policy_create(name=f"월 {cycles}회 정산", cycles_per_month=cycles)


def _terms(account: StoreSettlementAccount, kind: str) -> dict[str, Any]:
    """Return the fields of `account` that a benefit of `kind` owns."""
    if kind == Benefit.Kind.SETTLEMENT_UPGRADE:
        return {"policy": account.policy_id}
    return {
        "fast_settlement_eligible": account.fast_settlement_eligible,
        "fast_fee_bp": account.fast_fee_bp,
    }


def settlement_account_lock(store_id: int) -> StoreSettlementAccount | None:
    """Lock the store's settlement account and return it (None if it has none). Every
    change of a store's settlement grants locks it first, before any grant row, so ends and
    withdrawals of different programs' grants to one store queue instead of deadlocking."""
    return (
        StoreSettlementAccount.objects.select_for_update().select_related("policy")
        .filter(store_id=store_id).first()
    )


def _account_set(account: StoreSettlementAccount, terms: dict[str, Any]) -> None:
    """Write `terms` (some of the account's benefit fields) through settlement's service."""
    policy = account.policy
    if "policy" in terms and terms["policy"] != account.policy_id:
        policy = SettlementPolicy.objects.get(pk=terms["policy"])
    store_settlement_account_set(
        store=account.store, policy=policy, bank_name=account.bank_name,
        account_number=account.account_number,
        fast_settlement_eligible=terms.get(
            "fast_settlement_eligible", account.fast_settlement_eligible
        ),
        fast_share_bp=account.fast_share_bp,
        fast_fee_bp=terms.get("fast_fee_bp", account.fast_fee_bp),
    )


def settlement_benefit_apply(
    *, store: Store, benefit: Benefit
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Apply a settlement benefit to the store's account (row locked); return its terms
    (before, after), or None if the store has no settlement account."""
    account = settlement_account_lock(store.pk)
    if account is None:
        return None
    before = _terms(account, benefit.kind)
    if benefit.kind == Benefit.Kind.SETTLEMENT_UPGRADE:
        wanted = benefit.cycles_per_month or DEFAULT_SETTLEMENT_CYCLES
        if (account.policy.cycles_per_month or 0) < wanted:
            after: dict[str, Any] = {"policy": _policy_with(wanted).pk}
        else:
            after = dict(before)
    else:
        after = {"fast_settlement_eligible": True, "fast_fee_bp": 0}
    _account_set(account, after)
    return before, after


def settlement_benefit_end(*, grant: Grant) -> str:
    """Put the store's terms back as the grant ends (see the module docstring); return the
    outcome. The caller holds the store's `settlement_account_lock`, then the grant's row,
    and marks the grant ended in the same transaction; the grant is still active here."""
    if grant.store_id is None or grant.previous_settlement is None:
        return OUTCOME_NONE
    account = settlement_account_lock(grant.store_id)
    others = list(
        Grant.objects.select_for_update()
        .filter(store_id=grant.store_id, benefit__kind=grant.benefit.kind,
                status=Grant.Status.ACTIVE)
        .exclude(pk=grant.pk).order_by("id")
    )
    if others:
        first = others[0]
        if grant.pk < first.pk:
            first.previous_settlement = grant.previous_settlement
            first.save(update_fields=["previous_settlement", "updated_at"])
        return OUTCOME_STILL_GRANTED
    if account is None:
        return OUTCOME_NONE
    if _terms(account, grant.benefit.kind) != grant.granted_settlement:
        return OUTCOME_CHANGED_SINCE
    _account_set(account, grant.previous_settlement)
    return OUTCOME_REVERTED
