"""The development outbox: what SMS and e-mail would have sent (demo and tests only)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dangol.core.models import OutboxMessage


def outbox(request: HttpRequest) -> HttpResponse:
    """Show the 50 latest outbox messages, newest first."""
    messages = OutboxMessage.objects.all()[:50]
    return render(request, "core/outbox.html", {"outbox": messages})
