
app_name = "coupons"
urlpatterns: list = []
