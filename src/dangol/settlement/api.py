"""Settlement endpoints."""

from ninja import Router

from dangol.accounts.api import required_auth

router = Router(tags=["settlement"], auth=required_auth)
