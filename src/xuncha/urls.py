from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from xuncha.core import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("", include("xuncha.rounds.urls")),
    path("", include("xuncha.rounds.settings_urls")),
    path("", include("xuncha.talent.urls")),
    path("", include("xuncha.clues.urls")),
    path("", include("xuncha.intake.urls")),
    path("", include("xuncha.fieldwork.urls")),
    path("", include("xuncha.datacheck.urls")),
    path("", include("xuncha.core.urls")),
]
