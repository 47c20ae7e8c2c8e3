"""The platform's ledger accounts and the store accounts several apps post to, named once.

Every app that moves money through a platform account or a store's payable, fee revenue
or discount account asks here, so that each account has one name, one kind, one owner and
one non-negative flag however many apps post to it. The names are stored with the account
when it is first opened (an existing account keeps its name), so they must not change.

Accounts that belong to one domain (a voucher's liability, a program's budget, a fund, a
sender's message credit) are opened by that domain, once, through
`services.account_get_or_create`.

| account                      | kind                   | owner          | opened by            |
|------------------------------|------------------------|----------------|----------------------|
| cash (결제 대행 정산 대기)    | cash                   | platform       | vouchers, messaging  |
| payout clearing (지급 대기)   | payout_clearing        | platform       | settlement           |
| refund clearing (환불 대기)   | refund_clearing        | platform       | vouchers             |
| fee revenue, platform-wide   | platform_fee_revenue   | platform       | settlement           |
| message usage                | message_usage          | platform       | messaging            |
| fee revenue of a store       | platform_fee_revenue   | ("store", id)  | vouchers             |
| a store's payable            | store_payable          | ("store", id)  | vouchers, settlement |
| an issuer's discount expense | discount_expense       | (store/market) | vouchers, programs   |

Platform accounts have no owner and may go negative; so may the store accounts here.
"""

from dangol.ledger.models import Account
from dangol.ledger.services import account_get_or_create

PLATFORM_OWNER_TYPE = ""
STORE_OWNER_TYPE = "store"

# The name each platform account is opened with, by kind.
PLATFORM_ACCOUNT_NAMES: dict[str, str] = {
    Account.Kind.CASH: "결제 대행 정산 대기",
    Account.Kind.PAYOUT_CLEARING: "지급 대기",
    Account.Kind.REFUND_CLEARING: "환불 대기",
    Account.Kind.PLATFORM_FEE_REVENUE: "플랫폼 수수료 수익",
    Account.Kind.MESSAGE_USAGE: "메시지 발송 비용",
}


def platform_account(kind: str) -> Account:
    """Return the platform's account of `kind` (one of PLATFORM_ACCOUNT_NAMES), opening it.

    Raise KeyError for a kind the platform keeps no account of.
    """
    return account_get_or_create(
        owner_type=PLATFORM_OWNER_TYPE, owner_id=None, kind=kind, non_negative=False,
        name=PLATFORM_ACCOUNT_NAMES[kind],
    )


def cash_account() -> Account:
    """Return the cash clearing account: what the payment provider owes the platform."""
    return platform_account(Account.Kind.CASH)


def payout_clearing_account() -> Account:
    """Return the account holding settlement payouts until the bank transfer is made."""
    return platform_account(Account.Kind.PAYOUT_CLEARING)


def refund_clearing_account() -> Account:
    """Return the account holding booked voucher refunds until the provider pays them."""
    return platform_account(Account.Kind.REFUND_CLEARING)


def fee_revenue_account() -> Account:
    """Return the platform-wide fee revenue account (settlement fees)."""
    return platform_account(Account.Kind.PLATFORM_FEE_REVENUE)


def message_usage_account() -> Account:
    """Return the account that message charges are spent into."""
    return platform_account(Account.Kind.MESSAGE_USAGE)


def store_payable_account(*, store_id: int, store_name: str) -> Account:
    """Return what the platform owes the store (kind store_payable), opening it at ₩0.

    `store_name` names a new account; an existing one keeps its name.
    """
    return account_get_or_create(
        owner_type=STORE_OWNER_TYPE, owner_id=store_id, kind=Account.Kind.STORE_PAYABLE,
        non_negative=False, name=f"{store_name} 정산 예정액",
    )


def store_fee_revenue_account(*, store_id: int, store_name: str) -> Account:
    """Return the platform's fee revenue from redemptions at the store, opening it at ₩0.

    One account per store, so that no row is shared by the redemptions of different stores;
    the platform's revenue is the sum over the kind.
    """
    return account_get_or_create(
        owner_type=STORE_OWNER_TYPE, owner_id=store_id, kind=Account.Kind.PLATFORM_FEE_REVENUE,
        non_negative=False, name=f"플랫폼 수수료 수익 ({store_name})",
    )


def discount_expense_account(*, owner_type: str, owner_id: int) -> Account:
    """Return the voucher issuer's discount expense account (a store or a market), opening it.

    It goes negative by the discounts the issuer owes on vouchers sold below face value and
    by the promotion hall's shares, and settlement nets it.
    """
    return account_get_or_create(
        owner_type=owner_type, owner_id=owner_id, kind=Account.Kind.DISCOUNT_EXPENSE,
        non_negative=False, name=f"{owner_type} {owner_id} 상품권 할인 부담금",
    )
