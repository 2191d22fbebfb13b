from xuncha.datacheck import views

app_name = "datacheck"
urlpatterns = views.urlpatterns
