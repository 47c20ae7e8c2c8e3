"""Voucher endpoints."""

from ninja import Router

from dangol.accounts.api import required_auth

router = Router(tags=["vouchers"], auth=required_auth)
