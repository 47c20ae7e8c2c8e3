import importlib
import pkgutil

from django.utils import translation

import dangol
from dangol.core.brn import InvalidBRN
from dangol.core.errors import DangolError, IdempotencyKeyReused, PermissionDenied, RateLimited


def test_error_message_is_translated_to_the_active_language():
    error = InvalidBRN(value="123-45-67890")
    with translation.override("ko"):
        assert error.message == "사업자등록번호가 올바르지 않습니다: 123-45-67890"
    with translation.override("en"):
        assert error.message == "Invalid business registration number: 123-45-67890"


def test_error_keeps_code_and_status_for_api_clients():
    error = RateLimited(minutes=15)
    assert error.code == "rate_limited"
    assert error.status == 429
    with translation.override("ko"):
        assert "15분" in str(error)


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def _import_every_module() -> None:
    for module in pkgutil.walk_packages(dangol.__path__, "dangol."):
        skipped = (".migrations", ".management", "__main__", ".wsgi")
        if not any(part in module.name for part in skipped):
            importlib.import_module(module.name)


def test_a_reused_idempotency_key_is_one_error_everywhere():
    _import_every_module()

    reuse_errors = {
        cls for cls in _subclasses(DangolError)
        if "KeyReused" in cls.__name__ or "IdempotencyConflict" in cls.__name__
    }

    assert all(issubclass(cls, IdempotencyKeyReused) for cls in reuse_errors), reuse_errors
    assert {cls.code for cls in reuse_errors} <= {
        "idempotency_key_reused", "ledger_idempotency_conflict"
    }


def test_every_domain_error_lives_in_its_apps_errors_module():
    _import_every_module()

    # Core's shared rules keep their errors beside them (brn, phone, money, idempotency);
    # refusals of access belong with the access rules.
    misplaced = sorted(
        f"{cls.__module__}.{cls.__name__}" for cls in _subclasses(DangolError)
        if cls.__module__.startswith("dangol.")
        and not cls.__module__.startswith("dangol.core.")
        and not issubclass(cls, PermissionDenied)
        and not cls.__module__.endswith(".errors")
    )

    assert misplaced == []
