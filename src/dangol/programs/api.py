"""Program endpoints."""

from ninja import Router

from dangol.accounts.api import required_auth

router = Router(tags=["programs"], auth=required_auth)
