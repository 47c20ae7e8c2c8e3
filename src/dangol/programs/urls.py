"""Pages of programs: the operator console's programs, the merchant's application."""

from django.urls import path

from dangol.programs import hall_views, views

app_name = "programs"

urlpatterns: list = [
    # promotion hall (P3)
    path("hall/<int:program_id>/", hall_views.hall_list, name="hall"),
    path("hall/<int:program_id>/items/<int:item_id>/", hall_views.hall_item, name="hall_item"),
    # console (P4)
    path("console/programs/", views.program_list, name="console_list"),
    path("console/programs/new/", views.program_new, name="console_new"),
    path("console/programs/pledges/", views.pledge_list, name="console_pledges"),
    path("console/programs/<int:pk>/", views.program_detail, name="console_detail"),
    path(
        "console/programs/<int:pk>/applications/<int:application_pk>/decide/",
        views.application_decide,
        name="console_decide",
    ),
    path("console/programs/<int:pk>/enrol/", views.region_enrol, name="console_enrol"),
    path(
        "console/programs/<int:pk>/applications.<str:kind>",
        views.applications_export,
        name="console_applications_export",
    ),
    path(
        "console/programs/<int:pk>/grants.<str:kind>",
        views.grants_export,
        name="console_grants_export",
    ),
    # console actions (P6)
    path("console/programs/pledges/new/", views.pledge_new, name="console_pledge_new"),
    path(
        "console/programs/pledges/<int:pledge_pk>/report/",
        views.pledge_report,
        name="console_pledge_report",
    ),
    path("console/programs/<int:pk>/hall/", views.hall_manage, name="console_hall"),
    path("console/programs/<int:pk>/markets/", views.rollout_markets, name="console_markets"),
    path(
        "console/programs/<int:pk>/markets/<int:enrolment_pk>/advance/",
        views.enrolment_advance,
        name="console_enrolment_advance",
    ),
    path("console/programs/<int:pk>/target/", views.rollout_target, name="console_target"),
    # merchant (P4)
    path(
        "merchant/stores/<int:pk>/programs/<int:program_pk>/apply/",
        views.apply,
        name="apply",
    ),
]
