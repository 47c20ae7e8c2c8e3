"""Informational notices: idempotent sends, addressed to a user or a phone number."""

import pytest
from django.urls import reverse

from dangol.notices.errors import NoticeWithoutRecipient
from dangol.notices.models import Notice
from dangol.notices.selectors import notices_for
from dangol.notices.services import notice_send, notices_mark_read
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _send(**kwargs):
    defaults = {"kind": Notice.Kind.VOUCHER_RECEIVED, "title": "상품권 도착", "body": "1만원"}
    return notice_send(**{**defaults, **kwargs})


def test_same_key_sends_once():
    customer = CustomerFactory()
    first = _send(user=customer, idempotency_key="k1")
    again = _send(user=customer, idempotency_key="k1", body="다른 내용")
    assert first.pk == again.pk and Notice.objects.count() == 1


def test_phone_addressed_notice_reaches_the_user_with_that_number():
    customer = CustomerFactory(phone="+821012345678")
    _send(phone="010-1234-5678", idempotency_key="gift-1")
    _send(phone="010-9999-8888", idempotency_key="gift-2")
    assert [notice.idempotency_key for notice in notices_for(user=customer)] == ["gift-1"]


def test_notice_needs_a_recipient():
    with pytest.raises(NoticeWithoutRecipient):
        _send(idempotency_key="nobody")


def test_mark_read():
    customer = CustomerFactory()
    _send(user=customer, idempotency_key="a")
    assert notices_mark_read(user=customer) == 1
    assert notices_for(user=customer).get().read_at is not None


@pytest.mark.parametrize("size", [1, 6])
def test_notices_page_lists_mine_in_constant_queries(client, django_assert_num_queries, size):
    customer = CustomerFactory()
    for n in range(size):
        _send(user=customer, idempotency_key=f"n{n}", title=f"안내 {n}")
    _send(user=CustomerFactory(), idempotency_key="other", title="남의 알림")
    client.force_login(customer)
    # session, user, count, page
    with django_assert_num_queries(5):
        response = client.get(reverse("regulars:my_notices"))
    html = response.content.decode()
    assert "안내 0" in html and "남의 알림" not in html
