"""Seed the operator's message prices with the defaults (in-app ₩15, SMS ₩20, LMS ₩50,
e-mail ₩0). Existing rows (an operator's own prices) are left alone."""

from django.db import migrations

DEFAULTS = {"in_app": 15, "sms": 20, "lms": 50, "email": 0}


def seed(apps, schema_editor):
    MessagePrice = apps.get_model("messaging", "MessagePrice")
    for channel, price in DEFAULTS.items():
        MessagePrice.objects.get_or_create(channel=channel, defaults={"price": price})


def unseed(apps, schema_editor):
    MessagePrice = apps.get_model("messaging", "MessagePrice")
    MessagePrice.objects.filter(
        channel__in=list(DEFAULTS), price__in=list(DEFAULTS.values())
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
