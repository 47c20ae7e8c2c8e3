"""A customer-list import in the background: the upload keeps the file and answers at once;
the task writes it chunk by chunk with its progress, resumes after a stop, and its page shows
"가져오는 중… n / total" until the result."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangol.regulars import errors, import_jobs, imports
from dangol.regulars.models import Follow, RegularsImport
from tests.factories import StaffUserFactory, StoreFactory, StoreMembershipFactory

pytestmark = pytest.mark.django_db


def customer_list(rows: int) -> bytes:
    lines = ["이름,휴대전화"] + [f"손님,010-3000-{n:04d}" for n in range(rows)]
    return "\n".join(lines).encode()


def _status_url(job):
    return reverse("regulars:merchant_import_status", args=[job.store_id, job.pk])


def test_upload_keeps_the_file_and_answers_before_importing(client, noon, store, owner):
    client.force_login(owner)
    upload = SimpleUploadedFile("명부.csv", customer_list(3), content_type="text/csv")

    # The queued task is not run: the request must not import anything itself.
    response = client.post(reverse("regulars:merchant_import", args=[store.pk]), {"file": upload})

    job = RegularsImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _status_url(job)
    assert job.status == RegularsImport.Status.QUEUED
    assert bytes(job.data) == customer_list(3) and job.filename == "명부.csv"
    assert job.uploaded_by == owner
    assert not Follow.objects.filter(store=store).exists()


def test_page_shows_progress_while_the_import_runs(client, noon, store, owner, monkeypatch):
    monkeypatch.setattr(import_jobs, "JOB_CHUNK_ROWS", 2)
    job = import_jobs.regulars_import_start(
        store=store, data=customer_list(5), filename="명부.csv", uploaded_by=owner
    )
    rows, bad = imports.regulars_import_rows(customer_list(5), store=store)
    import_jobs._begin(job.pk, total=len(rows), errors=bad)
    import_jobs._import_next_chunk(job.pk, rows)
    client.force_login(owner)

    html = client.get(_status_url(job)).content.decode()

    assert 'data-import-state="running"' in html
    assert "가져오는 중… 2 / 5" in html
    assert 'http-equiv="refresh"' in html
    assert Follow.objects.filter(store=store).count() == 2


def test_finished_import_shows_its_result_and_stops_refreshing(client, noon, store, owner):
    job = import_jobs.regulars_import_start(
        store=store, data=customer_list(3) + "\n나,12345".encode(), filename="명부.csv",
        uploaded_by=owner,
    )
    import_jobs.regulars_import_run(import_id=job.pk)
    client.force_login(owner)

    html = client.get(_status_url(job)).content.decode()

    assert 'data-import-state="done"' in html
    assert "새 단골 3명" in html and "5번째 줄" in html
    assert 'http-equiv="refresh"' not in html


def test_run_writes_every_row_once_and_drops_the_file(noon, store, owner, monkeypatch):
    monkeypatch.setattr(import_jobs, "JOB_CHUNK_ROWS", 4)
    job = import_jobs.regulars_import_start(
        store=store, data=customer_list(10), filename="명부.csv", uploaded_by=owner
    )

    done = import_jobs.regulars_import_run(import_id=job.pk)

    assert done.status == RegularsImport.Status.DONE
    assert (done.total_rows, done.done_rows, done.followed, done.without_consent) == (
        10, 10, 10, 10
    )
    assert bytes(done.data) == b"" and done.finished_at == noon
    assert Follow.objects.filter(store=store, source=Follow.Source.IMPORT).count() == 10


def test_a_stopped_import_resumes_after_its_last_chunk(noon, store, owner, monkeypatch):
    monkeypatch.setattr(import_jobs, "JOB_CHUNK_ROWS", 4)
    job = import_jobs.regulars_import_start(
        store=store, data=customer_list(10), filename="명부.csv", uploaded_by=owner
    )
    real_chunk = import_jobs.regulars_import_chunk
    calls = []

    def dies_on_the_second_chunk(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker stopped")
        return real_chunk(**kwargs)

    monkeypatch.setattr(import_jobs, "regulars_import_chunk", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        import_jobs.regulars_import_run(import_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.done_rows) == (RegularsImport.Status.RUNNING, 4)
    assert bytes(job.data) == customer_list(10)

    done = import_jobs.regulars_import_run(import_id=job.pk)

    assert (done.status, done.done_rows, done.followed, done.already_following) == (
        RegularsImport.Status.DONE, 10, 10, 0
    )
    assert Follow.objects.filter(store=store).count() == 10


def test_running_a_finished_import_again_changes_nothing(noon, store, owner):
    job = import_jobs.regulars_import_start(
        store=store, data=customer_list(3), filename="명부.csv", uploaded_by=owner
    )
    first = import_jobs.regulars_import_run(import_id=job.pk)

    again = import_jobs.regulars_import_run(import_id=job.pk)

    assert (again.status, again.followed, again.already_following) == (
        first.status, 3, 0
    )
    assert Follow.objects.filter(store=store).count() == 3


def test_an_unusable_file_is_refused_at_upload_and_nothing_is_kept(store, owner):
    with pytest.raises(errors.ImportFileInvalid):
        import_jobs.regulars_import_start(
            store=store, data=b"name,phone\na,010\n", filename="x.csv", uploaded_by=owner
        )

    assert not RegularsImport.objects.exists()


def test_imports_without_progress_for_two_minutes_are_stalled(frozen_clock, noon, store, owner):
    stalled = import_jobs.regulars_import_start(
        store=store, data=customer_list(1), filename="a.csv", uploaded_by=owner
    )
    frozen_clock(noon + dt.timedelta(minutes=1, seconds=30))
    fresh = import_jobs.regulars_import_start(
        store=store, data=customer_list(1), filename="b.csv", uploaded_by=owner
    )
    frozen_clock(noon + dt.timedelta(minutes=2, seconds=1))

    assert import_jobs.regulars_imports_stalled() == [stalled.pk]
    import_jobs.regulars_import_run(import_id=stalled.pk)
    assert fresh.pk not in import_jobs.regulars_imports_stalled()
    assert import_jobs.regulars_imports_stalled() == []


def test_another_stores_import_is_not_found(client, noon, store, owner):
    other = StoreFactory()
    job = import_jobs.regulars_import_start(
        store=other, data=customer_list(1), filename="a.csv", uploaded_by=None
    )
    client.force_login(owner)

    response = client.get(reverse("regulars:merchant_import_status", args=[store.pk, job.pk]))

    assert response.status_code == 404


def test_a_member_of_another_store_may_not_see_the_import(client, noon, store, owner):
    job = import_jobs.regulars_import_start(
        store=store, data=customer_list(1), filename="a.csv", uploaded_by=owner
    )
    stranger = StoreMembershipFactory(store=StoreFactory(), user=StaffUserFactory()).user
    client.force_login(stranger)

    response = client.get(_status_url(job))

    assert response.status_code == 403
