from django.urls import path

from xuncha.rounds import settings_views

app_name = "rounds_settings"

urlpatterns = [
    path("settings/holidays/", settings_views.holidays, name="holidays"),
    path("settings/durations/", settings_views.durations, name="durations"),
    path("settings/focus-areas/", settings_views.focus_areas, name="focus_areas"),
    path("terms/<int:pk>/priorities/", settings_views.priorities, name="priorities"),
]
