"""Site-wide pages: health check, layout, the role-aware home and the console entry."""

import pytest
from django.urls import reverse

from dangol.places.models import Store
from dangol.regulars.services import follow_create
from tests.factories import (
    CustomerFactory,
    MarketFactory,
    MarketMembershipFactory,
    OrganisationFactory,
    OrganisationMembershipFactory,
    SidoFactory,
    SigunguFactory,
    StoreFactory,
    StoreMembershipFactory,
)


@pytest.fixture
def haeundae(db):
    return SigunguFactory()


@pytest.fixture
def jongno(db):
    seoul = SidoFactory(code="11", name="서울특별시", full_name="서울특별시")
    return SigunguFactory(code="11110", name="종로구", full_name="서울특별시 종로구", parent=seoul)


@pytest.fixture
def bansong(haeundae):
    return MarketFactory(name="반송큰시장(반송2동시장)", region=haeundae)


@pytest.fixture
def gwangjang(jongno):
    return MarketFactory(
        name="광장시장", region=jongno, latitude="37.570000", longitude="126.999700"
    )


def nearby(response) -> list[str]:
    """Return the names of the markets in the home page's nearby section."""
    return [market.name for market in response.context["markets"]]


# --- health check ------------------------------------------------------------------------


def test_healthz_answers_ok_without_touching_the_database(client):
    # No `db` fixture: pytest-django fails the test if the view queries the database.
    response = client.get(reverse("web:healthz"))

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


# --- layout ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_layout_has_language_landmarks_skip_link_and_attribution(client):
    html = client.get("/").content.decode()

    assert '<html lang="ko">' in html
    assert 'name="viewport"' in html
    assert '<a class="skip-link" href="#main">본문 바로가기</a>' in html
    assert "<header" in html and "<nav" in html and '<main id="main"' in html
    assert "<footer" in html
    assert "전통시장 정보: 소상공인시장진흥공단 전국전통시장표준데이터, 공공누리" in html
    assert 'href="/static/web/css/site.css"' in html


@pytest.mark.django_db
def test_layout_offers_a_language_switch_posting_to_set_language(client):
    html = client.get("/").content.decode()

    assert f'action="{reverse("set_language")}" method="post"' in html
    assert 'name="language" value="ko"' in html
    assert 'name="language" value="en"' in html
    assert ">English</button>" in html


@pytest.mark.django_db
def test_language_switch_changes_the_page_language(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    html = client.get("/").content.decode()

    assert '<html lang="en">' in html


@pytest.mark.django_db
def test_layout_links_the_outbox_only_in_the_demo(client, settings):
    settings.DEMO = False
    assert "/dev/outbox/" not in client.get("/").content.decode()

    settings.DEMO = True
    assert 'href="/dev/outbox/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_layout_shows_sign_out_as_a_post_form_for_signed_in_users(client):
    customer = CustomerFactory(name="김단골")
    client.force_login(customer)

    html = client.get("/").content.decode()

    assert "김단골님" in html
    assert "로그아웃" in html
    assert 'method="post" action="/accounts/' in html


# --- home ---------------------------------------------------------------------------------


def test_home_shows_markets_of_the_default_district_to_anonymous(client, bansong, gwangjang):
    response = client.get("/")

    html = response.content.decode()
    assert "가까운 시장" in html
    assert "부산광역시 해운대구의 시장입니다." in html
    assert nearby(response) == ["반송큰시장(반송2동시장)"]
    assert "내 단골 가게" not in html


def test_home_orders_markets_by_distance_from_the_given_position(client, bansong, gwangjang):
    near_jongno = {"lat": "37.57", "lng": "126.98"}

    response = client.get("/", near_jongno)

    assert nearby(response) == ["광장시장", "반송큰시장(반송2동시장)"]
    html = response.content.decode()
    assert "지금 계신 곳에서 가까운 순서입니다." in html
    assert "1.7km" in html  # 광장시장 is about 1.7 km east of the point


@pytest.mark.parametrize("query", [{"lat": "north", "lng": "1"}, {"lat": "91", "lng": "0"},
                                   {"lat": "nan", "lng": "nan"}, {"lat": "37.5"}])
def test_home_ignores_a_malformed_position(client, bansong, gwangjang, query):
    response = client.get("/", query)

    assert response.status_code == 200
    assert nearby(response) == ["반송큰시장(반송2동시장)"]


def test_home_shows_a_customer_their_regulars_and_their_markets(client, bansong, gwangjang):
    customer = CustomerFactory()
    store = StoreFactory(market=gwangjang, name="광장빈대떡", category=Store.Category.RESTAURANT)
    follow_create(customer=customer, store=store)
    client.force_login(customer)

    response = client.get("/")

    html = response.content.decode()
    assert "내 단골 가게" in html
    assert "광장빈대떡" in html
    assert nearby(response) == ["광장시장"]
    assert "단골 가게가 있는 시장입니다." in html
    assert "내 가게" not in html
    assert "운영 콘솔" not in html


def test_home_invites_a_customer_without_regulars_to_find_some(client, bansong):
    client.force_login(CustomerFactory())

    response = client.get("/")

    assert "아직 단골 가게가 없습니다" in response.content.decode()
    assert nearby(response) == ["반송큰시장(반송2동시장)"]


def test_home_shows_an_owner_their_stores(client, bansong):
    membership = StoreMembershipFactory(store=StoreFactory(market=bansong, name="반송고등어"))
    client.force_login(membership.user)

    html = client.get("/").content.decode()

    assert '<h2 id="my-stores">내 가게</h2>' in html
    assert f'href="{membership.store.get_absolute_url()}"' in html
    assert "반송고등어" in html
    assert "내 단골 가게" not in html
    assert "가까운 시장" in html


def test_home_shows_an_association_its_market(client, bansong):
    membership = MarketMembershipFactory(market=bansong, role="association")
    client.force_login(membership.user)

    html = client.get("/").content.decode()

    assert '<h2 id="my-markets">우리 시장</h2>' in html
    assert "상인회" in html
    assert f'href="{bansong.get_absolute_url()}"' in html


def test_home_shows_a_tutor_their_market(client, bansong):
    membership = MarketMembershipFactory(market=bansong, role="tutor")
    client.force_login(membership.user)

    html = client.get("/").content.decode()

    assert "우리 시장" in html
    assert "디지털 튜터" in html


def test_home_shows_an_operator_the_console_entry(client, bansong):
    membership = OrganisationMembershipFactory(
        organisation=OrganisationFactory(name="부산광역시청"), role="operator"
    )
    client.force_login(membership.user)

    html = client.get("/").content.decode()

    assert '<h2 id="my-console">운영 콘솔</h2>' in html
    assert f'href="{reverse("web:console")}"' in html
    assert "부산광역시청 (운영자)" in html
    assert "내 단골 가게" not in html


def test_home_shows_every_section_for_a_user_with_several_roles(client, bansong):
    user = StoreMembershipFactory(store=StoreFactory(market=bansong)).user
    MarketMembershipFactory(market=bansong, user=user)
    OrganisationMembershipFactory(user=user, role="auditor")
    user.phone = "+821055554444"
    user.save(update_fields=["phone"])
    client.force_login(user)

    html = client.get("/").content.decode()

    for heading in ["내 가게", "우리 시장", "운영 콘솔", "내 단골 가게", "가까운 시장"]:
        assert f">{heading}</h2>" in html


# --- console -----------------------------------------------------------------------------


def test_console_lists_organisations_and_markets_per_sido(client, bansong, gwangjang):
    MarketFactory(region=gwangjang.region)
    membership = OrganisationMembershipFactory(
        organisation=OrganisationFactory(name="부산광역시청"), role="operator"
    )
    client.force_login(membership.user)

    response = client.get(reverse("web:console"))

    assert response.status_code == 200
    rows = {row["sido_name"]: row["markets"] for row in response.context["markets_per_sido"]}
    assert rows == {"부산광역시": 1, "서울특별시": 2}
    html = response.content.decode()
    assert "부산광역시청" in html
    assert "시도별 시장 수" in html


@pytest.mark.parametrize("markets", [1, 6])
def test_console_counts_markets_in_one_query(
    client, haeundae, jongno, django_assert_num_queries, markets
):
    MarketFactory.create_batch(markets, region=haeundae)
    MarketFactory.create_batch(markets, region=jongno)
    user = OrganisationMembershipFactory().user
    client.force_login(user)

    # session, user, the user's roles (access: the console, the settlement link), memberships,
    # markets per 시도, the inbox badge
    with django_assert_num_queries(6):
        client.get(reverse("web:console"))


def test_console_is_forbidden_to_a_customer(client, db):
    client.force_login(CustomerFactory())

    response = client.get(reverse("web:console"))

    assert response.status_code == 403
    assert "이 페이지를 볼 권한이 없습니다" in response.content.decode()


def test_console_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get(reverse("web:console"))

    assert response.status_code == 302
    assert "next=/console/" in response["Location"]
