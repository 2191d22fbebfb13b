from django.urls import path

from xuncha.talent import formation_views, profile_views, settings_views, team_views, views

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
    path(
        "declarations/<int:pk>/withdraw/",
        team_views.declaration_delete,
        name="declaration_delete",
    ),
    path("training/<int:pk>/remove/", profile_views.training_delete, name="training_delete"),
]

urlpatterns += [
    path("pool/add/", profile_views.inspector_create, name="inspector_create"),
    path(
        "pool/add/people/",
        profile_views.inspector_person_lookup,
        name="inspector_person_lookup",
    ),
    path("pool/<int:pk>/edit/", profile_views.inspector_edit, name="inspector_edit"),
    path("pool/<int:pk>/training/", profile_views.training_create, name="training_create"),
    path(
        "pool/<int:pk>/qualifications/",
        profile_views.qualification_grant,
        name="qualification_grant",
    ),
    path(
        "qualifications/<int:pk>/status/",
        profile_views.qualification_status,
        name="qualification_status",
    ),
    path(
        "pool/<int:pk>/availability/",
        profile_views.availability_create,
        name="availability_create",
    ),
    path(
        "availability/<int:pk>/delete/",
        profile_views.availability_delete,
        name="availability_delete",
    ),
]

urlpatterns += [
    path("settings/specialties/", settings_views.specialties, name="specialties"),
]
