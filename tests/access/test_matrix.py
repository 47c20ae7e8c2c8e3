"""The access matrix: every page of the URL map and every operation of the OpenAPI document,
requested as every kind of user, answers exactly as access's policy allows.

The endpoints are generated: the pages by walking the URL resolver (every named pattern),
the API from /api/openapi.json (every path and method). Each is declared below with the
action of `dangol.access.policy` it takes and what it acts on; a page or an operation
missing from the tables fails the test, so a new one must declare its policy (and a page
that accepts POST must declare its POST). Parameters are filled from the world of
tests/access/world.py: a store-scoped endpoint is requested at A1 (where the owner and the
staff work) and at B1 (the other owner's), a market's at A and B (the other association's),
a program's at PX and PY (the other operator's), and so on.

An answer is "allowed" (2xx, or a redirect anywhere but a sign-in page), "refused" (401,
403, 404, or a redirect to a sign-in page) or a domain refusal (400, 402, 409, 422, …: the
request was authorised and the domain said no). Only the actors the policy allows may get
anything but "refused"; they must get "allowed" or a domain refusal. Writes are sent with
bodies that pass validation, so a refused actor is refused by the authorisation, not by the
schema. Each request runs in a savepoint that is rolled back: every actor finds the same
world. `pytest -s` prints the counts.
"""

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dangol.access import policy
from dangol.access.policy import Action, Who
from dangol.accounts.models import User
from dangol.organisations.models import OrganisationMembership
from dangol.payments.providers.sandbox import CARD_APPROVE
from dangol.programs import services as programs
from tests.access.world import (
    ACTORS,
    API_ACTORS,
    SIGN_IN_EMAIL,
    SIGN_IN_PASSWORD,
    World,
    build_world,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.xdist_group("access_matrix"),
    # Django's own admin forms (a URLField's default scheme), not dangol's code.
    pytest.mark.filterwarnings("ignore:The default scheme will be changed"),
]

SIGN_IN_PATHS = {"/accounts/login/", "/admin/login/"}

# What no one may do: Django's admin autocomplete (dangol's ModelAdmins list no
# autocomplete_fields), adding or deleting rows the admin keeps read-only (the ledger,
# payments, vouchers), django-ninja's bare /api/ (a 404 for everyone).
NOBODY = Action(
    name="(nobody)", area="", text="", who=frozenset(), scope=policy.Scope.ANY, where="",
    refusal=policy.REFUSALS[policy.Scope.ANY],
)


# --- what a request acts on, and which roles each actor holds towards it ------------------------


@dataclass(frozen=True)
class Target:
    """The object of a request: its kind and its name in the world."""

    kind: str  # "none", "store", "market", "organisation", "own"
    name: str = ""


NONE = (Target("none"),)
STORES = (Target("store", "A1"), Target("store", "B1"))
STORE_PAGES = (Target("store", "A1"), Target("store", "B2"))  # B2 is closed
MARKETS = (Target("market", "A"), Target("market", "B"))
ORGANISATIONS = (Target("organisation", "X"), Target("organisation", "Y"))
OWN = (Target("own", "A1"),)  # the customer's own coupon, voucher, message, consent of A1
UNUSED_VOUCHER = (Target("own", "A"),)  # the customer's unused voucher of market A

# Each actor's memberships (see tests/access/world.py).
OWNS = {"owner": "A1", "staff": "A1", "pos": "A1", "other_owner": "B1"}
ASSOCIATION_OF = {"other_association": "B"}
OPERATES = {"other_operator": "Y"}


def roles(actor: str, target: Target) -> set[Who]:
    """Return the roles `actor` holds towards `target`, from the world's definition."""
    if actor == "anonymous":
        return {Who.ANONYMOUS}
    held: set[Who] = set()
    if target.kind != "own" or actor == "customer":
        held.add(Who.CUSTOMER)
    if actor in OWNS and (target.kind == "none" or target == Target("store", OWNS[actor])):
        held.add(Who.STAFF if actor == "staff" else Who.OWNER)
    market = ASSOCIATION_OF.get(actor)
    if market and (
        target.kind == "none" or target == Target("market", market)
        or (target.kind == "store" and target.name.startswith(market))
    ):
        held.add(Who.ASSOCIATION)
    organisation = OPERATES.get(actor)
    if organisation and target in (Target("none"), Target("organisation", organisation)):
        held.add(Who.OPERATOR)
    if actor == "auditor":
        held.add(Who.AUDITOR)
    if actor == "admin":
        held.add(Who.PLATFORM_ADMIN)
    return held


# --- the declared endpoints ----------------------------------------------------------------------

Fill = Callable[[World, Target], dict[str, Any]]


def nothing(world: World, target: Target) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Check:
    """One method of one endpoint: the action it takes, on what, with which parameters."""

    method: str
    action: Action | dict[str, Action]  # by target name where the action depends on it
    targets: tuple[Target, ...] = NONE
    params: Fill = nothing  # path parameters (page kwargs, API path fields)
    data: Fill = nothing  # form fields or JSON body
    query: Fill = nothing
    headers: Fill = nothing
    prepare: Callable[[Client, World], None] | None = None

    def action_at(self, target: Target) -> Action:
        return self.action[target.name] if isinstance(self.action, dict) else self.action


def get(action: Action | dict[str, Action], targets: tuple[Target, ...] = NONE,
        **fills: Any) -> Check:
    return Check("get", action, targets, **fills)


def post(action: Action | dict[str, Action], targets: tuple[Target, ...] = NONE,
         **fills: Any) -> Check:
    return Check("post", action, targets, **fills)


def store_pk(world: World, target: Target) -> dict[str, Any]:
    return {"pk": world.stores[target.name].pk}


def market_pk(world: World, target: Target) -> dict[str, Any]:
    return {"pk": world.markets[target.name].pk}


def program_pk(world: World, target: Target) -> dict[str, Any]:
    return {"pk": world.programs[target.name].pk}


def approved_grant(world: World, target: Target) -> int:
    """Return the id of a grant of the target's program: its application in review is
    approved (once) by the program's operator."""
    application = world.applications[target.name]
    operator = OrganisationMembership.objects.filter(
        organisation_id=application.program.operator_id, role="operator"
    ).first()
    assert operator is not None  # noqa: S101
    programs.application_approve(application=application, operator_user=operator.user)
    return application.grants.order_by("id").values_list("pk", flat=True)[0]


def key(world: World, target: Target) -> dict[str, Any]:
    return {"idempotency_key": f"matrix-{target.name}"}


def pending_phone(client: Client, world: World) -> None:
    session = client.session
    session["accounts_pending_phone"] = "+821055551212"
    session.save()


def csv_file(world: World, target: Target) -> dict[str, Any]:
    content = "이름,휴대전화\n박새손님,010-7777-8888\n".encode()
    return {"file": SimpleUploadedFile("regulars.csv", content, content_type="text/csv")}


def compose(world: World, target: Target) -> dict[str, Any]:
    return {
        "kind": "ad", "body": "오늘 저녁 고등어 세일", "audience": "all", "when": "now",
        "channels": ["in_app"], "idempotency_key": f"matrix-{target.name}", "held_ack": "0",
    }


def new_program(world: World, target: Target) -> dict[str, Any]:
    return {
        "name": "새 상생 사업", "operator": world.organisations["Y"].pk,
        "starts_on": "2026-11-19", "ends_on": "2027-02-28", "regions": [world.region.pk],
        "budget": 1_000_000, "max_annual_sales": 1_000_000_000, "message_credit": 100_000,
        "market_channel_credit": 0, "cycles_per_month": 0,
    }


def hall_listing(world: World, target: Target) -> dict[str, Any]:
    store = world.hall_items[target.name].store
    product = store.products.order_by("position", "id").last()
    return {"store": store.pk, "product": product.pk, "discount": 1_000, "share_percent": "50"}


def top_up(world: World, target: Target) -> dict[str, Any]:
    return {"amount": 10_000, "card_number": CARD_APPROVE, **key(world, target)}


PAGES: dict[str, list[Check]] = {
    # the site
    "web:home": [get(policy.BROWSE)],
    "web:healthz": [get(policy.HEALTH)],
    "web:console": [get(policy.CONSOLE)],
    "web:merchant": [get(policy.MERCHANT_HOME)],
    "audit:log": [get(policy.AUDIT_LOG)],
    "set_language": [post(policy.LANGUAGE, data=lambda w, t: {"language": "ko"})],
    "dev:outbox": [get(policy.DEV_OUTBOX), post(policy.DEV_OUTBOX)],
    "api:openapi-json": [get(policy.API_DOCS), post(policy.API_DOCS)],
    "api:openapi-view": [get(policy.API_DOCS), post(policy.API_DOCS)],
    "api:api-root": [get(NOBODY), post(NOBODY)],
    # accounts
    "accounts:login": [get(policy.SIGN_IN)],
    "accounts:phone_start": [post(policy.SIGN_IN, data=lambda w, t: {"phone": "010-5555-1212"})],
    "accounts:phone_verify": [
        get(policy.SIGN_IN, prepare=pending_phone),
        post(policy.SIGN_IN, prepare=pending_phone, data=lambda w, t: {"code": "000000"}),
    ],
    "accounts:email_login": [post(policy.SIGN_IN, data=lambda w, t: {
        "email": SIGN_IN_EMAIL, "password": SIGN_IN_PASSWORD})],
    "accounts:logout": [post(policy.SIGN_IN)],
    # places
    "places:market_list": [get(policy.BROWSE)],
    "places:market": [get(policy.BROWSE, MARKETS, params=market_pk)],
    "places:region": [get(policy.BROWSE, params=lambda w, t: {"code": w.region.code})],
    # regulars
    "regulars:store_qr": [get(policy.STORE_VIEW, STORES, params=store_pk)],
    "regulars:store_search": [get(policy.BROWSE, query=lambda w, t: {"q": "수산"})],
    "regulars:store": [get({"A1": policy.STORE_VIEW, "B2": policy.STORE_VIEW_INACTIVE},
                           STORE_PAGES, params=store_pk)],
    "regulars:store_follow": [
        get(policy.FOLLOW, STORES, params=store_pk),
        post(policy.FOLLOW, STORES, params=store_pk, data=lambda w, t: {"ad": "1"}),
    ],
    "regulars:store_unfollow": [post(policy.FOLLOW, STORES, params=store_pk)],
    "regulars:market_follow": [
        get(policy.FOLLOW, MARKETS, params=market_pk),
        post(policy.FOLLOW, MARKETS, params=market_pk),
    ],
    "regulars:market_unfollow": [post(policy.FOLLOW, MARKETS, params=market_pk)],
    "regulars:my_stores": [get(policy.REGULARS_MINE)],
    "regulars:my_consents": [get(policy.REGULARS_MINE)],
    "regulars:consent_withdraw": [post(
        policy.REGULARS_MINE, OWN, params=lambda w, t: {"consent_id": w.consents[t.name].pk}
    )],
    "regulars:my_notices": [get(policy.REGULARS_MINE)],
    "regulars:merchant_regulars": [get(policy.REGULARS_LIST, STORES, params=store_pk)],
    "regulars:merchant_tag_create": [post(
        policy.REGULARS_LIST, STORES, params=store_pk, data=lambda w, t: {"name": "VIP"}
    )],
    "regulars:merchant_follow_tags": [post(
        policy.REGULARS_LIST, STORES,
        params=lambda w, t: {**store_pk(w, t), "follow_id": w.follows[t.name].pk},
    )],
    "regulars:merchant_import": [
        get(policy.REGULARS_IMPORT, STORES, params=store_pk),
        post(policy.REGULARS_IMPORT, STORES, params=store_pk, data=csv_file),
    ],
    "regulars:merchant_import_status": [get(
        policy.REGULARS_IMPORT, STORES,
        params=lambda w, t: {**store_pk(w, t), "import_id": w.imports[t.name].pk},
    )],
    "regulars:merchant_export": [get(policy.REGULARS_EXPORT, STORES, params=store_pk)],
    "regulars:merchant_poster": [get(policy.STORE_POSTER, STORES, params=store_pk)],
    # coupons and stamps
    "coupons:store_coupons": [
        get({"A1": policy.STORE_VIEW, "B2": policy.STORE_VIEW_INACTIVE}, STORE_PAGES,
            params=store_pk),
        post(policy.COUPONS_CLAIM, STORES, params=store_pk,
             data=lambda w, t: {"template": w.templates[t.name].pk}),
    ],
    "coupons:wallet": [get(policy.COUPONS_MINE), post(policy.COUPONS_MINE)],
    "coupons:coupon": [
        get(policy.COUPONS_MINE, OWN, params=lambda w, t: {"pk": w.coupons[t.name].pk}),
        post(policy.COUPONS_MINE, OWN, params=lambda w, t: {"pk": w.coupons[t.name].pk}),
    ],
    "coupons:stamps": [get(policy.STAMPS_MINE), post(policy.STAMPS_MINE)],
    "coupons:my_code": [get(policy.STAMPS_MINE), post(policy.STAMPS_MINE)],
    "coupons:merchant_coupons": [
        get(policy.COUPONS_MANAGE, STORES, params=store_pk),
        post(policy.COUPONS_MANAGE, STORES, params=store_pk,
             data=lambda w, t: {"action": "issue", "template": w.templates[t.name].pk}),
    ],
    "coupons:merchant_redeem": [
        get(policy.COUPONS_REDEEM, STORES, params=store_pk),
        post(policy.COUPONS_REDEEM, STORES, params=store_pk, data=lambda w, t: {
            "code": w.coupons[t.name].code, "purchase_amount": 20_000}),
    ],
    "coupons:merchant_stamps": [
        get(policy.STAMPS_GIVE, STORES, params=store_pk),
        post(policy.STAMPS_GIVE, STORES, params=store_pk,
             data=lambda w, t: {"customer_code": w.customer_code, "count": 1}),
    ],
    "coupons:scan": [
        get(policy.SCAN_OPEN),
        post(policy.COUPONS_REDEEM, STORES,
             data=lambda w, t: {"token": w.coupons[t.name].token}),
    ],
    "coupons:scan_before": [
        get(policy.SCAN_OPEN, STORES, params=lambda w, t: {"token": w.coupons[t.name].token}),
    ],
    "coupons:customer_scan": [
        get(policy.SCAN_OPEN),
        post(policy.STAMPS_SCAN, data=lambda w, t: {"code": w.customer_code}),
    ],
    "coupons:customer_scan_before": [
        get(policy.SCAN_OPEN, params=lambda w, t: {"code": w.customer_code}),
    ],
    # vouchers
    "vouchers:shop": [get(policy.VOUCHERS_BROWSE), post(policy.VOUCHERS_BROWSE)],
    "vouchers:product": [
        get(policy.VOUCHERS_BROWSE, params=lambda w, t: {"pk": w.products["A"].pk}),
        post(policy.VOUCHERS_BUY, params=lambda w, t: {"pk": w.products["A"].pk},
             data=lambda w, t: {"card_number": CARD_APPROVE, "idempotency_key": "matrix"}),
    ],
    # the payment window's return addresses (no order in the query: the domain refuses)
    "vouchers:checkout_success": [get(policy.VOUCHERS_BUY)],
    "vouchers:checkout_fail": [get(policy.VOUCHERS_BUY)],
    "vouchers:mine": [get(policy.VOUCHERS_MINE), post(policy.VOUCHERS_MINE)],
    "vouchers:detail": [
        get(policy.VOUCHERS_MINE, OWN, params=lambda w, t: {"pk": w.vouchers[t.name].pk}),
        post(policy.VOUCHERS_MINE, OWN, params=lambda w, t: {"pk": w.vouchers[t.name].pk},
             data=lambda w, t: {"action": "extend", "extension": "1"}),
    ],
    "vouchers:merchant": [
        get(policy.VOUCHERS_SALES, STORES, params=store_pk),
        post(policy.VOUCHERS_SALES, STORES, params=store_pk),
    ],
    "vouchers:merchant_redeem": [
        get(policy.VOUCHERS_REDEEM, STORES, params=store_pk),
        post(policy.VOUCHERS_REDEEM, STORES, params=store_pk, data=lambda w, t: {
            "code": w.vouchers[t.name].code, "amount": 1_000, **key(w, t)}),
    ],
    "vouchers:product_new": [
        get(policy.VOUCHERS_STORE_PRODUCT, STORES, params=store_pk),
        post(policy.VOUCHERS_STORE_PRODUCT, STORES, params=store_pk, data=lambda w, t: {
            "name": "새 상품권", "kind": "amount", "face_value": 10_000,
            "sale_price": 10_000, "validity_months": 12}),
    ],
    "vouchers:market_product_new": [
        get(policy.VOUCHERS_MARKET_PRODUCT, MARKETS, params=market_pk),
        post(policy.VOUCHERS_MARKET_PRODUCT, MARKETS, params=market_pk, data=lambda w, t: {
            "name": "시장 상품권", "kind": "amount", "face_value": 10_000,
            "sale_price": 10_000, "validity_months": 12}),
    ],
    "vouchers:scan": [
        get(policy.SCAN_OPEN),
        post(policy.VOUCHERS_SCAN, STORES,
             data=lambda w, t: {"token": w.vouchers[t.name].qr_token}),
    ],
    "vouchers:scan_before": [
        get(policy.SCAN_OPEN, STORES,
            params=lambda w, t: {"token": w.vouchers[t.name].qr_token}),
    ],
    # settlement
    "settlement:merchant": [get(policy.STATEMENTS, STORES, params=store_pk)],
    "settlement:statement_pdf": [get(policy.STATEMENT_PDF, STORES, params=lambda w, t: {
        **store_pk(w, t), "payout_pk": w.payouts[t.name].pk})],
    "settlement:runs": [
        get(policy.SETTLEMENT_RUNS_VIEW),
        post(policy.SETTLEMENT_RUN,
             data=lambda w, t: {"action": "regular", "policy": w.policy.pk, "cutoff": ""}),
        post(policy.SETTLEMENT_RUN, data=lambda w, t: {"action": "fast", "day": ""}),
    ],
    "settlement:run": [get(policy.SETTLEMENT_RUNS_VIEW, params=lambda w, t: {"pk": w.run.pk})],
    "settlement:payouts_csv": [
        get(policy.SETTLEMENT_BANK_FILE, params=lambda w, t: {"pk": w.run.pk})
    ],
    "settlement:run_statement_pdf": [get(
        policy.SETTLEMENT_ANY_STATEMENT, params=lambda w, t: {"payout_pk": w.payouts["A1"].pk}
    )],
    # messaging
    "messaging:inbox": [get(policy.INBOX)],
    "privacy:overview": [get(policy.PRIVACY_MINE)],
    "privacy:download": [get(policy.PRIVACY_MINE)],
    "privacy:erase": [get(policy.PRIVACY_ERASE),
                      post(policy.PRIVACY_ERASE, data=lambda w, t: {"confirm": "탈퇴"})],
    "messaging:inbox_message": [get(
        policy.INBOX, OWN, params=lambda w, t: {"delivery_id": w.deliveries[t.name].pk}
    )],
    "messaging:go": [get(policy.MESSAGE_LINKS, params=lambda w, t: {
        "delivery_id": w.deliveries["A1"].pk, "token": w.deliveries["A1"].opt_out_token})],
    "messaging:opt_out": [
        get(policy.MESSAGE_LINKS,
            params=lambda w, t: {"token": w.deliveries["A1"].opt_out_token}),
        post(policy.MESSAGE_LINKS,
             params=lambda w, t: {"token": w.deliveries["A1"].opt_out_token}),
    ],
    "messaging:closing_sale": [post(
        policy.STORE_MESSAGES_SEND, STORES, params=store_pk, data=lambda w, t: {
            "item": "고등어", "price": 5_000, "until": "20:00", **key(w, t)}
    )],
    "messaging:store_messages": [get(policy.STORE_MESSAGES_VIEW, STORES, params=store_pk)],
    "messaging:store_message_new": [
        get(policy.STORE_MESSAGES_SEND, STORES, params=store_pk),
        post(policy.STORE_MESSAGES_SEND, STORES, params=store_pk, data=compose),
    ],
    "messaging:store_message": [get(policy.STORE_MESSAGES_VIEW, STORES, params=lambda w, t: {
        **store_pk(w, t), "campaign_id": w.campaigns[t.name].pk})],
    "messaging:store_credit": [
        get(policy.STORE_CREDIT, STORES, params=store_pk),
        post(policy.STORE_CREDIT, STORES, params=store_pk, data=top_up),
    ],
    "messaging:store_credit_success": [get(policy.STORE_CREDIT, STORES, params=store_pk)],
    "messaging:store_credit_fail": [get(policy.STORE_CREDIT, STORES, params=store_pk)],
    "messaging:market_messages": [get(policy.MARKET_MESSAGES_VIEW, MARKETS, params=market_pk)],
    "messaging:market_message_new": [
        get(policy.MARKET_MESSAGES_SEND, MARKETS, params=market_pk),
        post(policy.MARKET_MESSAGES_SEND, MARKETS, params=market_pk,
             data=lambda w, t: {**compose(w, t), "audience": "market"}),
    ],
    "messaging:market_message": [get(policy.MARKET_MESSAGES_VIEW, MARKETS, params=lambda w, t: {
        **market_pk(w, t), "campaign_id": w.campaigns[t.name].pk})],
    "messaging:market_credit": [
        get(policy.MARKET_CREDIT, MARKETS, params=market_pk),
        post(policy.MARKET_CREDIT, MARKETS, params=market_pk, data=top_up),
    ],
    "messaging:market_credit_success": [get(policy.MARKET_CREDIT, MARKETS, params=market_pk)],
    "messaging:market_credit_fail": [get(policy.MARKET_CREDIT, MARKETS, params=market_pk)],
    # programs
    "programs:hall_checkout_success": [get(policy.HALL_BUY)],
    "programs:hall_checkout_fail": [get(policy.HALL_BUY)],
    "programs:hall": [get(policy.HALL_BROWSE, ORGANISATIONS,
                          params=lambda w, t: {"program_id": w.programs[t.name].pk})],
    "programs:hall_item": [
        get(policy.HALL_BROWSE, ORGANISATIONS, params=lambda w, t: {
            "program_id": w.programs[t.name].pk, "item_id": w.hall_items[t.name].pk}),
        post(policy.HALL_BUY, ORGANISATIONS, params=lambda w, t: {
            "program_id": w.programs[t.name].pk, "item_id": w.hall_items[t.name].pk},
            data=lambda w, t: {"card_number": CARD_APPROVE, **key(w, t)}),
    ],
    "programs:console_list": [get(policy.CONSOLE)],
    "programs:console_new": [
        get(policy.PROGRAM_CREATE), post(policy.PROGRAM_CREATE, data=new_program),
    ],
    "programs:console_pledges": [get(policy.PLEDGES_VIEW)],
    "programs:console_detail": [get(policy.PROGRAM_VIEW, ORGANISATIONS, params=program_pk)],
    "programs:console_decide": [post(
        policy.PROGRAM_REVIEW, ORGANISATIONS, params=lambda w, t: {
            **program_pk(w, t), "application_pk": w.applications[t.name].pk},
        data=lambda w, t: {"action": "reject", "reason": "매출 기준 초과"},
    )],
    "programs:console_grant_withdraw": [post(
        policy.PROGRAM_REVIEW, ORGANISATIONS, params=lambda w, t: {
            **program_pk(w, t), "grant_pk": approved_grant(w, t)},
        data=lambda w, t: {"reason": "허위 신청"},
    )],
    "programs:console_enrol": [post(policy.PROGRAM_ROLLOUT, ORGANISATIONS, params=program_pk,
                                    data=lambda w, t: {"region": w.region.code})],
    "programs:console_applications_export": [get(
        policy.PROGRAM_EXPORT, ORGANISATIONS,
        params=lambda w, t: {**program_pk(w, t), "kind": "csv"},
    )],
    "programs:console_grants_export": [get(
        policy.PROGRAM_EXPORT, ORGANISATIONS,
        params=lambda w, t: {**program_pk(w, t), "kind": "xlsx"},
    )],
    "programs:console_pledge_new": [post(policy.PLEDGES_WRITE, data=lambda w, t: {
        "organisation": w.organisations["Y"].pk, "text": "약속", "metric": "reported",
        "target": 10, "deadline": "2027-01-31"})],
    "programs:console_pledge_report": [post(
        policy.PLEDGES_WRITE, ORGANISATIONS,
        params=lambda w, t: {"pledge_pk": w.pledges[t.name].pk},
        data=lambda w, t: {"value": 5, "evidence": "현장 점검 보고서"},
    )],
    "programs:console_hall": [
        get(policy.PROGRAM_VIEW, ORGANISATIONS, params=program_pk),
        post(policy.PROGRAM_HALL, ORGANISATIONS, params=program_pk, data=hall_listing),
    ],
    "programs:console_markets": [get(policy.PROGRAM_VIEW, ORGANISATIONS, params=program_pk)],
    "programs:console_enrolment_advance": [post(
        policy.PROGRAM_ROLLOUT, ORGANISATIONS,
        params=lambda w, t: {**program_pk(w, t), "enrolment_pk": w.enrolments[t.name].pk},
        data=lambda w, t: {"to": "preparing"},
    )],
    "programs:console_target": [post(
        policy.PROGRAM_ROLLOUT, ORGANISATIONS, params=program_pk,
        data=lambda w, t: {"markets": 2, "due_on": "2027-01-31"},
    )],
    "programs:apply": [
        get(policy.PROGRAM_APPLICATION_VIEW, STORES,
            params=lambda w, t: {**store_pk(w, t), "program_pk": w.programs["Y"].pk}),
        post(policy.PROGRAM_APPLY, STORES,
             params=lambda w, t: {**store_pk(w, t), "program_pk": w.programs["Y"].pk},
             data=lambda w, t: {"declared_annual_sales": 100_000_000, "confirm": "on"}),
    ],
}


def admin_checks(name: str, pattern: str) -> list[Check]:
    """Return the checks of a page of Django's admin site (generated, like the admin)."""
    if name == "admin:login":
        return [get(policy.SIGN_IN)]
    if name == "admin:logout":
        return [post(policy.SIGN_IN)]
    if name == "admin:autocomplete":
        return [get(NOBODY)]

    def fill(world: World, target: Target) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "<path:content_type_id>" in pattern:
            store = world.stores["A1"]
            values["content_type_id"] = ContentType.objects.get_for_model(store).pk
            values["object_id"] = store.pk
        elif "<path:object_id>" in pattern:
            model = apps.get_model(*name.removeprefix("admin:").split("_")[:2])
            row = model._default_manager.order_by("pk").first()
            values["object_id"] = row.pk if row is not None else 0
        if "<id>" in pattern:
            values["id"] = world.users["admin"].pk
        if "app_label" in pattern:
            values["app_label"] = "places"
        return values

    checks = [get(policy.ADMIN_SITE if admin_opens(name) else NOBODY, params=fill)]
    if name == "admin:messaging_messageprice_change":
        checks.append(post(policy.MESSAGE_PRICES, params=lambda w, t: {
            "object_id": apps.get_model("messaging", "MessagePrice").objects.get(
                channel="sms").pk},
            data=lambda w, t: {"channel": "sms", "price": 25}))
    return checks


def admin_opens(name: str) -> bool:
    """Return whether Django's admin opens an add or delete page at all (the superuser's
    permissions): some ModelAdmins keep their rows read-only."""
    found = re.fullmatch(r"admin:([a-z]+)_([a-z]+)_(add|delete)", name)
    if found is None:
        return True
    model_admin = admin.site._registry[apps.get_model(found[1], found[2])]
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    if found[3] == "add":
        return bool(model_admin.has_add_permission(request))
    return bool(model_admin.has_delete_permission(request))


def named_pages() -> dict[str, str]:
    """Return every named page of the URL map (name → pattern), but the JSON API's
    operations, which the OpenAPI document lists."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for item in resolver.url_patterns:
            if isinstance(item, URLResolver):
                inner = item.namespace or ""
                walk(item, prefix + str(item.pattern),
                     f"{namespace}:{inner}".strip(":") if inner else namespace)
            elif isinstance(item, URLPattern) and item.name:
                name = f"{namespace}:{item.name}" if namespace else item.name
                found.setdefault(name, prefix + str(item.pattern))

    walk(get_resolver(), "", "")
    api_pages = {"api:openapi-json", "api:openapi-view", "api:api-root"}
    return {
        name: pattern for name, pattern in found.items()
        if not name.startswith("api:") or name in api_pages
    }


def page_checks() -> dict[str, list[Check]]:
    """Return the checks of every named page: declared above, generated for the admin."""
    return {
        name: admin_checks(name, pattern) if name.startswith("admin:") else PAGES.get(name, [])
        for name, pattern in named_pages().items()
    }


# --- the JSON API -------------------------------------------------------------------------------


def store_id(world: World, target: Target) -> dict[str, Any]:
    return {"store_id": world.stores[target.name].pk}


def market_id(world: World, target: Target) -> dict[str, Any]:
    return {"market_id": world.markets[target.name].pk}


def idempotency(world: World, target: Target) -> dict[str, Any]:
    return {"Idempotency-Key": f"matrix-{target.kind}-{target.name}"}


def api_compose(world: World, target: Target) -> dict[str, Any]:
    return {"kind": "ad", "body": "오늘 저녁 고등어 세일", "audience": (
        "market" if target.kind == "market" else "all"), "channels": ["in_app"]}


def own_voucher(world: World, target: Target) -> dict[str, Any]:
    return {"voucher_id": world.vouchers[target.name].pk}


API: dict[str, Check] = {
    # places
    "dangol_places_api_list_regions": get(policy.BROWSE),
    "dangol_places_api_get_region": get(policy.BROWSE, params=lambda w, t: {"code": w.region.code}),
    "dangol_places_api_list_markets": get(policy.BROWSE),
    "dangol_places_api_get_market": get(policy.BROWSE, MARKETS, params=market_id),
    "dangol_places_api_list_stores": get(policy.BROWSE),
    "dangol_places_api_get_store": get(
        {"A1": policy.STORE_VIEW, "B2": policy.STORE_VIEW_INACTIVE}, STORE_PAGES,
        params=store_id),
    # regulars
    "dangol_regulars_api_list_my_follows": get(policy.REGULARS_MINE),
    "dangol_regulars_api_follow_store": Check(
        "put", policy.FOLLOW, STORES, params=store_id, data=lambda w, t: {"ad": True}),
    "dangol_regulars_api_unfollow_store": Check("delete", policy.FOLLOW, STORES, params=store_id),
    "dangol_regulars_api_follow_market": Check(
        "put", policy.FOLLOW, MARKETS, params=market_id, data=lambda w, t: {"ad": True}),
    "dangol_regulars_api_unfollow_market": Check(
        "delete", policy.FOLLOW, MARKETS, params=market_id),
    "dangol_regulars_api_get_store_consent": get(policy.REGULARS_MINE, STORES, params=store_id),
    "dangol_regulars_api_grant_store_consent": post(
        policy.FOLLOW, STORES, params=store_id, data=lambda w, t: {"night": True}),
    "dangol_regulars_api_withdraw_store_consent": post(
        policy.FOLLOW, STORES, params=store_id, data=lambda w, t: {"night_only": False}),
    "dangol_regulars_api_list_regulars": get(policy.REGULARS_LIST, STORES, params=store_id),
    "dangol_regulars_api_regulars_counts": get(policy.REGULARS_LIST, STORES, params=store_id),
    # coupons
    "dangol_coupons_api_redeem_coupon": post(
        policy.COUPONS_REDEEM, STORES, params=store_id, data=lambda w, t: {
            "code": w.coupons[t.name].code, "purchase_amount": 20_000,
            "idempotency_key": "matrix"}),
    "dangol_coupons_api_give_stamps": post(
        policy.STAMPS_GIVE, STORES, params=store_id,
        data=lambda w, t: {"customer_code": w.customer_code, "count": 1}),
    "dangol_coupons_api_list_templates": get(policy.COUPONS_MANAGE, STORES, params=store_id),
    "dangol_coupons_api_my_coupons": get(policy.COUPONS_MINE),
    "dangol_coupons_api_claim_coupon": post(
        policy.COUPONS_CLAIM, STORES, headers=idempotency,
        params=lambda w, t: {**store_id(w, t), "template_id": w.templates[t.name].pk}),
    # vouchers
    "dangol_vouchers_api_list_products": get(policy.VOUCHERS_BROWSE),
    "dangol_vouchers_api_purchase_voucher": post(
        policy.VOUCHERS_BUY, headers=idempotency,
        data=lambda w, t: {"product_id": w.products["A"].pk, "card_number": CARD_APPROVE}),
    "dangol_vouchers_api_my_vouchers": get(policy.VOUCHERS_MINE),
    "dangol_vouchers_api_my_voucher": get(policy.VOUCHERS_MINE, OWN, params=own_voucher),
    "dangol_vouchers_api_gift_voucher": post(
        policy.VOUCHERS_MINE, OWN, params=own_voucher, headers=idempotency,
        data=lambda w, t: {"to_phone": "010-3333-4444", "message": "선물"}),
    "dangol_vouchers_api_extend_voucher": post(
        policy.VOUCHERS_MINE, OWN, params=own_voucher, headers=idempotency),
    "dangol_vouchers_api_refund_voucher": post(
        policy.VOUCHERS_MINE, UNUSED_VOUCHER, params=own_voucher, headers=idempotency,
        data=lambda w, t: {"reason": "단순 변심"}),
    "dangol_vouchers_api_redeem_voucher": post(
        policy.VOUCHERS_REDEEM, STORES, params=store_id, headers=idempotency,
        data=lambda w, t: {"code": w.vouchers[t.name].code, "amount": 1_000}),
    "dangol_vouchers_api_list_redemptions": get(policy.VOUCHERS_SALES, STORES, params=store_id),
    "dangol_vouchers_api_check_voucher": post(
        policy.VOUCHERS_REDEEM, STORES, params=store_id,
        data=lambda w, t: {"code": w.vouchers[t.name].code}),
    # settlement
    "dangol_settlement_api_store_settlements": get(policy.STATEMENTS, STORES, params=store_id),
    "dangol_settlement_api_list_runs": get(policy.SETTLEMENT_RUNS_VIEW),
    "dangol_settlement_api_get_run": get(
        policy.SETTLEMENT_RUNS_VIEW, params=lambda w, t: {"run_id": w.run.pk}),
    "dangol_settlement_api_list_run_payouts": get(
        policy.SETTLEMENT_RUNS_VIEW, params=lambda w, t: {"run_id": w.run.pk}),
    # messaging
    "dangol_messaging_api_check_store_campaign": post(
        policy.STORE_MESSAGES_SEND, STORES, params=store_id, data=api_compose),
    "dangol_messaging_api_send_store_campaign": post(
        policy.STORE_MESSAGES_SEND, STORES, params=store_id, data=api_compose,
        headers=idempotency),
    "dangol_messaging_api_list_store_campaigns": get(
        policy.STORE_MESSAGES_VIEW, STORES, params=store_id),
    "dangol_messaging_api_get_store_campaign": get(
        policy.STORE_MESSAGES_VIEW, STORES,
        params=lambda w, t: {**store_id(w, t), "campaign_id": w.campaigns[t.name].pk}),
    "dangol_messaging_api_get_store_credit": get(policy.STORE_CREDIT, STORES, params=store_id),
    "dangol_messaging_api_check_market_campaign": post(
        policy.MARKET_MESSAGES_SEND, MARKETS, params=market_id, data=api_compose),
    "dangol_messaging_api_send_market_campaign": post(
        policy.MARKET_MESSAGES_SEND, MARKETS, params=market_id, data=api_compose,
        headers=idempotency),
    "dangol_messaging_api_list_market_campaigns": get(
        policy.MARKET_MESSAGES_VIEW, MARKETS, params=market_id),
    "dangol_messaging_api_get_market_campaign": get(
        policy.MARKET_MESSAGES_VIEW, MARKETS,
        params=lambda w, t: {**market_id(w, t), "campaign_id": w.campaigns[t.name].pk}),
    "dangol_messaging_api_get_market_credit": get(
        policy.MARKET_CREDIT, MARKETS, params=market_id),
    "dangol_messaging_api_my_inbox": get(policy.INBOX),
    "dangol_messaging_api_read_message": post(
        policy.INBOX, OWN, params=lambda w, t: {"delivery_id": w.deliveries[t.name].pk}),
    # privacy
    "dangol_privacy_api_my_data": get(policy.PRIVACY_MINE),
}


def api_operations(client: Client) -> list[tuple[str, str, str]]:
    """Return (operationId, method, path) of every operation of /api/openapi.json."""
    document = client.get("/api/openapi.json").json()
    return [
        (operation["operationId"], method, path)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


# --- sending and judging -----------------------------------------------------------------------


@dataclass
class Tally:
    """What the matrix did: requests by outcome, and every disagreement with the policy."""

    endpoints: int = 0
    requests: int = 0
    outcomes: Counter[str] | None = None
    failures: list[str] | None = None

    def __post_init__(self) -> None:
        self.outcomes = Counter()
        self.failures = []


def outcome(response: Any) -> str:
    """Return "allowed", "refused", "domain" (an authorised request the domain refused)
    or "error" (a 5xx, or 405: the table declares a method the endpoint does not take)."""
    status = response.status_code
    if status in (401, 403, 404):
        return "refused"
    if 300 <= status < 400:
        return "refused" if urlsplit(response["Location"]).path in SIGN_IN_PATHS else "allowed"
    if 200 <= status < 300:
        return "allowed"
    if status == 405 or status >= 500:
        return "error"
    return "domain"


def judge(tally: Tally, *, label: str, actor: str, action: Action, target: Target,
          response: Any) -> None:
    assert tally.outcomes is not None and tally.failures is not None  # noqa: S101
    tally.requests += 1
    got = outcome(response)
    tally.outcomes[got] += 1
    allowed = action.allows(roles(actor, target))
    if got == "error" or (got == "refused") == allowed:
        where = response.get("Location", "") if 300 <= response.status_code < 400 else ""
        tally.failures.append(
            f"{label} as {actor}: policy {action.name} "
            f"{'allows' if allowed else 'refuses'}, got {response.status_code} {got} {where}"
        )


def restore_cookies(client: Client, saved: dict[str, str]) -> None:
    client.cookies.clear()
    for name, value in saved.items():
        client.cookies[name] = value


def send(client: Client, method: str, url: str, *, data: dict[str, Any], json: bool,
         headers: dict[str, str]) -> Any:
    """Send one request inside a savepoint that is rolled back; keep the client's cookies."""
    saved = {name: morsel.value for name, morsel in client.cookies.items()}
    with transaction.atomic():
        if method == "get":
            response = client.get(url, data, headers=headers)
        elif json:
            response = getattr(client, method)(
                url, data, content_type="application/json", headers=headers
            )
        else:
            response = client.post(url, data, headers=headers)
        transaction.set_rollback(True)
    restore_cookies(client, saved)
    return response


@pytest.fixture
def world():
    return build_world()


def page_clients(world: World) -> dict[str, Client]:
    clients = {}
    for actor in ACTORS:
        client = Client(raise_request_exception=False)
        if actor != "anonymous":
            client.force_login(world.users[actor])
        clients[actor] = client
    return clients


def summary(kind: str, tally: Tally, actors: tuple[str, ...]) -> str:
    assert tally.outcomes is not None  # noqa: S101
    return (
        f"access matrix ({kind}): {tally.endpoints} endpoints × {len(actors)} actors, "
        f"{tally.requests} requests: {tally.outcomes['allowed']} allowed, "
        f"{tally.outcomes['domain']} refused by the domain, "
        f"{tally.outcomes['refused']} refused by access"
    )


def failures_report(tally: Tally) -> str:
    assert tally.failures is not None  # noqa: S101
    shown = tally.failures[:80]
    more = len(tally.failures) - len(shown)
    return "\n".join(shown) + (f"\n… and {more} more" if more else "")


# --- the tests ----------------------------------------------------------------------------------


def test_every_page_and_api_operation_declares_its_policy(client):
    pages = page_checks()
    undeclared_pages = sorted(name for name, checks in pages.items() if not checks)
    stale_pages = sorted(set(PAGES) - set(pages))
    operations = {operation_id for operation_id, _method, _path in api_operations(client)}
    undeclared_operations = sorted(operations - set(API))
    stale_operations = sorted(set(API) - operations)

    assert not undeclared_pages, f"pages without a policy in PAGES: {undeclared_pages}"
    assert not stale_pages, f"PAGES names pages that no longer exist: {stale_pages}"
    assert not undeclared_operations, f"API operations without a policy: {undeclared_operations}"
    assert not stale_operations, f"API names operations that no longer exist: {stale_operations}"


def test_pages_answer_only_the_actors_the_policy_allows(world):
    clients = page_clients(world)
    tally = Tally()
    pages = page_checks()
    for name, checks in sorted(pages.items()):
        tally.endpoints += 1
        for check in checks:
            for target in check.targets:
                url = reverse(name, kwargs=check.params(world, target))
                query = check.query(world, target)
                for actor in ACTORS:
                    if check.prepare is not None:
                        check.prepare(clients[actor], world)
                    response = send(
                        clients[actor], check.method, url,
                        data=query if check.method == "get" else check.data(world, target),
                        json=False, headers={},
                    )
                    judge(tally, label=f"{check.method.upper()} {url} ({name})", actor=actor,
                          action=check.action_at(target), target=target, response=response)
        if not name.startswith("admin:") and not any(c.method == "post" for c in checks):
            # A page that takes POST must say what a POST is: try one as the admin.
            target = checks[0].targets[0]
            url = reverse(name, kwargs=checks[0].params(world, target))
            response = send(clients["admin"], "post", url, data={}, json=False, headers={})
            if response.status_code != 405:
                assert tally.failures is not None  # noqa: S101
                tally.failures.append(f"POST {url} ({name}) answers {response.status_code}: "
                                      "declare its POST in PAGES")
    admin_pages = sum(1 for name in pages if name.startswith("admin:"))
    print("\n" + summary(f"pages, {admin_pages} of them Django's admin", tally, ACTORS))
    assert not tally.failures, failures_report(tally)


def test_api_answers_only_the_actors_the_policy_allows(world):
    anonymous = Client(raise_request_exception=False)
    tally = Tally()
    for operation_id, method, path in api_operations(anonymous):
        check = API[operation_id]
        assert check.method == method, f"{operation_id} is {method.upper()}"
        tally.endpoints += 1
        for target in check.targets:
            params = check.params(world, target)
            url = re.sub(r"\{(\w+)\}", lambda found: str(params[found[1]]), path)  # noqa: B023
            for actor in API_ACTORS:
                headers = dict(check.headers(world, target))
                if actor != "anonymous":
                    headers["Authorization"] = f"Bearer {world.tokens[actor]}"
                data = check.query(world, target) if method == "get" else check.data(world, target)
                response = send(anonymous, method, url, data=data, json=True, headers=headers)
                judge(tally, label=f"{method.upper()} {url} ({operation_id})", actor=actor,
                      action=check.action_at(target), target=target, response=response)
    print("\n" + summary("API operations", tally, API_ACTORS))
    assert not tally.failures, failures_report(tally)
