
app_name = "regulars"
urlpatterns: list = []
