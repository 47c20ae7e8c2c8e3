"""The client's address: REMOTE_ADDR, or behind trusted proxies the right-most untrusted hop of
X-Forwarded-For (core.clientaddr)."""

import pytest
from django.test import RequestFactory

from dangol.core.clientaddr import client_address

LOAD_BALANCER = "10.0.0.5"


def request(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_trusted_proxies_forwarded_for_is_ignored(settings):
    settings.DANGOL_TRUSTED_PROXIES = []

    assert client_address(request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_forwarded_client_is_the_address(settings):
    settings.DANGOL_TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert client_address(request(LOAD_BALANCER, "198.51.100.1")) == "198.51.100.1"
    assert client_address(request(LOAD_BALANCER, "198.51.100.2")) == "198.51.100.2"


def test_a_spoofed_hop_left_of_the_proxies_is_not_believed(settings):
    settings.DANGOL_TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.10"]

    forwarded = "1.2.3.4, 198.51.100.9, 192.0.2.10"

    assert client_address(request(LOAD_BALANCER, forwarded)) == "198.51.100.9"


def test_a_caller_that_is_not_a_trusted_proxy_cannot_choose_its_address(settings):
    settings.DANGOL_TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert client_address(request("203.0.113.7", "10.0.0.9, 198.51.100.1")) == "203.0.113.7"


def test_ipv6_clients_and_proxies(settings):
    settings.DANGOL_TRUSTED_PROXIES = ["fd00::/8"]

    assert client_address(request("fd00::1", "2001:db8::42")) == "2001:db8::42"


@pytest.mark.parametrize("forwarded", ["", "   ", "not-an-address", "198.51.100.1, junk"])
def test_without_a_usable_untrusted_hop_the_nearest_trusted_address_is_used(
    settings, forwarded
):
    settings.DANGOL_TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert client_address(request(LOAD_BALANCER, forwarded)) == LOAD_BALANCER


def test_when_every_hop_is_a_trusted_proxy_the_left_most_is_the_address(settings):
    settings.DANGOL_TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert client_address(request(LOAD_BALANCER, "10.0.0.9, 10.0.0.7")) == "10.0.0.9"


def test_no_request_has_the_unknown_address():
    assert client_address(None) == "unknown"
