"""factory_boy factories with Korean fake data (Faker ko_KR)."""

import factory
from faker import Faker

from dangol.accounts.models import User
from dangol.core.brn import brn_check_digit
from dangol.organisations.models import Organisation, OrganisationMembership
from dangol.places.models import Market, MarketMembership, Product, Region, Store, StoreMembership

fake = Faker("ko_KR")


def make_brn(n: int) -> str:
    """Return a valid BRN built from the number `n` (distinct n, distinct BRN)."""
    first = f"{100 + n % 800:03d}{81 + n % 7:02d}{n % 10000:04d}"
    return f"{first[:3]}-{first[3:5]}-{first[5:]}{brn_check_digit(first)}"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("phone",)

    phone = factory.Sequence(lambda n: f"+82101{n:07d}")
    name = factory.LazyFunction(fake.name)


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.kr")
    name = factory.LazyFunction(fake.name)
    password = factory.django.Password("dangol-test-pw")


class SidoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "26"
    level = Region.Level.SIDO
    name = "부산광역시"
    full_name = "부산광역시"


class SigunguFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "26350"
    level = Region.Level.SIGUNGU
    name = "해운대구"
    full_name = "부산광역시 해운대구"
    parent = factory.SubFactory(SidoFactory)


class MarketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Market

    name = factory.Sequence(lambda n: f"테스트시장{n}")
    region = factory.SubFactory(SigunguFactory)
    road_address = "부산광역시 해운대구 윗반송로51번길 86"
    latitude = "35.231100"
    longitude = "129.156200"
    store_count = 171


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"테스트가게{n}")
    category = Store.Category.SEAFOOD
    market = factory.SubFactory(MarketFactory)
    region = factory.SelfAttribute("market.region")
    brn = factory.Sequence(make_brn)
    phone = "+82515441234"
    hours = "08:00–20:00"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"고등어 {n}손")
    price = 12000


class StoreMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoreMembership

    store = factory.SubFactory(StoreFactory)
    user = factory.SubFactory(StaffUserFactory)
    role = "owner"


class MarketMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MarketMembership

    market = factory.SubFactory(MarketFactory)
    user = factory.SubFactory(StaffUserFactory)
    role = "association"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"기관{n}")
    kind = Organisation.Kind.CITY


class OrganisationMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganisationMembership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(StaffUserFactory)
    role = "operator"
