"""The payment provider interface: authorize, capture, cancel, refund.

Every call carries an idempotency key; a provider that sees the same key again returns the
first result and does not move money twice. Money is an `int` of won.

A provider answers in one of three ways (the two errors live in `payments.errors`):

- a `ProviderResult` whose `status` says what the provider now holds (a decline or a
  refused refund is a result with status FAILED and the provider's error code and message);
- `ProviderTimeout`: no answer, so the outcome is unknown. The call may or may not have
  happened at the provider; repeat it with the same idempotency key to learn which;
- `ProviderError`: the request itself is wrong (bad credentials, a key reused for a
  different request); repeating it will not help.
"""

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol


class ProviderStatus(StrEnum):
    """What the provider holds for a payment after a call."""

    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    FAILED = "failed"


@dataclass(frozen=True)
class ProviderResult:
    """One provider answer.

    `amount` is the won moved by this call (authorized, captured, released or refunded);
    `provider_key` identifies the payment at the provider (empty when none was created);
    `raw` is the provider's response body, kept for reconciliation and support.
    """

    status: ProviderStatus
    provider_key: str
    amount: int
    raw: dict[str, Any] = field(default_factory=dict)
    error_code: str = ""
    error_message: str = ""

    @property
    def ok(self) -> bool:
        """Return True unless the provider refused the call."""
        return self.status != ProviderStatus.FAILED

    def to_json(self) -> dict[str, Any]:
        """Return the result as JSON-ready data (for storing the first answer of a key)."""
        data = asdict(self)
        data["status"] = self.status.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ProviderResult":
        """Return the result stored by `to_json`."""
        return cls(**{**data, "status": ProviderStatus(data["status"])})


class PaymentProvider(Protocol):
    """A payment provider (a card acquirer, a PG). Each method is idempotent by its key."""

    name: ClassVar[str]

    def authorize(
        self, *, source: str, order_id: str, amount: int, idempotency_key: str
    ) -> ProviderResult:
        """Reserve `amount` on `source` (a card number, or a provider token from its payment
        window) for the order `order_id`; return AUTHORIZED or FAILED."""
        ...

    def capture(
        self, *, provider_key: str, order_id: str, amount: int, idempotency_key: str
    ) -> ProviderResult:
        """Take the authorized `amount` (the whole authorization); return CAPTURED or FAILED."""
        ...

    def cancel(self, *, provider_key: str, reason: str, idempotency_key: str) -> ProviderResult:
        """Release an authorization that was not captured; return CANCELLED or FAILED."""
        ...

    def refund(
        self, *, provider_key: str, amount: int, reason: str, idempotency_key: str
    ) -> ProviderResult:
        """Give back `amount` of a captured payment; return REFUNDED (nothing left),
        PARTIALLY_REFUNDED or FAILED (for instance more than what is left)."""
        ...

    def lookup(self, *, provider_key: str, order_id: str) -> ProviderResult:
        """Return what the provider holds for the payment `provider_key` (or, when empty, the
        order `order_id`): its status, and as `amount` the won it still holds. FAILED with
        NOT_FOUND_PAYMENT when it holds nothing. Makes no change."""
        ...
