from django.urls import path

from xuncha.rounds import views

app_name = "rounds"

urlpatterns = [
    path("terms/", views.term_list, name="term_list"),
    path("terms/<int:pk>/", views.term_detail, name="term_detail"),
    path("terms/<int:pk>/plan/", views.term_plan, name="term_plan"),
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/advance/", views.round_advance, name="round_advance"),
    path("rounds/<int:pk>/milestones/", views.milestone_create, name="milestone_create"),
    path("rounds/<int:pk>/teams/", views.team_create, name="team_create"),
    path("teams/<int:pk>/advance/", views.team_advance, name="team_advance"),
]
