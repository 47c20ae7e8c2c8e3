"""Pages of settlement: the merchant's settlement page and the operators' settlement runs."""

from django.urls import path

from dangol.settlement import views

app_name = "settlement"

urlpatterns = [
    path("merchant/stores/<int:pk>/settlement/", views.merchant, name="merchant"),
    path(
        "merchant/stores/<int:pk>/settlement/statements/<int:payout_pk>.pdf",
        views.statement_pdf,
        name="statement_pdf",
    ),
    path("console/settlement/", views.runs, name="runs"),
    path("console/settlement/runs/<int:pk>/", views.run, name="run"),
    path("console/settlement/runs/<int:pk>/payouts.csv", views.payouts_csv, name="payouts_csv"),
    path(
        "console/settlement/statements/<int:payout_pk>.pdf",
        views.run_statement_pdf,
        name="run_statement_pdf",
    ),
]
