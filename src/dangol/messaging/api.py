"""Messaging endpoints."""

from ninja import Router

from dangol.accounts.api import required_auth

router = Router(tags=["messaging"], auth=required_auth)
