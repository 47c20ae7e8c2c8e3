"""The 반송큰시장 demo: what one seed creates, and that a second seed creates nothing."""

import datetime as dt
import random
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count

from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.brn import brn_is_valid
from dangol.core.phone import mobile_normalize
from dangol.demo import seed
from dangol.demo.data import DEMO_PASSWORD
from dangol.demo.seed import demo_seed
from dangol.ledger.selectors import ledger_verify
from dangol.messaging.models import Campaign
from dangol.messaging.selectors import inbox_for, message_credit_balance
from dangol.notices.models import Notice
from dangol.organisations.models import OrganisationMembership
from dangol.places.models import Market, MarketMembership, Store, StoreMembership
from dangol.programs.models import Application, Grant, Pledge, Program
from dangol.programs.selectors import program_figures
from dangol.regulars.models import Consent, Follow
from dangol.settlement.models import Payout, SettlementRun, StoreSettlementAccount
from dangol.vouchers.selectors import vouchers_held_by


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module, inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        report = demo_seed()
        yield report
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_seed_creates_the_market_with_its_official_facts(seeded):
    market = Market.objects.get(source_key="26350:반송큰시장(반송2동시장)")

    assert market.region.full_name == "부산광역시 해운대구"
    assert market.road_address == "부산광역시 해운대구 윗반송로51번길 86"
    assert market.store_count == 171
    assert market.opened_year == 1970
    assert market.source_name == "소상공인시장진흥공단"
    assert market.source_date == dt.date(2024, 11, 4)


def test_seed_creates_about_60_stores_in_every_category(seeded):
    stores = Store.objects.filter(market_id=seeded.market_id)

    assert 55 <= stores.count() <= 65
    assert set(stores.values_list("category", flat=True)) == set(Store.Category.values)
    for store in stores.prefetch_related("products"):
        assert 3 <= len(store.products.all()) <= 6
        assert store.phone.startswith("+8251")


def test_seed_gives_every_store_a_valid_distinct_brn(seeded):
    brns = list(Store.objects.filter(market_id=seeded.market_id).values_list("brn", flat=True))

    assert all(brn_is_valid(brn) for brn in brns)
    assert len(set(brns)) == len(brns)


def test_seed_creates_about_500_customers_with_distinct_mobile_numbers(seeded):
    phones = list(User.objects.filter(phone__isnull=False).values_list("phone", flat=True))

    assert 490 <= len(phones) <= 510
    assert len(set(phones)) == len(phones)
    assert all(mobile_normalize(phone) == phone for phone in phones)


def test_seed_spreads_follows_over_the_last_90_days(seeded):
    follows = Follow.objects.filter(store__market_id=seeded.market_id)
    times = list(follows.values_list("created_at", flat=True))
    per_customer = list(
        follows.values("customer").annotate(n=Count("id")).values_list("n", flat=True)
    )

    assert len(times) > 1_000
    assert clock.now() - min(times) > dt.timedelta(days=60)
    assert max(times) <= clock.now()
    assert min(per_customer) >= 1
    assert max(per_customer) <= 6


def test_seed_creates_one_account_per_role(seeded):
    owner = StoreMembership.objects.get(user__email="owner@dangol.kr")
    staff = StoreMembership.objects.get(user__email="staff@dangol.kr")

    assert (owner.role, staff.role) == ("owner", "staff")
    assert owner.store == staff.store
    assert owner.store.name == "반송수산"
    assert MarketMembership.objects.get(user__email="association@dangol.kr").role == "association"
    assert MarketMembership.objects.get(user__email="tutor@dangol.kr").role == "tutor"
    operator = OrganisationMembership.objects.get(user__email="operator@dangol.kr")
    auditor = OrganisationMembership.objects.get(user__email="auditor@dangol.kr")
    assert (operator.role, operator.organisation.kind) == ("operator", "city")
    assert (auditor.role, auditor.organisation.name) == ("auditor", "과학기술정보통신부")
    assert User.objects.get(email="admin@dangol.kr").is_superuser


def test_seed_accounts_sign_in_with_the_demo_password(seeded):
    user = User.objects.get(email="owner@dangol.kr")

    assert user.check_password(DEMO_PASSWORD)


def test_seed_demo_customer_follows_a_few_stores(seeded):
    customer = User.objects.get(phone="+821012345678")

    assert customer.follows.filter(store__isnull=False).count() >= 3
    assert customer.follows.filter(market_id=seeded.market_id).exists()


def test_seed_featured_store_has_products_and_posts(seeded):
    store = Store.objects.get(pk=seeded.featured_store_id)

    assert store.products.filter(name="고등어", unit="1손", price=12_000).exists()
    assert store.posts.count() >= 1


def test_second_seed_creates_nothing(seeded):
    totals = dict(seeded.totals)

    again = demo_seed()

    assert again.nothing_created, again.created
    assert again.totals == totals


def test_generation_is_the_same_every_time():
    first = seed.store_specs(random.Random(seed.RANDOM_SEED))
    second = seed.store_specs(random.Random(seed.RANDOM_SEED))

    assert first == second


def test_seed_demo_command_prints_the_logins(seeded):
    out = StringIO()

    call_command("seed_demo", stdout=out)

    text = out.getvalue()
    assert "owner@dangol.kr" in text
    assert "010-1234-5678" in text
    assert DEMO_PASSWORD in text


def test_seed_gives_every_store_a_settlement_account_and_the_featured_one_fast_settlement(seeded):
    market = Market.objects.get(pk=seeded.market_id)
    accounts = StoreSettlementAccount.objects.filter(store__market=market)

    assert accounts.count() == Store.objects.filter(market=market).count()
    # 반송수산 from the start; the program's approved stores by its fast-settlement benefit.
    approved = set(Application.objects.filter(status="approved").values_list("store_id", flat=True))
    fast = set(accounts.filter(fast_settlement_eligible=True).values_list("store_id", flat=True))
    assert seeded.featured_store_id in approved
    assert fast == approved
    assert not accounts.filter(fast_settlement_eligible=True, fast_fee_bp__gt=0).exists()


def test_seed_demo_customer_holds_a_partly_used_voucher_and_a_gift(seeded):
    customer = User.objects.get(phone="+821012345678")
    held = {v.product.name: v for v in vouchers_held_by(user=customer)}

    assert held["반송큰시장 상품권 3만원"].balance == 30_000 - 8_000 - 4_500
    assert held["반송큰시장 상품권 1만원"].balance == 10_000
    assert held["반송큰시장 상품권 1만원"].buyer != customer
    assert Notice.objects.filter(user=customer, kind=Notice.Kind.VOUCHER_RECEIVED).count() == 1


def test_seed_settles_the_first_redemption_with_a_statement(seeded):
    payout = Payout.objects.get(store_id=seeded.featured_store_id)

    # The 3% voucher fee (₩240) was booked at redemption; the policy itself charges none.
    assert (payout.amount, payout.fee, payout.net) == (7_760, 0, 7_760)
    assert payout.run.status == SettlementRun.Status.COMPLETED
    assert payout.run.cutoff < clock.now()
    assert payout.number == f"ST-{payout.run_id}-{payout.store_id}"


def test_seed_leaves_a_ledger_that_verifies(seeded):
    report = ledger_verify()

    assert report.ok, report


def test_seed_gives_the_featured_store_consenting_regulars_credit_and_a_sent_message(seeded):
    store = Store.objects.get(pk=seeded.featured_store_id)
    consents = Consent.objects.filter(store=store, ad_granted_at__isnull=False)
    follows = Follow.objects.filter(store=store).count()

    assert 0.5 * follows <= consents.count() <= 0.9 * follows + 1
    assert 0 < consents.filter(night_granted_at__isnull=False).count() < consents.count()
    campaign = Campaign.objects.get(idempotency_key="demo:campaign:first")
    reached = campaign.deliveries.filter(status="visible").count()
    assert campaign.status == "sent"
    assert reached == consents.filter(ad_granted_at__lte=campaign.sent_at).count() > 10
    assert campaign.targeted == follows
    assert campaign.cost == 15 * reached
    # ₩50,000 topped up, the message's cost, and the program's ₩300,000 grant.
    assert message_credit_balance(store=store) == 50_000 - campaign.cost + 300_000
    customer = User.objects.get(phone="+821012345678")
    inbox = {d.campaign.template or d.campaign_id: d for d in inbox_for(user=customer)}
    assert set(inbox) == {campaign.pk, "voucher_received"}  # the message and the gift notice


def test_seed_runs_the_haeundae_program_with_applications_in_every_state(seeded):
    program = Program.objects.get(name="2025 해운대구 전통시장 단골 지원사업")
    statuses = Counter(program.applications.values_list("status", flat=True))
    figures = program_figures(program=program)

    assert statuses == {"approved": 3, "review": 1, "rejected": 1}
    assert program.enrolments.get(market_id=seeded.market_id).status == "active"
    credit_grants = Grant.objects.filter(application__program=program,
                                         benefit__kind="message_credit")
    assert credit_grants.count() == 3 and {g.amount for g in credit_grants} == {300_000}
    assert figures.committed == 900_000
    assert figures.remaining == 30_000_000 - 900_000
    featured = Store.objects.get(pk=seeded.featured_store_id)
    first = Campaign.objects.get(idempotency_key="demo:campaign:first")
    assert message_credit_balance(store=featured) == 50_000 - first.cost + 300_000
    assert Pledge.objects.count() == 5


def test_ledger_verify_command_passes_on_the_seeded_demo(seeded):
    out = StringIO()
    call_command("ledger", "verify", stdout=out)
    assert "ok" in out.getvalue().lower() or "이상 없음" in out.getvalue()


def test_ledger_verifies_after_every_seeded_flow(transactional_db, monkeypatch):
    """Wrap each money-moving step of the seed (vouchers and settlement, messaging, the
    program) so that `dangol ledger verify` runs right after it."""
    verified: list[str] = []

    def verify_after(name, step):
        def wrapped(**kwargs):
            result = step(**kwargs)
            out = StringIO()
            call_command("ledger", "verify", stdout=out)  # exits non-zero on a difference
            verified.append(name)
            return result
        return wrapped

    for name in ("seed_money", "seed_campaigns", "seed_programs"):
        monkeypatch.setattr(seed, name, verify_after(name, getattr(seed, name)))
    demo_seed()

    assert verified == ["seed_money", "seed_campaigns", "seed_programs"]
