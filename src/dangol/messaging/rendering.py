"""What a recipient reads: the opt-out address of a delivery, the text of a campaign (an ad
framed by the law's marker, sender, contact and opt-out line), and whether it goes by SMS or LMS.

The opt-out line depends on the channel: an ad by SMS/LMS ends with the operator's free 080
number (settings.DANGOL_SMS_OPT_OUT_080: "무료수신거부 080-…", as NHN's ad routes require);
in-app and e-mail ads keep the web opt-out link. Without a 080 number (the demo's outbox;
`dangol check --deploy` requires one with the NHN channel) SMS ads keep the link too."""

from django.conf import settings

from dangol.messaging import rules
from dangol.messaging.models import Campaign, Channel
from dangol.places.models import Market, Store

# The opt-out path the pages serve (M4: `o/<token>/`); the site's origin comes from settings.
OPT_OUT_PATH = "/o/{token}/"
TOKEN_PLACEHOLDER = "0" * 32


def opt_out_url(token: str) -> str:
    """Return the absolute opt-out address of a delivery's token."""
    origin = str(getattr(settings, "SITE_URL", "")).rstrip("/")
    return origin + OPT_OUT_PATH.format(token=token)


def _sender_of(campaign: Campaign) -> Store | Market | None:
    return campaign.store or campaign.market


def opt_out_080() -> str:
    """Return the operator's free 080 opt-out number ("" if none is configured)."""
    return str(getattr(settings, "DANGOL_SMS_OPT_OUT_080", "") or "").strip()


def campaign_text(
    *, campaign: Campaign, token: str = TOKEN_PLACEHOLDER, channel: str = ""
) -> str:
    """Return the text a recipient sees on `channel`: for an ad the "(광고)" prefix, sender
    name, body, contact and the free opt-out line (the 080 number by SMS/LMS, the delivery's
    link elsewhere); an informational message as written from its template."""
    sender = _sender_of(campaign)
    if campaign.kind != Campaign.Kind.AD or sender is None:
        return campaign.body
    return rules.ad_text(
        body=campaign.body, sender_name=sender.name,
        sender_contact=getattr(sender, "phone", "") or "",
        opt_out_url=opt_out_url(token),
        opt_out_080=opt_out_080() if channel in {Channel.SMS, Channel.LMS} else "",
    )


def sms_channel(campaign: Campaign) -> str:
    return str(rules.sms_kind(campaign_text(campaign=campaign, channel=Channel.SMS)))
