from django.urls import path

from xuncha.talent import views

app_name = "talent"

urlpatterns = [
    path("pool/", views.pool, name="pool"),
    path("pool/<int:pk>/", views.profile_detail, name="profile_detail"),
]
