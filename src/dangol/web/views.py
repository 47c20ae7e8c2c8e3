"""Site-wide pages: the role-aware home."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """Show the home page for whoever is looking."""
    return render(request, "web/home.html", {})
