"""The audit log: what `audit_record` keeps, and that no one can change or remove it."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from dangol.audit.context import AuditContextMiddleware
from dangol.audit.errors import AuditEntryImmutable
from dangol.audit.models import AuditEntry
from dangol.audit.services import audit_record
from dangol.core import clock
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db
NOW = clock.kst(2026, 11, 19, 10, 0)


def record(**overrides) -> AuditEntry:
    fields = {
        "action": AuditEntry.Action.VOUCHER_REDEEM, "actor": StaffUserFactory(),
        "subject": "voucher:7", "amount": 3_000, "organisation_id": None,
        "details": {"store": 3},
    }
    fields.update(overrides)
    return audit_record(**fields)


def test_record_keeps_who_when_what_and_the_command_line_as_origin(frozen_clock):
    frozen_clock(NOW)
    staff = StaffUserFactory()

    entry = record(actor=staff)

    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.actor, entry.created_at, entry.action, entry.subject, entry.amount) == (
        staff, NOW, AuditEntry.Action.VOUCHER_REDEEM, "voucher:7", 3_000,
    )
    assert entry.details == {"store": 3}
    assert (entry.origin, entry.client_address) == (AuditEntry.Origin.CLI, "")


def test_record_inside_a_request_keeps_the_clients_address():
    staff = StaffUserFactory()
    recorded: list[AuditEntry] = []

    def view(request):
        recorded.append(record(actor=staff))
        return HttpResponse()

    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")
    AuditContextMiddleware(view)(request)

    entry = AuditEntry.objects.get(pk=recorded[0].pk)
    assert (entry.origin, entry.client_address) == (AuditEntry.Origin.WEB, "203.0.113.9")
    # and after the request, an entry is the command line's again
    assert record().origin == AuditEntry.Origin.CLI


def test_an_entry_cannot_be_saved_again():
    entry = record()
    entry.amount = 1
    with pytest.raises(AuditEntryImmutable):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).amount == 3_000


def test_an_entry_cannot_be_deleted():
    entry = record()
    with pytest.raises(AuditEntryImmutable):
        entry.delete()
    with pytest.raises(AuditEntryImmutable):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_entries_cannot_be_updated_in_bulk():
    entry = record()
    with pytest.raises(AuditEntryImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(AuditEntryImmutable):
        AuditEntry.objects.bulk_update([entry], ["amount"])
    assert AuditEntry.objects.get(pk=entry.pk).amount == 3_000


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditentry SET amount = 1 WHERE id = %s",
    "DELETE FROM audit_auditentry WHERE id = %s",
])
def test_postgresql_refuses_any_sql_that_changes_an_entry(statement):
    entry = record()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(statement, [entry.pk])

    assert AuditEntry.objects.get(pk=entry.pk).amount == 3_000
