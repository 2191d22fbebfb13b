from xuncha.fieldwork import (
    activity_views,
    overview_views,
    planning_views,
    record_views,
    schedule_views,
)

app_name = "fieldwork"

# Each area's module lists its own addresses (all under /fieldwork/).
urlpatterns = [
    *overview_views.urlpatterns,
    *activity_views.urlpatterns,
    *planning_views.urlpatterns,
    *schedule_views.urlpatterns,
    *record_views.urlpatterns,
]
