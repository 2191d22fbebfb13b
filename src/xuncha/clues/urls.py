from django.urls import path

from xuncha.clues import handover_views, views

app_name = "clues"

urlpatterns = [
    path("clues/", views.record_list, name="list"),
    path("clues/new/", views.record_create, name="create"),
    path("clues/<int:pk>/", views.record_detail, name="detail"),
    path("clues/<int:pk>/edit/", views.record_edit, name="edit"),
    path("clues/<int:pk>/status/", views.record_status, name="status"),
    path("clues/<int:pk>/kind/", views.record_kind, name="kind"),
    path("clues/<int:pk>/evidence/", views.evidence_add, name="evidence_add"),
    path("clues/evidence/<int:pk>/remove/", views.evidence_remove, name="evidence_remove"),
    path("clues/documents/<int:pk>/", views.document_download, name="document"),
    path("clues/<int:pk>/duplicates/", views.duplicates, name="duplicates"),
    path("clues/<int:pk>/merge/", views.merge, name="merge"),
    path("clues/<int:pk>/not-duplicate/", views.not_duplicate, name="not_duplicate"),
    path("clues/<int:pk>/close/", views.record_close, name="close"),
    path("clues/subjects/<int:pk>/link/", views.subject_link, name="subject_link"),
    path(
        "clues/<int:pk>/subjects/<int:subject>/candidates/",
        views.subject_candidates,
        name="subject_candidates",
    ),
    path("rounds/<int:pk>/duplicates/", views.round_duplicates, name="round_duplicates"),
    path("rounds/<int:pk>/duplicates/scan/", views.round_scan, name="round_scan"),
]

urlpatterns += [
    path("clues/transfers/", handover_views.transfer_list, name="transfers"),
    path("rounds/<int:pk>/transfer/", handover_views.transfer_create, name="transfer_create"),
    path("clues/transfers/<int:pk>/", handover_views.transfer_detail, name="transfer"),
    path("clues/transfers/<int:pk>/letter.docx", handover_views.transfer_letter, name="letter"),
    path("clues/transfers/<int:pk>/receive/", handover_views.transfer_receive, name="receive"),
    path("clues/received/", handover_views.inbox, name="inbox"),
    path("clues/<int:pk>/disposal/", handover_views.disposal, name="disposal"),
    path("clues/overdue/", handover_views.overdue, name="overdue"),
    path("clues/statistics/", handover_views.statistics, name="statistics"),
    path("settings/handover/", handover_views.handover_settings, name="handover_settings"),
]
