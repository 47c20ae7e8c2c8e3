"""Only `dangol.ledger` writes the ledger's tables (DESIGN.md §3, CONVENTIONS.md "One door").

The source scan runs over `src/dangol`; the guard (tests/ledger/door.py, installed for
every test by tests/conftest.py) watches every statement the suite runs. The other tests
here show that each check catches what it is meant to catch.
"""

from pathlib import Path

import pytest
from django.db import connection

import dangol
from dangol.ledger.models import Account
from tests.ledger import door

SOURCE_ROOT = Path(dangol.__file__).resolve().parent


def test_no_module_outside_the_ledger_writes_or_names_its_tables():
    findings = door.tree_findings(SOURCE_ROOT)

    assert findings == [], "\n".join(findings)


def test_the_scan_reads_the_whole_package():
    scanned = [
        path for path in SOURCE_ROOT.rglob("*.py")
        if "ledger" not in path.relative_to(SOURCE_ROOT).parts[:1]
    ]

    assert len(scanned) > 100
    assert (SOURCE_ROOT / "vouchers" / "services.py") in scanned
    assert (SOURCE_ROOT / "vouchers" / "fastpath.py") in scanned


@pytest.mark.parametrize(
    "source",
    [
        "from dangol.ledger.models import Entry\nEntry.objects.bulk_create([])",
        "from dangol.ledger.models import Account as A\nA.objects.filter(pk=1).update(balance=0)",
        "from dangol.ledger import models as lm\nlm.Transaction.objects.create(kind='x')",
        "import dangol.ledger.models as lm\nlm.Account.objects.get_or_create(kind='cash')",
        "from dangol.ledger.models import Transaction\nTransaction.objects.filter(id=1).delete()",
        "from dangol.ledger.models import Entry\nEntry(transaction_id=1, account_id=2, amount=3)",
        "from dangol.ledger.models import Entry\nsql = f'INSERT INTO {Entry._meta.db_table} (a)'",
        "from dangol.ledger.models import Account\ntable = Account._meta.db_table",
        "cursor.execute('UPDATE ledger_account SET balance = 0')",
        "cursor.execute('SELECT id FROM \"ledger_entry\" WHERE amount > 0')",
        "sql = ('INSERT INTO ledger_transaction (kind) '\n       'VALUES (%s)')",
        "from dangol.ledger.models import Account\ndef f(a: Account) -> None:\n    a.save()",
        "from dangol.ledger.models import Account\na = Account.objects.get(pk=1)\na.delete()",
        "from dangol.ledger.services import account_get_or_create\n"
        "a = account_get_or_create(kind='cash')\na.save(update_fields=['name'])",
        "from dangol.ledger import catalogue\ncatalogue.cash_account().save()",
        "from dangol.ledger.services import accounts_lock\naccounts_lock([1])[1].save()",
        "from dangol.ledger.models import Account\n"
        "for a in Account.objects.all():\n    a.save(update_fields=['name'])",
        "redemption.ledger_transaction.delete()",
    ],
)
def test_the_scan_finds_each_kind_of_write(source):
    assert len(door.source_findings(source)) == 1, source


@pytest.mark.parametrize(
    "source",
    [
        "from dangol.ledger.models import Account\nAccount.objects.filter(pk=1).values('balance')",
        "from dangol.ledger.models import Account\n"
        "Account.objects.select_for_update().filter(pk=1).first()",
        'def f():\n    """Read the entries FROM ledger_entry, never write them."""',
        "raw_id_fields = ['voucher', 'ledger_transaction']",
        "Voucher.objects.filter(pk=1).update(balance=0)",
        "from dangol.ledger.models import Account\na = Account.objects.get(pk=1)\n"
        "a = Voucher.objects.get(pk=1)\na.save()",
        "locked = vouchers_lock([1])[1]\nlocked.save(update_fields=['balance'])",
        "from dangol.ledger.services import ledger_transfer\ncharge = ledger_transfer()\n"
        "campaign.charge = charge\ncampaign.save(update_fields=['charge'])",
    ],
)
def test_the_scan_leaves_reads_and_other_tables_alone(source):
    assert door.source_findings(source) == [], source


@pytest.mark.django_db
def test_the_guard_records_a_write_from_another_app_and_allows_the_ledger():
    # Code that runs as a module of another app, then as one of the ledger.
    account = Account.objects.create(kind=Account.Kind.CASH, name="결제 대행 정산 대기")
    code = compile("Account.objects.filter(pk=pk).update(name='바뀐 이름')", "<app>", "exec")
    door.guard_connection(connection=connection)

    exec(code, {"__name__": "dangol.vouchers.services", "Account": Account, "pk": account.pk})  # noqa: S102
    from_vouchers = list(door.violations)
    exec(code, {"__name__": "dangol.ledger.services", "Account": Account, "pk": account.pk})  # noqa: S102
    exec(code, {"__name__": "dangol.vouchers.admin", "Account": Account, "pk": account.pk})  # noqa: S102
    from_ledger_and_admin = door.violations[len(from_vouchers):]
    door.violations.clear()

    assert len(from_vouchers) == 1
    assert from_vouchers[0].startswith("dangol.vouchers.services wrote ledger_account: UPDATE")
    assert from_ledger_and_admin == []


@pytest.mark.parametrize(
    ("module", "ok"),
    [
        (None, True),
        ("dangol.ledger.services", True),
        ("dangol.ledger.bulk", True),
        ("dangol.ledger.migrations.0001_initial", True),
        ("dangol.vouchers.admin", True),
        ("dangol.vouchers.services", False),
        ("dangol.settlement.services", False),
        ("dangol.ledgerish", False),
    ],
)
def test_only_the_ledger_admin_and_migrations_may_write(module, ok):
    assert door.allowed(module) is ok
