"""Voucher products state their validity in calendar months instead of days.

Each product's days become the nearest whole number of months (365 → 12, 730 → 24, 90 and
92 → 3), never below the minimum of its kind (12, or 3 for perishables). Vouchers already
issued keep their `expires_at`: only vouchers bought from now on are counted in months.
"""

from django.db import migrations, models

DAYS_PER_MONTH = 365 / 12


def days_to_months(apps, schema_editor):
    VoucherProduct = apps.get_model("vouchers", "VoucherProduct")
    for product in VoucherProduct.objects.only("pk", "validity_days", "is_perishable"):
        minimum = 3 if product.is_perishable else 12
        months = max(minimum, round(product.validity_days / DAYS_PER_MONTH))
        VoucherProduct.objects.filter(pk=product.pk).update(validity_months=months)


def months_to_days(apps, schema_editor):
    VoucherProduct = apps.get_model("vouchers", "VoucherProduct")
    for product in VoucherProduct.objects.only("pk", "validity_months", "is_perishable"):
        minimum = 90 if product.is_perishable else 365
        days = max(minimum, round(product.validity_months * DAYS_PER_MONTH))
        VoucherProduct.objects.filter(pk=product.pk).update(validity_days=days)


class Migration(migrations.Migration):

    dependencies = [
        ('places', '0003_created_at_from_clock'),
        ('vouchers', '0002_created_at_from_clock'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='voucherproduct',
            name='vouchers_voucherproduct_validity_min',
        ),
        migrations.AddField(
            model_name='voucherproduct',
            name='validity_months',
            field=models.PositiveSmallIntegerField(default=12, help_text='구매일을 포함해 달력으로 셉니다: 12개월이면 2027-03-01 구매분은 2028-02-29까지', verbose_name='유효기간(개월)'),
        ),
        migrations.RunPython(days_to_months, months_to_days),
        migrations.RemoveField(
            model_name='voucherproduct',
            name='validity_days',
        ),
        migrations.AlterField(
            model_name='voucherproduct',
            name='is_perishable',
            field=models.BooleanField(default=False, help_text='유효기간을 3개월까지 줄일 수 있는 상품', verbose_name='신선식품 등'),
        ),
        migrations.AddConstraint(
            model_name='voucherproduct',
            constraint=models.CheckConstraint(condition=models.Q(('validity_months__gte', 12), models.Q(('is_perishable', True), ('validity_months__gte', 3)), _connector='OR'), name='vouchers_voucherproduct_validity_min'),
        ),
    ]
