"""Pages of programs: the operator console's programs, the merchant's application."""

from django.urls import path

from dangol.programs.views import (
    apply,
    console,
    downloads,
    hall_pages,
    hall_shop,
    pledge_pages,
    rollout_pages,
)

app_name = "programs"

urlpatterns: list = [
    # promotion hall (P3)
    path("hall/<int:program_id>/", hall_shop.hall_list, name="hall"),
    path("hall/<int:program_id>/items/<int:item_id>/", hall_shop.hall_item, name="hall_item"),
    path("hall/checkout/success/", hall_shop.hall_checkout_success,
         name="hall_checkout_success"),
    path("hall/checkout/fail/", hall_shop.hall_checkout_fail, name="hall_checkout_fail"),
    # console (P4)
    path("console/programs/", console.program_list, name="console_list"),
    path("console/programs/new/", console.program_new, name="console_new"),
    path("console/programs/pledges/", pledge_pages.pledge_list, name="console_pledges"),
    path("console/programs/<int:pk>/", console.program_detail, name="console_detail"),
    path(
        "console/programs/<int:pk>/applications/<int:application_pk>/decide/",
        console.application_decide,
        name="console_decide",
    ),
    path(
        "console/programs/<int:pk>/grants/<int:grant_pk>/withdraw/",
        console.grant_withdraw,
        name="console_grant_withdraw",
    ),
    path("console/programs/<int:pk>/enrol/", console.region_enrol, name="console_enrol"),
    path(
        "console/programs/<int:pk>/applications.<str:kind>",
        downloads.applications_export,
        name="console_applications_export",
    ),
    path(
        "console/programs/<int:pk>/grants.<str:kind>",
        downloads.grants_export,
        name="console_grants_export",
    ),
    # console actions (P6)
    path("console/programs/pledges/new/", pledge_pages.pledge_new, name="console_pledge_new"),
    path(
        "console/programs/pledges/<int:pledge_pk>/report/",
        pledge_pages.pledge_report,
        name="console_pledge_report",
    ),
    path("console/programs/<int:pk>/hall/", hall_pages.hall_manage, name="console_hall"),
    path(
        "console/programs/<int:pk>/markets/",
        rollout_pages.rollout_markets,
        name="console_markets",
    ),
    path(
        "console/programs/<int:pk>/markets/<int:enrolment_pk>/advance/",
        rollout_pages.enrolment_advance,
        name="console_enrolment_advance",
    ),
    path("console/programs/<int:pk>/target/", rollout_pages.rollout_target, name="console_target"),
    # merchant (P4)
    path(
        "merchant/stores/<int:pk>/programs/<int:program_pk>/apply/",
        apply.apply,
        name="apply",
    ),
]
