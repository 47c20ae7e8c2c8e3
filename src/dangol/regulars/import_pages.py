"""The owner's pages of a customer-list import: the upload, which keeps the file and queues
the import, and the import's page, which shows its progress until the result (counts and the
rows it skipped) is there. Thin: parse, authorise through merchant_store, call, render."""

from functools import partial

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from dangol.access import policy
from dangol.accounts.models import User
from dangol.core.errors import DangolError
from dangol.places.models import Store
from dangol.regulars import import_jobs, selectors, tasks
from dangol.regulars.views import merchant_store

RECENT_IMPORTS = 5
# Seconds between refreshes of an import's page while it runs.
REFRESH_SECONDS = 2


@require_http_methods(["GET", "HEAD", "POST"])
@merchant_store(policy.REGULARS_IMPORT)
def regulars_import(request: HttpRequest, store: Store) -> HttpResponse:
    """Upload an existing customer list (CSV: 이름, 휴대전화[, 동의일시, 동의방법]); a usable
    file is imported in the background and the browser goes to the import's page."""
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("CSV 파일을 골라 주세요.")
        else:
            uploader = request.user if isinstance(request.user, User) else None
            try:
                job = import_jobs.regulars_import_start(
                    store=store, data=upload.read(), filename=upload.name or "",
                    uploaded_by=uploader,
                )
            except DangolError as exc:
                error = exc.message
            else:
                transaction.on_commit(partial(tasks.regulars_import_task, job.pk))
                return redirect("regulars:merchant_import_status", pk=store.pk, import_id=job.pk)
    return render(request, "regulars/merchant_import.html", {
        "store": store, "error": error,
        "imports": list(selectors.regulars_imports_of(store=store)[:RECENT_IMPORTS]),
    }, status=400 if error else 200)


@require_safe
@merchant_store(policy.REGULARS_IMPORT)
def regulars_import_status(request: HttpRequest, store: Store, import_id: int) -> HttpResponse:
    """One import of the store: "가져오는 중… 12,000 / 20,000" (refreshed), then its result."""
    job = selectors.regulars_import_of(store=store, import_id=import_id)
    if job is None:
        raise Http404
    return render(request, "regulars/merchant_import_status.html", {
        "store": store, "job": job, "refresh_seconds": REFRESH_SECONDS,
    })
