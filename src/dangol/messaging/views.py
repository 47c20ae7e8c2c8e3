"""Pages of messaging: the merchant's and the market association's composer, list, statistics
and message credit, the one-tap 마감 세일, the customer's inbox with read receipts and click
tracking, and the opt-out page that works without signing in.

Thin: parse, authorise, call a service or selector, render. The few one-row writes that are
the page's own business (read receipt, click, opt-out stamp) are single guarded UPDATEs.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dangol.access import policy
from dangol.access.pages import market_for_page, store_for_page
from dangol.accounts.models import User
from dangol.core import clock
from dangol.core.errors import DangolError
from dangol.core.sms import sms_safe_text
from dangol.core.templatetags.korean import kdatetime, won
from dangol.ledger.selectors import account_statement
from dangol.messaging.campaigns import campaign_check, campaign_is_due, campaign_submit
from dangol.messaging.credit import (
    message_credit_account,
    message_credit_checkout_complete,
    message_credit_checkout_open,
    message_credit_top_up,
)
from dangol.messaging.deliveries import delivery_click, delivery_opt_out, delivery_read
from dangol.messaging.forms import ClosingSaleForm, ComposerForm, TopUpAmountForm, TopUpForm
from dangol.messaging.models import Campaign, Channel, Delivery, SuppressedReason
from dangol.messaging.rendering import TOKEN_PLACEHOLDER, opt_out_080
from dangol.messaging.rules import ad_text, closing_sale_body
from dangol.messaging.selectors import (
    campaign_stats,
    campaigns_of,
    inbox_for,
    message_credit_balance,
)
from dangol.payments.window import (
    window_checkout,
    window_failure_message,
    window_page,
    window_refused,
    window_return,
)
from dangol.places.models import Market, Store
from dangol.regulars.rules import is_night_kst


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 (login_required)
    return request.user


# --- senders ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    """A store or a market channel as the pages see it: who sends, and where its pages are."""

    store: Store | None
    market: Market | None

    @property
    def name(self) -> str:
        return str(self.store.name if self.store else self.market.name)  # type: ignore[union-attr]

    @property
    def contact(self) -> str:
        """The sender's phone for the ad text (as campaign_send renders it)."""
        return str((self.store or self.market).phone)  # type: ignore[union-attr]

    @property
    def prefix(self) -> str:
        return "store" if self.store is not None else "market"

    @property
    def pk(self) -> int:
        return int(self.store.pk if self.store else self.market.pk)  # type: ignore[union-attr]

    def url(self, name: str, *args: object) -> str:
        return reverse(f"messaging:{self.prefix}_{name}", args=[self.pk, *args])

    @property
    def kwargs(self) -> dict[str, Any]:
        """The sender as service keyword arguments."""
        return {"store": self.store, "market": self.market}

    def campaigns(self) -> Any:
        return Campaign.objects.filter(store=self.store, market=self.market)


# What a sender's page does, as access's action for a store and for a market channel.
SENDER_ACTIONS = {
    "view": (policy.STORE_MESSAGES_VIEW, policy.MARKET_MESSAGES_VIEW),
    "send": (policy.STORE_MESSAGES_SEND, policy.MARKET_MESSAGES_SEND),
    "credit": (policy.STORE_CREDIT, policy.MARKET_CREDIT),
}


def _sender(request: HttpRequest, kind: str, pk: int, what: str) -> Sender:
    """Return the store or market channel `pk` if the user may do `what` as it (404, 403)."""
    for_store, for_market = SENDER_ACTIONS[what]
    if kind == "store":
        return Sender(store=store_for_page(request, pk, for_store), market=None)
    return Sender(store=None, market=market_for_page(request, pk, for_market))


# --- rendering ---------------------------------------------------------------------------------


def _opt_out_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("messaging:opt_out", args=[token]))


def _preview_text(
    request: HttpRequest, *, sender: Sender, body: str, by_sms: bool = False
) -> str:
    """The exact text a recipient sees in the app and by e-mail (the opt-out URL is a
    per-recipient one) or, `by_sms`, by SMS/LMS as sent (the free 080 line, the text made
    sendable: "₩" as 원)."""
    try:
        text = ad_text(
            body=body, sender_name=sender.name, sender_contact=sender.contact,
            opt_out_url=_opt_out_url(request, TOKEN_PLACEHOLDER),
            opt_out_080=opt_out_080() if by_sms else "",
        )
    except DangolError as exc:
        return exc.message
    return sms_safe_text(text) if by_sms else text


def _check(
    *, sender: Sender, audience: str, tag: Any, channels: list[str], body: str = "",
    template: str = "",
) -> Any:
    return campaign_check(
        sender_store=sender.store, sender_market=sender.market, kind=Campaign.Kind.AD,
        audience=audience, tag=tag, channels=channels, at=clock.now(), body=body,
        template=template,
    )


def _balance(sender: Sender) -> int:
    return int(message_credit_balance(**sender.kwargs))


# --- merchant / association: list, composer, statistics ------------------------------------------


@login_required
@require_safe
def campaign_list(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The sender's messages, newest first, with their figures (one query)."""
    sender = _sender(request, kind, pk, "view")
    campaigns = list(campaigns_of(**sender.kwargs)[:100])
    return render(
        request, "messaging/campaign_list.html",
        {"sender": sender, "campaigns": campaigns, "balance": _balance(sender),
         "new_url": sender.url("message_new"), "credit_url": sender.url("credit")},
    )


def _composer_page(
    request: HttpRequest, *, sender: Sender, form: ComposerForm, status: int = 200,
    check: Any = None, error: str | None = None,
) -> HttpResponse:
    body = (form.data.get("body") if form.is_bound else "") or _("(여기에 쓴 내용이 들어갑니다)")
    return render(
        request, "messaging/composer.html",
        {
            "sender": sender, "form": form, "check": check, "error": error,
            "preview": _preview_text(request, sender=sender, body=str(body)),
            "sms_preview": _preview_text(request, sender=sender, body=str(body), by_sms=True),
            "balance": check.balance if check is not None else _balance(sender),
            "list_url": sender.url("messages"), "credit_url": sender.url("credit"),
            "night": _is_night(),
        },
        status=status,
    )


def _is_night() -> bool:
    return bool(is_night_kst(clock.now()))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_new(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Compose a message: preview the recipient's text, the cost and the night hold, then send.

    Sending is refused (and what was typed is kept) when the check says the credit is short,
    and when some recipients would be held for the night and the merchant has not yet seen
    that number (the preview step shows it and carries it back as `held_ack`).
    """
    sender = _sender(request, kind, pk, "send")
    if request.method != "POST":
        form = ComposerForm(store=sender.store)
        audience = Campaign.Audience.ALL if sender.store else Campaign.Audience.MARKET
        check = _check(sender=sender, audience=audience, tag=None, channels=[Channel.IN_APP])
        return _composer_page(request, sender=sender, form=form, check=check)
    form = ComposerForm(request.POST, request.FILES, store=sender.store)
    if not form.is_valid():
        return _composer_page(request, sender=sender, form=form, status=400)
    data = form.cleaned_data
    try:
        check = _check(
            sender=sender, audience=data["audience"], tag=data.get("tag"),
            channels=data["channels"], body=data["body"],
        )
    except DangolError as exc:
        return _composer_page(request, sender=sender, form=form, error=exc.message,
                              status=exc.status)
    if request.POST.get("action") != "send":
        return _composer_page(request, sender=sender, form=form, check=check)
    due = campaign_is_due(scheduled_at=data["scheduled_at"])
    if due and check.held and request.POST.get("held_ack") != str(check.held):
        return _composer_page(
            request, sender=sender, form=form, check=check, status=409,
            error=_("야간에 보류되는 분이 있습니다. "
                    "아래 안내를 확인한 뒤 다시 [보내기]를 눌러 주세요."),
        )
    try:
        campaign = campaign_submit(
            **sender.kwargs, kind=Campaign.Kind.AD, template=Campaign.Template.FREE,
            body=data["body"], image=data.get("image"),
            coupon_template=data.get("coupon_template"), link_url=data["link_url"],
            link_label=data["link_label"], audience=data["audience"], tag=data.get("tag"),
            channels=data["channels"], scheduled_at=data["scheduled_at"],
            idempotency_key=data["idempotency_key"], created_by=_user(request),
        )
    except DangolError as exc:
        return _composer_page(request, sender=sender, form=form, check=check,
                              error=exc.message, status=exc.status)
    if campaign.status == Campaign.Status.SENT:
        messages.success(request, _sent_message(campaign))
    else:
        messages.success(request, _("%(at)s에 보내도록 예약했습니다.") % {
            "at": kdatetime(campaign.scheduled_at)})
    return redirect(sender.url("message", campaign.pk))


def _sent_message(campaign: Campaign) -> str:
    now = (campaign.targeted - campaign.suppressed_no_consent - campaign.suppressed_withdrawn
           - campaign.held_quiet_hours)
    text = _("%(count)s명에게 보냈습니다 (비용 %(cost)s).") % {
        "count": f"{max(now, 0):,}", "cost": won(campaign.cost)
    }
    if campaign.held_quiet_hours:
        text += " " + _("%(held)s명은 야간 수신 동의가 없어 내일 08:00에 보냅니다.") % {
            "held": f"{campaign.held_quiet_hours:,}"
        }
    return text


@login_required
@require_safe
def campaign_detail(request: HttpRequest, kind: str, pk: int, campaign_id: int) -> HttpResponse:
    """One message's figures: targeted, suppressed by reason, held, delivered, read, clicked,
    opt-outs, cost."""
    sender = _sender(request, kind, pk, "view")
    campaign = sender.campaigns().select_related("coupon_template", "tag").filter(
        pk=campaign_id
    ).first()
    if campaign is None:
        raise Http404
    stats = campaign_stats(campaign=campaign)
    return render(
        request, "messaging/campaign_detail.html",
        {"sender": sender, "campaign": campaign, "stats": stats,
         "suppressed_opted_out": stats.suppressed.get(SuppressedReason.OPTED_OUT, 0),
         "suppressed_withdrawn": stats.suppressed_withdrawn
         + stats.suppressed.get(SuppressedReason.WITHDRAWN_BEFORE_DISPATCH, 0)
         + stats.suppressed.get(SuppressedReason.QUIET_HOURS_WITHDRAWN, 0),
         "preview": _preview_text(request, sender=sender, body=campaign.body),
         "list_url": sender.url("messages")},
    )


# --- 마감 세일 -------------------------------------------------------------------------------


@login_required
@require_POST
def closing_sale(request: HttpRequest, pk: int) -> HttpResponse:
    """The one-tap 마감 세일 from the merchant home: to every consented regular, in-app.

    By day it sends at once. At night, when some regulars would be held until 08:00, it asks
    for confirmation first, showing how many (the same check as the composer).
    """
    sender = _sender(request, "store", pk, "send")
    form = ClosingSaleForm(request.POST)
    if not form.is_valid():
        return render(request, "messaging/closing_sale.html",
                      {"sender": sender, "form": form}, status=400)
    data = form.cleaned_data
    body = closing_sale_body(item=data["item"], price=data["price"], until=data["until"])
    channels = [Channel.IN_APP.value]
    context: dict[str, Any] = {"sender": sender, "form": form,
                               "preview": _preview_text(request, sender=sender, body=body)}
    try:
        check = _check(sender=sender, audience=Campaign.Audience.ALL, tag=None,
                       channels=channels, body=body, template=Campaign.Template.CLOSING_SALE)
        context["check"] = check
        if check.held and data.get("held_ack") != check.held:
            return render(request, "messaging/closing_sale.html", context)
        campaign = campaign_submit(
            store=sender.store, kind=Campaign.Kind.AD,
            template=Campaign.Template.CLOSING_SALE, body=body,
            audience=Campaign.Audience.ALL, channels=channels,
            idempotency_key=data["idempotency_key"], created_by=_user(request),
        )
    except DangolError as exc:
        context["error"] = exc.message
        return render(request, "messaging/closing_sale.html", context, status=exc.status)
    messages.success(request, _("마감 세일을 보냈습니다.") + " " + _sent_message(campaign))
    return redirect(sender.url("message", campaign.pk))


# --- credit ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def credit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The sender's message credit: balance, history, and a top-up by card."""

    sender = _sender(request, kind, pk, "credit")
    form_class = TopUpAmountForm if window_checkout() else TopUpForm
    form: TopUpAmountForm = form_class()
    error = None
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid() and window_checkout():
            try:
                checkout = message_credit_checkout_open(
                    **sender.kwargs, amount=form.cleaned_data["amount"], buyer=_user(request)
                )
            except DangolError as exc:
                error, status = exc.message, exc.status
            else:
                return window_page(
                    request, checkout=checkout,
                    success_url=request.build_absolute_uri(sender.url("credit_success")),
                    fail_url=request.build_absolute_uri(sender.url("credit_fail")),
                    back_url=sender.url("credit"),
                )
        elif form.is_valid():
            data = form.cleaned_data
            try:
                message_credit_top_up(
                    **sender.kwargs, amount=data["amount"], card_number=data["card_number"],
                    idempotency_key=data["idempotency_key"],
                )
            except DangolError as exc:
                error, status = exc.message, exc.status
                form = form_class()
            else:
                messages.success(request, _("%(amount)s원을 충전했습니다.") % {
                    "amount": f"{data['amount']:,}"})
                return redirect(sender.url("credit"))
        else:
            status = 400
    account = message_credit_account(**sender.kwargs)
    page = account_statement(account=account, page=int(request.GET.get("page") or 1))
    return render(
        request, "messaging/credit.html",
        {"sender": sender, "account": account, "page": page, "form": form, "error": error,
         "list_url": sender.url("messages")},
        status=status,
    )


@login_required
@require_safe
def credit_success(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The payment window's successUrl for a top-up: confirm the order (amount checked
    against the stored checkout) and add it to the credit; a reload adds nothing more."""
    sender = _sender(request, kind, pk, "credit")
    returned = window_return(request)
    try:
        message_credit_checkout_complete(**sender.kwargs, buyer=_user(request), **returned)
    except DangolError as exc:
        return window_refused(
            request, message=exc.message, status=exc.status, back_url=sender.url("credit")
        )
    added = f"{returned['amount']:,}"
    messages.success(request, _("%(amount)s원을 충전했습니다.") % {"amount": added})
    return redirect(sender.url("credit"))


@login_required
@require_safe
def credit_fail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The payment window's failUrl for a top-up: say in Korean why nothing was paid."""
    sender = _sender(request, kind, pk, "credit")
    message = window_failure_message(request.GET.get("code", ""), request.GET.get("message", ""))
    return window_refused(request, message=message, status=400, back_url=sender.url("credit"))


# --- customer: inbox -------------------------------------------------------------------------


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    """The customer's in-app messages, newest first; unread ones are bold."""
    items = list(inbox_for(user=_user(request))[:100])
    return render(request, "messaging/inbox.html", {"items": items})


def _own_delivery(request: HttpRequest, delivery_id: int) -> Delivery:
    delivery = inbox_for(user=_user(request)).filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404
    return delivery


@login_required
@require_safe
def inbox_message(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """One message as the customer sees it; opening it records the read receipt (once)."""
    delivery = delivery_read(delivery=_own_delivery(request, delivery_id))
    campaign = delivery.campaign
    if campaign.kind == Campaign.Kind.AD:
        sender = Sender(store=campaign.store, market=campaign.market)
        text = ad_text(
            body=campaign.body, sender_name=sender.name, sender_contact=sender.contact,
            opt_out_url=_opt_out_url(request, delivery.opt_out_token),
        )
    else:
        text = campaign.body
    return render(
        request, "messaging/inbox_message.html",
        {"delivery": delivery, "campaign": campaign, "text": text,
         "opt_out_url": _opt_out_url(request, delivery.opt_out_token)
         if campaign.kind == Campaign.Kind.AD else ""},
    )


@require_safe
def link_go(request: HttpRequest, delivery_id: int, token: str) -> HttpResponse:
    """The link button: record the click (once) and go to the campaign's own link — only
    that one, whatever the query string says, so this is no open redirect."""
    delivery = (
        Delivery.objects.select_related("campaign")
        .filter(pk=delivery_id, opt_out_token=token).first()
    )
    if delivery is None or not delivery.campaign.link_url:
        raise Http404
    url = delivery.campaign.link_url
    if not url.lower().startswith(("https://", "http://")):
        raise Http404
    delivery_click(delivery=delivery)
    return HttpResponseRedirect(url)


# --- opt-out without signing in --------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    """The per-delivery opt-out link: the sender and one button; POST withdraws the consent
    to that sender's ads at once. No sign-in: the unguessable token is the authority."""
    delivery = (
        Delivery.objects.select_related("campaign", "campaign__store", "campaign__market",
                                        "customer")
        .filter(opt_out_token=token, campaign__kind=Campaign.Kind.AD).first()
    )
    if delivery is None or delivery.customer is None:
        raise Http404
    campaign = delivery.campaign
    sender = Sender(store=campaign.store, market=campaign.market)
    done = delivery.opted_out_at is not None
    if request.method == "POST":
        delivery_opt_out(delivery=delivery)
        done = True
    return render(request, "messaging/opt_out.html", {"sender": sender, "done": done,
                                                      "token": token})
