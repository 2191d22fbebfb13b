from django.urls import path

from xuncha.rounds import views

app_name = "rounds"

urlpatterns = [
    path("terms/", views.term_list, name="term_list"),
    path("terms/new/", views.term_create, name="term_create"),
    path("terms/<int:pk>/", views.term_detail, name="term_detail"),
    path("terms/<int:pk>/plan/", views.term_plan, name="term_plan"),
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/advance/", views.round_advance, name="round_advance"),
    path("rounds/<int:pk>/milestones/", views.milestone_create, name="milestone_create"),
    path("rounds/<int:pk>/teams/", views.team_create, name="team_create"),
    path("teams/<int:pk>/advance/", views.team_advance, name="team_advance"),
    path(
        "rounds/<int:pk>/briefing-requests/",
        views.briefing_request_create,
        name="briefing_request_create",
    ),
    path("briefings/inbox/", views.briefing_inbox, name="briefing_inbox"),
    path("briefings/requests/<int:pk>/answer/", views.briefing_submit, name="briefing_submit"),
    path("briefings/<int:pk>/", views.briefing_detail, name="briefing_detail"),
    path("briefings/files/<int:pk>/", views.briefing_attachment, name="briefing_attachment"),
    path("organisations/<int:pk>/profile/", views.unit_profile, name="unit_profile"),
    path("rounds/<int:pk>/plan.docx", views.round_plan_docx, name="round_plan_docx"),
    path(
        "teams/<int:pk>/notices/<int:org>.docx", views.target_notice_docx, name="target_notice_docx"
    ),
]
