"""Who may do what: every action of every interface, and the roles that may take it.

This table is the policy. `checks` decides with it (an action names the roles that may take
it, and `checks` works out which roles a user holds towards a store, a market or an
organisation); docs/access.md is generated from it (`markdown_table()`); and the
access-matrix test (tests/access/test_matrix.py) requests every page and API endpoint as
every kind of user and expects exactly what this table allows.

A role is held towards the action's scope:

- `STORE`: owner and staff of that store; association and tutor of its market.
- `MARKET`: association and tutor of that market.
- `ORGANISATION`: operator of that organisation (a program's operator, a pledge's
  organisation).
- `ANY`: no one object; owner/staff of any store, association of any market, operator of
  any organisation.
- `OWN`: the customer's own rows (follows, consents, coupons, vouchers, inbox); the
  domain's selectors narrow them to the signed-in user.

Customer, auditor and platform administrator are held everywhere: customer means any
signed-in user (acting for themselves), auditor a member of any organisation as auditor
(read-only), platform administrator an active superuser. A store-scoped API token (a POS)
holds only customer and its owner's or staff's role at its store.

Nothing here imports a model: the table is plain data.
"""

from dataclasses import dataclass
from enum import StrEnum

from dangol.access import errors
from dangol.core.errors import PermissionDenied


class Who(StrEnum):
    """A column of the table: a kind of user, relative to the action's scope."""

    ANONYMOUS = "anonymous"
    CUSTOMER = "customer"
    STAFF = "staff"
    OWNER = "owner"
    ASSOCIATION = "association"
    TUTOR = "tutor"
    OPERATOR = "operator"
    AUDITOR = "auditor"
    PLATFORM_ADMIN = "platform_admin"


class Scope(StrEnum):
    """What the roles of an action are held towards (see the module docstring)."""

    ANY = "any"
    OWN = "own"
    STORE = "store"
    MARKET = "market"
    ORGANISATION = "organisation"


@dataclass(frozen=True)
class Action:
    """One thing a user may do, who may do it, and where (pages, API, CLI)."""

    name: str
    area: str
    text: str
    who: frozenset[Who]
    scope: Scope
    where: str
    refusal: type[PermissionDenied]

    def allows(self, roles: set[Who] | frozenset[Who]) -> bool:
        """Return whether a user holding `roles` (towards the scope) may take the action."""
        return not self.who.isdisjoint(roles)


EVERYONE = frozenset(Who)
SIGNED_IN = EVERYONE - {Who.ANONYMOUS}
CUSTOMER = frozenset({Who.CUSTOMER})
STORE_TEAM = frozenset({Who.STAFF, Who.OWNER, Who.PLATFORM_ADMIN})
MERCHANTS = frozenset({Who.STAFF, Who.OWNER})
ASSOCIATION = frozenset({Who.ASSOCIATION, Who.PLATFORM_ADMIN})
OPERATORS = frozenset({Who.OPERATOR, Who.PLATFORM_ADMIN})
READERS = frozenset({Who.OPERATOR, Who.AUDITOR, Who.PLATFORM_ADMIN})
PLATFORM = frozenset({Who.PLATFORM_ADMIN})
# Exports of personal data (full phone numbers, a store's statements with its bank account
# and payouts): the store's owner, who answers for them, and the platform administrator.
# Every such export is recorded in the audit log by the service that makes it
# (regulars_export, statement_pdf_export).
OWNER_ONLY = frozenset({Who.OWNER, Who.PLATFORM_ADMIN})


_DECLARED: list[Action] = []


# The refusal of an action that does not name its own.
REFUSALS: dict[Scope, type[PermissionDenied]] = {
    Scope.ANY: PermissionDenied,
    Scope.OWN: PermissionDenied,
    Scope.STORE: errors.StoreNotManaged,
    Scope.MARKET: errors.MarketNotManaged,
    Scope.ORGANISATION: errors.NotOperator,
}


def _action(name: str, area: str, text: str, who: frozenset[Who], scope: Scope,
            where: str, refusal: type[PermissionDenied] | None = None) -> Action:
    """Declare an action: it joins ACTIONS in the order of this file."""
    action = Action(
        name=name, area=area, text=text, who=who, scope=scope, where=where,
        refusal=refusal or REFUSALS[scope],
    )
    _DECLARED.append(action)
    return action


# --- the table, area by area ------------------------------------------------------------------

HEALTH = _action(
    "site.health", "site", "The health check of load balancers (/healthz)", EVERYONE,
    Scope.ANY, "pages")
LANGUAGE = _action(
    "site.language", "site", "Choose the language of the pages", EVERYONE, Scope.ANY,
    "pages")
API_DOCS = _action(
    "site.api_docs", "site", "The API's OpenAPI document and its interactive docs", EVERYONE,
    Scope.ANY, "pages")
SCAN_OPEN = _action(
    "site.scan", "site",
    "Open a scanner page: it holds no data and posts the QR's code, kept in the URL's "
    "fragment, to the scan action", EVERYONE, Scope.ANY, "pages")
SIGN_IN = _action(
    "accounts.sign_in", "accounts", "Sign in (phone code or e-mail) and out",
    EVERYONE, Scope.ANY, "pages")
BROWSE = _action(
    "places.browse", "store profile",
    "Browse regions, markets and active stores (pages, API), the home page", EVERYONE,
    Scope.ANY, "pages, API")
STORE_VIEW = _action(
    "store.view", "store profile",
    "See an active store's page: products, posts, regulars count, coupons on offer",
    EVERYONE, Scope.STORE, "pages, API")
STORE_VIEW_INACTIVE = _action(
    "store.view_inactive", "store profile", "See an inactive (closed) store",
    frozenset({Who.STAFF, Who.OWNER, Who.ASSOCIATION, Who.PLATFORM_ADMIN}), Scope.STORE,
    "pages, API")
MERCHANT_HOME = _action(
    "store.merchant_home", "store profile",
    "The merchant home: today's figures of each store they run", MERCHANTS, Scope.ANY,
    "pages",
    refusal=errors.MerchantsOnly)
STORE_TOKEN = _action(
    "store.token", "store profile",
    "Create an API token limited to the store (a POS)", MERCHANTS, Scope.STORE,
    "CLI `dangol token create --store`")

FOLLOW = _action(
    "regulars.follow", "regulars",
    "Follow or unfollow a store or a market channel; grant or withdraw its ad consent",
    SIGNED_IN, Scope.ANY, "pages, API")
REGULARS_MINE = _action(
    "regulars.mine", "regulars",
    "Their followed stores and consents, a consent's withdrawal, their notices",
    CUSTOMER, Scope.OWN, "pages, API")
REGULARS_LIST = _action(
    "regulars.list", "regulars",
    "A store's regulars (numbers masked): list, counts, growth, tags", STORE_TEAM,
    Scope.STORE, "pages, API")
REGULARS_IMPORT = _action(
    "regulars.import", "regulars", "Import an existing customer list (CSV)", STORE_TEAM,
    Scope.STORE, "pages")
REGULARS_EXPORT = _action(
    "regulars.export", "regulars", "Export the regulars with full numbers (CSV; in the audit log)",
    OWNER_ONLY, Scope.STORE, "pages", refusal=errors.StoreOwnerOnly)
STORE_POSTER = _action(
    "regulars.poster", "regulars", "Download the counter poster with the follow QR",
    STORE_TEAM, Scope.STORE, "pages")

COUPONS_CLAIM = _action(
    "coupons.claim", "coupons", "Claim a coupon a store offers", SIGNED_IN, Scope.ANY,
    "pages, API")
COUPONS_MINE = _action(
    "coupons.mine", "coupons", "Their coupons: wallet, a coupon's code and QR",
    CUSTOMER, Scope.OWN, "pages, API")
COUPONS_MANAGE = _action(
    "coupons.manage", "coupons",
    "A store's coupons: create a coupon, issue it to every regular, list them", STORE_TEAM,
    Scope.STORE, "pages, API")
COUPONS_REDEEM = _action(
    "coupons.redeem", "coupons",
    "Redeem a coupon at the counter (code, or the coupon's QR) or by POS", STORE_TEAM,
    Scope.STORE, "pages, API")

STAMPS_MINE = _action(
    "stamps.mine", "stamps", "Their stamp cards and personal code (digits, QR)",
    CUSTOMER, Scope.OWN, "pages")
STAMPS_GIVE = _action(
    "stamps.give", "stamps", "Give stamps; start the store's stamp card", STORE_TEAM,
    Scope.STORE, "pages, API")
STAMPS_SCAN = _action(
    "stamps.scan", "stamps",
    "Open a customer's personal QR: the stamp screen of a store they run", MERCHANTS,
    Scope.ANY, "pages",
    refusal=errors.MerchantsOnly)

VOUCHERS_BROWSE = _action(
    "vouchers.browse", "vouchers", "See the vouchers on sale and a voucher product",
    EVERYONE, Scope.ANY, "pages, API")
VOUCHERS_BUY = _action(
    "vouchers.buy", "vouchers", "Buy a voucher by card", SIGNED_IN, Scope.ANY,
    "pages, API")
VOUCHERS_MINE = _action(
    "vouchers.mine", "vouchers",
    "Their vouchers: code and QR, history, gift, refund, 3-month extension", CUSTOMER,
    Scope.OWN, "pages, API")
VOUCHERS_REDEEM = _action(
    "vouchers.redeem", "vouchers",
    "Check a voucher and redeem it (all or part) at the counter or by POS", STORE_TEAM,
    Scope.STORE, "pages, API")
VOUCHERS_SCAN = _action(
    "vouchers.scan", "vouchers",
    "Open a voucher's QR: the redeem screen of a store they run that accepts it",
    MERCHANTS, Scope.ANY, "pages",
    refusal=errors.MerchantsOnly)
VOUCHERS_SALES = _action(
    "vouchers.sales", "vouchers", "A store's voucher figures and redemptions", STORE_TEAM,
    Scope.STORE, "pages, API")
VOUCHERS_STORE_PRODUCT = _action(
    "vouchers.products.store", "vouchers", "Create a voucher product of the store",
    frozenset({Who.OWNER, Who.PLATFORM_ADMIN}), Scope.STORE, "pages",
    refusal=errors.StoreOwnerOnly)
VOUCHERS_MARKET_PRODUCT = _action(
    "vouchers.products.market", "vouchers",
    "Create a market-wide voucher product (its stores accept it)", ASSOCIATION,
    Scope.MARKET, "pages")

STATEMENTS = _action(
    "settlement.statements", "settlement",
    "A store's settlement terms, coming payouts and list of statements", STORE_TEAM,
    Scope.STORE, "pages, API")
STATEMENT_PDF = _action(
    "settlement.statement_pdf", "settlement",
    "Download a store's statement (PDF, with its bank account; in the audit log)", OWNER_ONLY,
    Scope.STORE, "pages", refusal=errors.StoreOwnerOnly)
SETTLEMENT_RUNS_VIEW = _action(
    "settlement.runs.view", "settlement",
    "Settlement runs, a run's payouts and its reconciliation (ledger, payouts, captures)",
    frozenset({Who.AUDITOR, Who.PLATFORM_ADMIN}), Scope.ANY, "pages, API",
    refusal=errors.SettlementReadersOnly)
SETTLEMENT_ANY_STATEMENT = _action(
    "settlement.statements.any", "settlement",
    "Download any store's statement (PDF; in the audit log)", PLATFORM, Scope.ANY, "pages",
    refusal=errors.PlatformAdminOnly)
SETTLEMENT_RUN = _action(
    "settlement.run", "settlement", "Run a regular or a fast settlement", PLATFORM,
    Scope.ANY, "pages; CLI `dangol settle run`, `dangol settle fast` (the machine's operator)",
    refusal=errors.PlatformAdminOnly)
SETTLEMENT_BANK_FILE = _action(
    "settlement.bank_file", "settlement", "Download a run's bank-transfer file (CSV)",
    PLATFORM, Scope.ANY, "pages; CLI `dangol settle csv` (the machine's operator)",
    refusal=errors.PlatformAdminOnly)

STORE_MESSAGES_SEND = _action(
    "messaging.store.send", "messaging",
    "Compose, check and send a store's message; the one-tap 마감 세일", STORE_TEAM,
    Scope.STORE, "pages, API")
STORE_MESSAGES_VIEW = _action(
    "messaging.store.view", "messaging", "A store's messages and their statistics",
    STORE_TEAM, Scope.STORE, "pages, API")
STORE_CREDIT = _action(
    "messaging.store.credit", "messaging",
    "A store's message credit: balance, history, top-up by card", STORE_TEAM, Scope.STORE,
    "pages, API")
MARKET_MESSAGES_SEND = _action(
    "messaging.market.send", "messaging",
    "Compose, check and send the market channel's message", ASSOCIATION, Scope.MARKET,
    "pages, API")
MARKET_MESSAGES_VIEW = _action(
    "messaging.market.view", "messaging",
    "The market channel's messages and their statistics", ASSOCIATION, Scope.MARKET,
    "pages, API")
MARKET_CREDIT = _action(
    "messaging.market.credit", "messaging",
    "The market channel's message credit: balance, history, top-up by card", ASSOCIATION,
    Scope.MARKET, "pages, API")
INBOX = _action(
    "messaging.inbox", "messaging", "Their inbox: read a message", CUSTOMER, Scope.OWN,
    "pages, API")
MESSAGE_LINKS = _action(
    "messaging.links", "messaging",
    "Follow a message's link or opt out from it (the link carries its own secret)",
    EVERYONE, Scope.ANY, "pages")
MESSAGE_PRICES = _action(
    "messaging.prices", "messaging", "Change the price per recipient of a channel",
    PLATFORM, Scope.ANY, "/admin/",
    refusal=errors.PlatformAdminOnly)
SMS_CHANNEL_RESUME = _action(
    "messaging.sms_resume", "messaging",
    "Resume SMS sending paused when the provider's monthly quota ran out",
    PLATFORM, Scope.ANY, "/admin/",
    refusal=errors.PlatformAdminOnly)

PRIVACY_MINE = _action(
    "privacy.mine", "privacy",
    "Their personal data: what is held, its download (.zip of JSON and CSV; API: JSON; "
    "logged)", CUSTOMER, Scope.OWN, "pages, API")
PRIVACY_ERASE = _action(
    "privacy.erase", "privacy",
    "Delete their account (refused while a voucher keeps a balance or a refund is pending, "
    "or while they hold any role)", CUSTOMER, Scope.OWN, "pages")

CONSOLE = _action(
    "programs.console", "programs",
    "The operators' console and its program list (an operator: their organisations' "
    "programs; an auditor: every program)", READERS, Scope.ANY, "pages",
    refusal=errors.ConsoleOnly)
PROGRAM_CREATE = _action(
    "programs.create", "programs", "Create a program for an organisation they operate",
    OPERATORS, Scope.ANY, "pages",
    refusal=errors.NotOperator)
PROGRAM_VIEW = _action(
    "programs.view", "programs",
    "A program: figures, review queue, grants, roll-out, hall, enrolled markets", READERS,
    Scope.ORGANISATION, "pages")
PROGRAM_REVIEW = _action(
    "programs.review", "programs",
    "Approve (grants are made at once) or reject an application", OPERATORS,
    Scope.ORGANISATION, "pages")
PROGRAM_ROLLOUT = _action(
    "programs.rollout", "programs",
    "Enrol a whole 시군구, advance an enrolled market, set the roll-out target", OPERATORS,
    Scope.ORGANISATION, "pages")
PROGRAM_HALL = _action(
    "programs.hall", "programs", "Curate the program's promotion hall", OPERATORS,
    Scope.ORGANISATION, "pages")
PROGRAM_EXPORT = _action(
    "programs.export", "programs", "Export a program's applications and grants (.xlsx, .csv)",
    READERS, Scope.ORGANISATION, "pages")
PLEDGES_VIEW = _action(
    "programs.pledges.view", "programs", "Every organisation's pledges with their progress",
    READERS, Scope.ANY, "pages",
    refusal=errors.ConsoleOnly)
PLEDGES_WRITE = _action(
    "programs.pledges.write", "programs",
    "Record a pledge of their organisation; report a pledge's value", OPERATORS,
    Scope.ORGANISATION, "pages")
PROGRAM_APPLICATION_VIEW = _action(
    "programs.application.view", "programs",
    "A store's application page: the program, its benefits, the application's state",
    STORE_TEAM, Scope.STORE, "pages")
PROGRAM_APPLY = _action(
    "programs.apply", "programs", "Apply the store to a program", frozenset({Who.OWNER}),
    Scope.STORE, "pages",
    refusal=errors.StoreOwnerOnly)
HALL_BROWSE = _action(
    "programs.hall.browse", "programs", "See a program's promotion hall and its items",
    EVERYONE, Scope.ANY, "pages")
HALL_BUY = _action(
    "programs.hall.buy", "programs", "Buy a promotion hall item by card", SIGNED_IN,
    Scope.ANY, "pages")
PROGRAMS_REPORT = _action(
    "programs.report", "programs", "Print every program's figures", PLATFORM, Scope.ANY,
    "CLI `dangol report programs` (the machine's operator)",
    refusal=errors.PlatformAdminOnly)

AUDIT_LOG = _action(
    "audit.log", "audit",
    "The audit log of money actions (an operator: those concerning their organisations; "
    "never editable)", OPERATORS, Scope.ANY, "pages",
    refusal=errors.NotOperator)

TUTOR = _action(
    "tutoring.market", "tutoring",
    "Coach an assigned market (for the tutoring app; no page yet)",
    frozenset({Who.TUTOR, Who.PLATFORM_ADMIN}), Scope.MARKET, "-")

ADMIN_SITE = _action(
    "admin.site", "admin",
    "The admin site /admin/ (a staff account (`is_staff`) sees the pages its Django "
    "permissions open; message prices are the platform administrator's)", PLATFORM,
    Scope.ANY, "/admin/",
    refusal=errors.PlatformAdminOnly)
DEV_OUTBOX = _action(
    "admin.dev_outbox", "admin",
    "The development outbox of SMS and e-mail (only with DANGOL_DEMO=1 or in tests)",
    EVERYONE, Scope.ANY, "pages")

ACTIONS: tuple[Action, ...] = tuple(_DECLARED)
BY_NAME: dict[str, Action] = {action.name: action for action in ACTIONS}


# --- the table as Markdown (docs/access.md) ---------------------------------------------------

COLUMNS: tuple[tuple[Who, str], ...] = (
    (Who.ANONYMOUS, "anonymous"),
    (Who.CUSTOMER, "customer"),
    (Who.STAFF, "staff"),
    (Who.OWNER, "owner"),
    (Who.ASSOCIATION, "association"),
    (Who.TUTOR, "tutor"),
    (Who.OPERATOR, "operator (own org)"),
    (Who.AUDITOR, "auditor"),
    (Who.PLATFORM_ADMIN, "platform admin"),
)
SCOPE_TEXT = {
    Scope.ANY: "",
    Scope.OWN: "their own",
    Scope.STORE: "a store",
    Scope.MARKET: "a market",
    Scope.ORGANISATION: "an organisation's",
}


def _cell(action: Action, who: Who) -> str:
    if action.scope is Scope.OWN and Who.CUSTOMER in action.who:
        # Every signed-in user is a customer of their own rows, whatever else they are.
        return "–" if who is Who.ANONYMOUS else "own"
    return "✓" if who in action.who else "–"


def markdown_table() -> str:
    """Return the policy as a Markdown table: one row per action, one column per role,
    actions grouped by area in declaration order."""
    header = ["area", "action", "where", *(label for _who, label in COLUMNS)]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    area = ""
    for action in ACTIONS:
        scope = SCOPE_TEXT[action.scope]
        text = f"{action.text} (`{action.name}`{', ' + scope if scope else ''})"
        shown_area = action.area if action.area != area else ""
        area = action.area
        cells = [shown_area, text, action.where, *(_cell(action, who) for who, _l in COLUMNS)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m dangol.access.policy: the table of docs/access.md
    print(markdown_table(), end="")
