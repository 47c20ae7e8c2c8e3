"""A customer-list import in the background (issue 12): the upload is checked and kept as a
RegularsImport row, and a task writes it chunk by chunk, each chunk in its own short
transaction together with the progress it adds, so the owner's page shows "12,000 / 20,000"
while the web workers keep serving, and an import stopped half-way resumes where it was."""

import datetime as dt
import time

from django.db import IntegrityError, transaction

from dangol.accounts.models import User
from dangol.core import clock
from dangol.places.models import Store
from dangol.regulars.errors import ImportFileInvalid
from dangol.regulars.imports import (
    IMPORT_CHUNK_ATTEMPTS,
    ImportRow,
    ImportRowError,
    regulars_import_chunk,
    regulars_import_file_check,
    regulars_import_rows,
)
from dangol.regulars.models import RegularsImport

# An import queued or running without progress for this long lost its worker: run it again.
STALLED_AFTER = dt.timedelta(minutes=2)
# Rows per transaction in the background: smaller than the in-request import's chunks, so a
# request that needs SQLite's write lock waits less for each one.
JOB_CHUNK_ROWS = 1_000
# Between chunks the import lets go of the database for longer than SQLite's busy handler
# sleeps (at most 100 ms between tries): writers that waited for a chunk get the lock before
# the next chunk takes it again, instead of losing the race to it chunk after chunk.
CHUNK_PAUSE_SECONDS = 0.15


def regulars_import_start(
    *, store: Store, data: bytes, filename: str, uploaded_by: User | None
) -> RegularsImport:
    """Keep the uploaded customer list `data` for a background import into `store`.

    Raise ImportFileInvalid, keeping nothing, if the file itself is unusable (too large,
    wrong encoding, missing columns). The caller queues `regulars_import_task` with the
    row's id once this has committed.
    """
    regulars_import_file_check(data)
    return RegularsImport.objects.create(
        store=store, data=data, filename=filename[:200], uploaded_by=uploaded_by
    )


def regulars_import_run(*, import_id: int) -> RegularsImport:
    """Import the kept file of import `import_id`, resuming after its last committed chunk.

    Safe to run again, and twice at once: each chunk locks the import row and takes the rows
    after `done_rows`, so no row is written twice and the counts add up once. A file that
    turns out unusable ends the import as failed. Return the import as it ended.
    """
    job = RegularsImport.objects.select_related("store").get(pk=import_id)
    if job.finished:
        return job
    try:
        # Parsed with the upload's time as now, so that every run reads the same rows.
        rows, errors = regulars_import_rows(bytes(job.data), store=job.store,
                                            now=job.created_at)
    except ImportFileInvalid as error:
        return _finish(job.pk, failure=str(error.message))
    _begin(job.pk, total=len(rows), errors=errors)
    while _import_next_chunk(job.pk, rows):
        time.sleep(CHUNK_PAUSE_SECONDS)
    return _finish(job.pk)


def regulars_imports_stalled() -> list[int]:
    """Return the ids of the imports queued or running with no progress for STALLED_AFTER
    (their worker stopped), oldest first."""
    return list(
        RegularsImport.objects.filter(
            status__in=[RegularsImport.Status.QUEUED, RegularsImport.Status.RUNNING],
            stepped_at__lt=clock.now() - STALLED_AFTER,
        ).order_by("pk").values_list("pk", flat=True)
    )


def _locked(import_id: int) -> RegularsImport:
    return RegularsImport.objects.select_for_update().get(pk=import_id)


@transaction.atomic
def _begin(import_id: int, *, total: int, errors: list[ImportRowError]) -> None:
    job = _locked(import_id)
    if job.status != RegularsImport.Status.QUEUED:
        return
    job.status = RegularsImport.Status.RUNNING
    job.total_rows = total
    job.row_errors = [{"line": error.line, "reason": str(error.reason)} for error in errors]
    job.started_at = job.stepped_at = clock.now()
    job.save(update_fields=[
        "status", "total_rows", "row_errors", "started_at", "stepped_at", "updated_at",
    ])


def _import_next_chunk(import_id: int, rows: list[ImportRow]) -> bool:
    """Write the next chunk of `rows` and its counts in one transaction; return whether
    rows remain. Run the chunk again if a concurrent sign-up, follow or consent of one of
    its customers collided with it (the chunk re-reads what exists and skips it)."""
    for attempt in range(IMPORT_CHUNK_ATTEMPTS):
        try:
            with transaction.atomic():
                job = _locked(import_id)
                if job.status != RegularsImport.Status.RUNNING:
                    return False
                chunk = rows[job.done_rows:job.done_rows + JOB_CHUNK_ROWS]
                if not chunk:
                    return False
                part = regulars_import_chunk(store=job.store, rows=chunk)
                job.done_rows += len(chunk)
                job.followed += part.followed
                job.already_following += part.already_following
                job.with_consent += part.with_consent
                job.without_consent += part.without_consent
                job.row_warnings += [
                    {"line": warning.line, "reason": str(warning.reason)}
                    for warning in part.warnings
                ]
                job.stepped_at = clock.now()
                job.save(update_fields=[
                    "done_rows", "followed", "already_following", "with_consent",
                    "without_consent", "row_warnings", "stepped_at", "updated_at",
                ])
                return job.done_rows < len(rows)
        except IntegrityError:
            if attempt == IMPORT_CHUNK_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


@transaction.atomic
def _finish(import_id: int, *, failure: str = "") -> RegularsImport:
    """End the import as done (or failed with `failure`) and drop the file's content: the
    customers' numbers now live in their rows, and the file is not kept beyond its use."""
    job = _locked(import_id)
    if job.finished or (not failure and job.done_rows < (job.total_rows or 0)):
        return job
    job.status = RegularsImport.Status.FAILED if failure else RegularsImport.Status.DONE
    job.failure = failure[:300]
    job.data = b""
    job.finished_at = clock.now()
    job.save(update_fields=["status", "failure", "data", "finished_at", "updated_at"])
    return job
