"""Payment providers behind one interface (`base.PaymentProvider`)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dangol.payments.providers.base import PaymentProvider


def get_provider(name: str | None = None) -> PaymentProvider:
    """Return the provider called `name`, or the configured one (settings.PAYMENTS_PROVIDER).

    Raise ImproperlyConfigured for an unknown name.
    """
    from dangol.payments.providers.sandbox import SandboxProvider
    from dangol.payments.providers.toss import TossProvider

    providers: dict[str, type[SandboxProvider] | type[TossProvider]] = {
        SandboxProvider.name: SandboxProvider,
        TossProvider.name: TossProvider,
    }
    chosen = name or settings.PAYMENTS_PROVIDER
    if chosen not in providers:
        raise ImproperlyConfigured(
            f"unknown payment provider {chosen!r}; use one of {sorted(providers)}"
        )
    return providers[chosen]()
