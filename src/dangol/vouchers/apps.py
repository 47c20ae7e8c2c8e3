from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VouchersConfig(AppConfig):
    name = "dangol.vouchers"
    label = "vouchers"
    verbose_name = _("모바일 상품권")
