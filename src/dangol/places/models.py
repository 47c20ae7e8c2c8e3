"""Regions, markets and stores: where merchants work and customers go."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dangol.core import clock
from dangol.core.tenancy import Role


class Region(models.Model):
    """One administrative area: a 시도 (2-digit code) or a 시군구 (5-digit code, the
    법정동코드 prefix). Abolished or renamed areas stay, inactive, pointing at their
    successor so that old addresses still resolve."""

    class Level(models.TextChoices):
        SIDO = "sido", _("시도")
        SIGUNGU = "sigungu", _("시군구")

    code = models.CharField(_("코드"), max_length=5, primary_key=True)
    level = models.CharField(_("단계"), max_length=10, choices=Level.choices)
    name = models.CharField(_("이름"), max_length=40, help_text=_("예: 해운대구"))
    full_name = models.CharField(
        _("전체 이름"), max_length=80, help_text=_("예: 부산광역시 해운대구")
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    is_active = models.BooleanField(_("현행"), default=True)
    successor = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="predecessors",
        help_text=_("폐지·명칭 변경된 지역의 현행 지역"),
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("지역")
        verbose_name_plural = _("지역")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(level="sido") & Q(code__regex=r"^[0-9]{2}$"))
                | (Q(level="sigungu") & Q(code__regex=r"^[0-9]{5}$")),
                name="%(app_label)s_%(class)s_code_matches_level",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("places:region", args=[self.code])


class Facility(models.TextChoices):
    """A facility a market may have, as 소상공인시장진흥공단's 전통시장현황 lists them."""

    ARCADE = "arcade", _("아케이드")
    ELEVATOR = "elevator", _("엘리베이터·에스컬레이터")
    CUSTOMER_CENTER = "customer_center", _("고객지원센터")
    SPRINKLER = "sprinkler", _("스프링클러")
    FIRE_DETECTOR = "fire_detector", _("화재감지기")
    PLAYROOM = "playroom", _("유아놀이방")
    CALL_CENTER = "call_center", _("종합콜센터")
    LOUNGE = "lounge", _("고객휴게실")
    NURSING_ROOM = "nursing_room", _("수유센터")
    LOCKERS = "lockers", _("물품보관함")
    BICYCLE_RACK = "bicycle_rack", _("자전거보관함")
    SPORTS = "sports", _("체육시설")
    LIBRARY = "library", _("간이 도서관")
    SHOPPING_CARTS = "shopping_carts", _("쇼핑카트")
    VISITOR_CENTER = "visitor_center", _("외국인 안내센터")
    WALKWAY = "walkway", _("고객동선통로")
    BROADCAST = "broadcast", _("방송센터")
    CULTURE_CLASSROOM = "culture_classroom", _("문화교실")
    WAREHOUSE = "warehouse", _("공동물류창고")
    CUSTOMER_PARKING = "customer_parking", _("시장전용 고객주차장")
    TRAINING_ROOM = "training_room", _("교육장")
    MEETING_ROOM = "meeting_room", _("회의실")
    AED = "aed", _("자동심장충격기")


class Market(models.Model):
    """One traditional market (전통시장) or shopping street (상점가)."""

    class Kind(models.TextChoices):
        MARKET = "market", _("전통시장")
        STREET = "street", _("상점가")

    class MarketType(models.TextChoices):
        PERMANENT = "permanent", _("상설장")
        FIVE_DAY = "five_day", _("5일장")
        BOTH = "both", _("상설장+5일장")

    name = models.CharField(_("시장명"), max_length=100)
    kind = models.CharField(_("구분"), max_length=10, choices=Kind.choices, default=Kind.MARKET)
    market_type = models.CharField(
        _("시장유형"), max_length=12, choices=MarketType.choices, default=MarketType.PERMANENT
    )
    cycle = models.CharField(_("개설주기"), max_length=60, blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="markets",
        limit_choices_to={"level": "sigungu"},
    )
    road_address = models.CharField(_("도로명주소"), max_length=200, blank=True)
    lot_address = models.CharField(_("지번주소"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("위도"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("경도"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    store_count = models.PositiveIntegerField(_("점포수"), null=True, blank=True)
    products = models.JSONField(_("취급품목"), default=list, blank=True)
    vouchers_accepted = models.CharField(_("사용가능상품권"), max_length=200, blank=True)
    homepage = models.CharField(_("홈페이지"), max_length=300, blank=True)
    has_public_toilet = models.BooleanField(_("공중화장실"), null=True, blank=True)
    has_parking = models.BooleanField(_("주차장"), null=True, blank=True)
    opened_year = models.PositiveSmallIntegerField(_("개설연도"), null=True, blank=True)
    phone = models.CharField(_("전화번호"), max_length=40, blank=True)
    facilities = models.JSONField(
        _("편의시설"), default=dict, blank=True,
        help_text=_("Facility 값별 보유 여부 (예: {\"arcade\": true})"),
    )
    description = models.TextField(_("소개"), blank=True)
    # Where the row came from, kept so that it can be shown (공공누리) and re-imported in place.
    source_key = models.CharField(max_length=300, unique=True, null=True, blank=True)
    source_name = models.CharField(_("출처"), max_length=100, blank=True)
    source_date = models.DateField(_("데이터 기준일"), null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("시장")
        verbose_name_plural = _("시장")
        ordering = ["region_id", "name"]
        indexes = [models.Index(fields=["name"], name="places_market_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=33, latitude__lte=39),
                name="%(app_label)s_%(class)s_latitude_in_korea",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=124, longitude__lte=132),
                name="%(app_label)s_%(class)s_longitude_in_korea",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("places:market", args=[self.pk])


class MarketMembership(models.Model):
    """One user's role in one market: its merchants' association (상인회) or a tutor."""

    ROLES = [
        (Role.ASSOCIATION.value, Role.ASSOCIATION.label),
        (Role.TUTOR.value, Role.TUTOR.label),
    ]

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="market_memberships"
    )
    role = models.CharField(_("역할"), max_length=20, choices=ROLES)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("시장 구성원")
        verbose_name_plural = _("시장 구성원")
        constraints = [
            models.UniqueConstraint(
                fields=["market", "user", "role"], name="%(app_label)s_%(class)s_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.market} ({self.role})"


class Store(models.Model):
    """One merchant business (가게, 비즈프로필), in a market or on a shopping street."""

    class Category(models.TextChoices):
        PRODUCE = "produce", _("농산물·과일")
        SEAFOOD = "seafood", _("수산물")
        MEAT = "meat", _("정육·축산물")
        SIDE_DISHES = "side_dishes", _("반찬·김치")
        RICE_CAKE = "rice_cake", _("떡·제과")
        GRAIN = "grain", _("곡물·건어물")
        RESTAURANT = "restaurant", _("음식점·분식")
        CLOTHING = "clothing", _("의류·신발")
        HOUSEHOLD = "household", _("생활용품·잡화")
        HEALTH = "health", _("건강식품·약초")
        FLOWERS = "flowers", _("꽃·화훼")
        OTHER = "other", _("기타")

    class SalesBand(models.TextChoices):
        UNDER_100M = "lt_100m", _("1억 원 미만")
        UNDER_300M = "lt_300m", _("1억~3억 원")
        UNDER_1B = "lt_1b", _("3억~10억 원")
        OVER_1B = "ge_1b", _("10억 원 이상")
        UNKNOWN = "unknown", _("미신고")

    name = models.CharField(_("가게 이름"), max_length=100)
    category = models.CharField(_("업종"), max_length=20, choices=Category.choices)
    market = models.ForeignKey(
        Market, on_delete=models.PROTECT, related_name="stores", null=True, blank=True
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="stores")
    address = models.CharField(_("주소"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("위도"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("경도"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    phone = models.CharField(_("전화번호"), max_length=16, blank=True, help_text=_("E.164 형식"))
    hours = models.CharField(_("영업시간"), max_length=200, blank=True)
    brn = models.CharField(
        _("사업자등록번호"), max_length=12, unique=True, null=True, blank=True,
        help_text=_("000-00-00000"),
    )
    sales_band = models.CharField(
        _("연 매출 구간"), max_length=10, choices=SalesBand.choices, default=SalesBand.UNKNOWN
    )
    description = models.TextField(_("소개"), blank=True)
    is_active = models.BooleanField(_("영업 중"), default=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("가게")
        verbose_name_plural = _("가게")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["market", "category"], name="places_store_market_cat"),
            models.Index(fields=["region"], name="places_store_region"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(brn__isnull=True) | Q(brn__regex=r"^[0-9]{3}-[0-9]{2}-[0-9]{5}$"),
                name="%(app_label)s_%(class)s_brn_format",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("regulars:store", args=[self.pk])


class StoreMembership(models.Model):
    """One user's role (owner or staff) in one store."""

    ROLES = [(Role.OWNER.value, Role.OWNER.label), (Role.STAFF.value, Role.STAFF.label)]

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store_memberships"
    )
    role = models.CharField(_("역할"), max_length=20, choices=ROLES)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("가게 구성원")
        verbose_name_plural = _("가게 구성원")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "user"], name="%(app_label)s_%(class)s_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.store} ({self.role})"


class Product(models.Model):
    """One thing a store sells, with its price in won."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(_("상품명"), max_length=100)
    price = models.PositiveIntegerField(_("가격(원)"))
    unit = models.CharField(_("단위"), max_length=30, blank=True, help_text=_("예: 1손, 1kg"))
    is_available = models.BooleanField(_("판매 중"), default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("상품")
        verbose_name_plural = _("상품")
        ordering = ["store_id", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="%(app_label)s_%(class)s_price_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    """One news post (소식) a store publishes on its profile."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(_("제목"), max_length=100)
    body = models.TextField(_("내용"))
    published_at = models.DateTimeField(_("게시일"), db_index=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("소식")
        verbose_name_plural = _("소식")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


def market_source_key(*, region_code: str, name: str) -> str:
    """Return the natural key of an officially listed market: its 시군구 code and its name.

    The official file has no market id; (시군구, 시장명) is unique in it, and re-importing the
    same market, or the demo's 반송큰시장 followed by the national file, updates one row.
    """
    return f"{region_code}:{name}"
