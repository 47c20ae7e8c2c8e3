"""May this user do this to that? The decisions behind every page, endpoint and command.

Each decision takes the acting user, an action of `policy` and what it acts on (a store, a
market, an organisation, or nothing), works out which of the action's roles the user holds
towards it, and says yes if any. Getter-checkers (`store_for_manager`,
`market_for_association`) return the object or raise the action's refusal; querysets
(`stores_visible_to`, `stores_managed_by`, `organisations_operated_by`) hold only what the
user may see. Programs' own getter-checkers live in programs and decide with `may`.

The platform administrator is an active superuser: one definition, here. `is_staff` only
opens the admin pages Django's permissions allow; it grants nothing else.

An API token limited to one store (a POS) acts only there: it holds its owner's owner or
staff role at that store and the customer role, never an association, operator, auditor or
administrator role.
"""

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.functional import Promise

from dangol.access import errors, policy
from dangol.access.policy import Action, Who
from dangol.accounts.models import ApiToken, User
from dangol.core.tenancy import Role
from dangol.organisations.models import Organisation, OrganisationMembership
from dangol.places.models import Market, MarketMembership, Store, StoreMembership

Actor = AbstractBaseUser | AnonymousUser | None

STORE_TOKEN_PREFIX = "store:"  # noqa: S105 (a scope's prefix, not a secret)


def signed_in(user: Actor) -> User | None:
    """Return `user` if it is an active, signed-in user, else None."""
    if isinstance(user, User) and user.is_authenticated and user.is_active:
        return user
    return None


def is_platform_admin(user: Actor) -> bool:
    """Return whether `user` is the platform administrator: an active superuser."""
    account = signed_in(user)
    return account is not None and account.is_superuser


def token_store_id(token: ApiToken | None) -> int | None:
    """Return the store a token is limited to, or None for a token without a scope."""
    if token is None or not token.scope.startswith(STORE_TOKEN_PREFIX):
        return None
    return int(token.scope.removeprefix(STORE_TOKEN_PREFIX))


class _Roles:
    """The roles one user holds towards one target, each looked up at most once."""

    def __init__(
        self, user: User, *, store: Store | None, market_id: int | None,
        organisation_id: int | None, token: ApiToken | None,
    ) -> None:
        self.user = user
        self.store = store
        self.market_id = store.market_id if store is not None else market_id
        self.organisation_id = organisation_id
        self.token_store_id = token_store_id(token)
        self._store_roles: set[str] | None = None
        self._market_roles: set[str] | None = None
        self._organisation_roles: set[str] | None = None
        self._any_organisation_roles: set[str] | None = None

    @property
    def scoped_token(self) -> bool:
        return self.token_store_id is not None

    def store_roles(self) -> set[str]:
        """Owner/staff at the target store (at any store when there is none)."""
        if self._store_roles is None:
            memberships = StoreMembership.objects.filter(user=self.user)
            if self.store is not None:
                memberships = memberships.filter(store=self.store)
            if self.token_store_id is not None:
                memberships = memberships.filter(store_id=self.token_store_id)
            self._store_roles = set(memberships.values_list("role", flat=True).distinct())
        return self._store_roles

    def market_roles(self) -> set[str]:
        """Association/tutor of the target market (of any market when there is none)."""
        if self._market_roles is None:
            memberships = MarketMembership.objects.filter(user=self.user)
            if self.market_id is not None:
                memberships = memberships.filter(market_id=self.market_id)
            elif self.store is not None:  # a store outside any market has no association
                memberships = memberships.none()
            self._market_roles = set(memberships.values_list("role", flat=True).distinct())
        return self._market_roles

    def organisation_roles(self) -> set[str]:
        """Operator/auditor of the target organisation (of any when there is none)."""
        if self.organisation_id is None:
            return self.any_organisation_roles()
        if self._organisation_roles is None:
            self._organisation_roles = set(
                OrganisationMembership.objects.filter(
                    user=self.user, organisation_id=self.organisation_id
                ).values_list("role", flat=True)
            )
        return self._organisation_roles

    def any_organisation_roles(self) -> set[str]:
        if self._any_organisation_roles is None:
            self._any_organisation_roles = set(
                OrganisationMembership.objects.filter(user=self.user)
                .values_list("role", flat=True).distinct()
            )
        return self._any_organisation_roles

    def holds(self, who: Who) -> bool:
        """Return whether the user holds `who` towards the target."""
        if who is Who.ANONYMOUS:
            return False
        if who is Who.CUSTOMER:
            return True
        if who in (Who.OWNER, Who.STAFF):
            if self.scoped_token and self.store is not None \
                    and self.store.pk != self.token_store_id:
                return False
            return who.value in self.store_roles()
        if self.scoped_token:
            return False
        if who in (Who.ASSOCIATION, Who.TUTOR):
            return who.value in self.market_roles()
        if who is Who.OPERATOR:
            return Role.OPERATOR in self.organisation_roles()
        if who is Who.AUDITOR:
            return Role.AUDITOR in self.any_organisation_roles()
        return self.user.is_superuser  # Who.PLATFORM_ADMIN


# What one request has already looked up, per user and target (see `holds_any`).
Memo = dict[tuple[int, int | None, int | None, int | None, int | None], _Roles]

# Roles that need no query first, then one query each.
_CHEAP_FIRST = [
    Who.ANONYMOUS, Who.CUSTOMER, Who.PLATFORM_ADMIN, Who.OWNER, Who.STAFF, Who.ASSOCIATION,
    Who.TUTOR, Who.OPERATOR, Who.AUDITOR,
]


def holds_any(
    user: Actor, roles: Iterable[Who], *, store: Store | None = None,
    market: Market | None = None, organisation_id: int | None = None,
    token: ApiToken | None = None, memo: Memo | None = None,
) -> bool:
    """Return whether `user` holds one of `roles` towards the store, the market or the
    organisation given (towards any of them when none is), as seen through `token`.

    `memo` (a dict kept for one request) lets the decisions of one request about the same
    target share their lookups.
    """
    wanted = set(roles)
    account = signed_in(user)
    if account is None:
        return Who.ANONYMOUS in wanted
    market_id = market.pk if market is not None else None
    key = (
        account.pk, store.pk if store is not None else None, market_id, organisation_id,
        token.pk if token is not None else None,
    )
    facts = memo.get(key) if memo is not None else None
    if facts is None:
        facts = _Roles(
            account, store=store, market_id=market_id, organisation_id=organisation_id,
            token=token,
        )
        if memo is not None:
            memo[key] = facts
    return any(facts.holds(who) for who in _CHEAP_FIRST if who in wanted)


def may(
    user: Actor, action: Action, *, store: Store | None = None, market: Market | None = None,
    organisation_id: int | None = None, token: ApiToken | None = None,
    memo: Memo | None = None,
) -> bool:
    """Return whether `user` may take `action` on what is given (see `holds_any`)."""
    return holds_any(
        user, action.who, store=store, market=market, organisation_id=organisation_id,
        token=token, memo=memo,
    )


def require(
    user: Actor, action: Action, *, store: Store | None = None, market: Market | None = None,
    organisation_id: int | None = None, token: ApiToken | None = None,
    memo: Memo | None = None,
) -> None:
    """Raise the action's refusal unless `user` may take `action` on what is given.

    When the user may but the store-scoped token they act through may not, the refusal
    says it is the token.
    """

    def allowed(through: ApiToken | None) -> bool:
        return may(
            user, action, store=store, market=market, organisation_id=organisation_id,
            token=through, memo=memo,
        )

    if allowed(None):
        if token_store_id(token) is None or allowed(token):
            return
        raise action.refusal(_token_refusal(store=store, market=market))
    raise action.refusal()


def _token_refusal(*, store: Store | None, market: Market | None) -> Promise:
    if store is not None:
        return errors.TOKEN_NOT_FOR_STORE
    if market is not None:
        return errors.TOKEN_NOT_FOR_MARKET
    return errors.TOKEN_NOT_FOR_PLATFORM


# --- named decisions -----------------------------------------------------------------------------


def may_manage_store(user: Actor, store: Store, *, token: ApiToken | None = None) -> bool:
    """Return whether `user` runs `store`: its owner or staff, or the platform admin."""
    return holds_any(user, policy.STORE_TEAM, store=store, token=token)


def may_run_market(user: Actor, market: Market, *, token: ApiToken | None = None) -> bool:
    """Return whether `user` runs `market`'s channel: its association, or the platform admin."""
    return holds_any(user, policy.ASSOCIATION, market=market, token=token)


def may_tutor(user: Actor, market: Market) -> bool:
    """Return whether `user` is a tutor assigned to `market` (or the platform admin)."""
    return may(user, policy.TUTOR, market=market)


def may_operate(user: Actor, organisation_id: int) -> bool:
    """Return whether `user` operates organisation `organisation_id` (or is the admin)."""
    return holds_any(user, policy.OPERATORS, organisation_id=organisation_id)


def may_audit(user: Actor) -> bool:
    """Return whether `user` reads every organisation's programs and pledges: an auditor
    of any organisation, or the platform admin."""
    return holds_any(user, [Who.AUDITOR, Who.PLATFORM_ADMIN])


def require_platform_admin(user: Actor, *, token: ApiToken | None = None) -> None:
    """Raise PlatformAdminOnly unless `user` is the platform administrator (never through a
    store-scoped token)."""
    require(user, policy.SETTLEMENT_RUN, token=token)


# --- getter-checkers ---------------------------------------------------------------------------


def store_for_manager(
    *, user: Actor, store_id: int, action: Action, token: ApiToken | None = None,
    memo: Memo | None = None,
) -> Store:
    """Return store `store_id` (with its market) if `user` may take `action` there.

    Raise StoreNotFound if there is no such store, the action's refusal (StoreNotManaged
    for most store actions) if the user or the token may not.
    """
    store = Store.objects.select_related("market").filter(pk=store_id).first()
    if store is None:
        raise errors.StoreNotFound()
    require(user, action, store=store, token=token, memo=memo)
    return store


def market_for_association(
    *, user: Actor, market_id: int, action: Action, token: ApiToken | None = None,
    memo: Memo | None = None,
) -> Market:
    """Return market `market_id` if `user` may take `action` there (its association, or the
    platform admin; never through a store-scoped token).

    Raise MarketNotFound if there is no such market, MarketNotManaged if the user may not.
    """
    market = Market.objects.filter(pk=market_id).first()
    if market is None:
        raise errors.MarketNotFound()
    require(user, action, market=market, token=token, memo=memo)
    return market


def store_token_scope(*, user: Actor, store_id: int) -> str:
    """Return the API-token scope that limits a token of `user` to store `store_id`.

    Raise StoreNotManaged unless `user` owns or staffs the store.
    """
    store = Store.objects.filter(pk=store_id).first()
    if store is None or not may(user, policy.STORE_TOKEN, store=store):
        raise errors.StoreNotManaged()
    return f"{STORE_TOKEN_PREFIX}{store.pk}"


# --- querysets narrowed by the user ------------------------------------------------------------


def _stores_where(user: User, roles: Iterable[Who]) -> Q:
    """Return a filter on Store: the stores towards which `user` holds one of `roles`."""
    wanted = set(roles)
    where = Q(pk__in=[])
    if Who.PLATFORM_ADMIN in wanted and user.is_superuser:
        return Q(pk__isnull=False)  # every store (an empty Q() would vanish in an OR)
    for who in (Who.OWNER, Who.STAFF):
        if who in wanted:
            where |= Q(Exists(StoreMembership.objects.filter(
                store=OuterRef("pk"), user=user, role=who.value)))
    for who in (Who.ASSOCIATION, Who.TUTOR):
        if who in wanted:
            where |= Q(Exists(MarketMembership.objects.filter(
                market=OuterRef("market_id"), user=user, role=who.value)))
    return where


def stores_visible_to(user: Actor) -> QuerySet[Store]:
    """Return the stores `user` may see: every active store (`store.view`), and the inactive
    ones `store.view_inactive` opens to them (their own, their market's, all for the admin).
    """
    visible = Q(is_active=True)
    account = signed_in(user)
    if account is not None:
        visible |= _stores_where(account, policy.STORE_VIEW_INACTIVE.who)
    return Store.objects.filter(visible)


def stores_managed_by(user: Actor) -> QuerySet[Store]:
    """Return the stores `user` owns or staffs, by name, with their market.

    The platform administrator may manage any store, but runs only the stores they are a
    member of: this is the list of a merchant's own stores (merchant home, the counter's
    scans), not of everything they may open.
    """
    account = signed_in(user)
    if account is None:
        return Store.objects.none()
    return (
        Store.objects.filter(_stores_where(account, policy.MERCHANTS))
        .select_related("market").order_by("name", "id")
    )


def organisations_operated_by(user: Actor) -> QuerySet[Organisation]:
    """Return the organisations `user` operates, by name (every one for the admin)."""
    account = signed_in(user)
    if account is None:
        return Organisation.objects.none()
    if account.is_superuser:
        return Organisation.objects.order_by("name")
    return Organisation.objects.filter(
        memberships__user=account, memberships__role=Role.OPERATOR
    ).distinct().order_by("name")

