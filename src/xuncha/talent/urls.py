from django.urls import path

from xuncha.talent import formation_views, team_views, views

app_name = "talent"

urlpatterns = [
    path("pool/", views.pool, name="pool"),
    path("pool/<int:pk>/", views.profile_detail, name="profile_detail"),
]

urlpatterns += [
    path("rounds/<int:pk>/formation/", formation_views.formation, name="formation"),
    path(
        "rounds/<int:pk>/formation/solve/", formation_views.formation_start, name="formation_start"
    ),
    path(
        "rounds/<int:pk>/formation/relax/", formation_views.formation_relax, name="formation_relax"
    ),
    path("rounds/<int:pk>/formation/needs/", formation_views.formation_need, name="formation_need"),
    path(
        "formation/runs/<int:pk>/change/", formation_views.formation_change, name="formation_change"
    ),
    path(
        "formation/runs/<int:pk>/accept/", formation_views.formation_accept, name="formation_accept"
    ),
    path("releases/<int:pk>/confirm/", formation_views.release_confirm, name="release_confirm"),
]

urlpatterns += [
    path("rounds/<int:pk>/roster.xlsx", team_views.roster_xlsx, name="roster_xlsx"),
    path("rounds/<int:pk>/roster.docx", team_views.roster_docx, name="roster_docx"),
    path("teams/<int:pk>/evaluate/", team_views.evaluate, name="evaluate"),
    path("settings/team-rules/", team_views.team_rules, name="team_rules"),
    path("pool/<int:pk>/declarations/", team_views.declaration_create, name="declaration_create"),
]
