from django.urls import path

from xuncha.intake import channel_views, inbox_views, keys_views, public_views, talk_views

app_name = "intake"

# The public side: no account, no login; short addresses for the poster.
public_urlpatterns = [
    path("t/<slug:slug>/", public_views.channel_page, name="public_channel"),
    path("t/<slug:slug>/report/", public_views.report_form, name="public_report"),
    path("t/<slug:slug>/talk/", public_views.talk_form, name="public_talk"),
    path("r/", public_views.receipt_login, name="public_receipt"),
    path("r/thread/", public_views.thread, name="public_thread"),
    path("r/leave/", public_views.leave, name="public_leave"),
]

urlpatterns = [
    *public_urlpatterns,
    # Staff: inbox and reports.
    path("intake/", inbox_views.index, name="index"),
    path("intake/team/<int:team_pk>/", inbox_views.inbox, name="inbox"),
    path("intake/team/<int:team_pk>/export.xlsx", inbox_views.export, name="export"),
    path("intake/team/<int:team_pk>/new/", inbox_views.enter, name="enter"),
    path("intake/report/<int:pk>/", inbox_views.detail, name="report"),
    path("intake/report/<int:pk>/identity/", inbox_views.identity, name="identity"),
    path("intake/report/<int:pk>/classify/", inbox_views.classify, name="classify"),
    path("intake/report/<int:pk>/reply/", inbox_views.reply, name="reply"),
    path("intake/report/<int:pk>/forward/", inbox_views.forward, name="forward"),
    path("intake/report/<int:pk>/duplicate/", inbox_views.duplicate, name="duplicate"),
    path("intake/report/<int:pk>/convert/", inbox_views.convert, name="convert"),
    path("intake/report/<int:pk>/close/", inbox_views.close, name="close"),
    path("intake/file/<int:pk>/", inbox_views.attachment, name="attachment"),
    # Talks.
    path("intake/report/<int:pk>/talk/", talk_views.propose, name="talk_propose"),
    path("intake/talk/<int:pk>/confirm/", talk_views.confirm, name="talk_confirm"),
    path("intake/talk/<int:pk>/cancel/", talk_views.cancel, name="talk_cancel"),
    path("intake/team/<int:team_pk>/calendar/", talk_views.calendar, name="calendar"),
    # The channel: settings, opening, the poster.
    path("intake/team/<int:team_pk>/channel/", channel_views.settings, name="channel"),
    path("intake/team/<int:team_pk>/channel/open/", channel_views.open_close, name="channel_open"),
    path("intake/team/<int:team_pk>/poster.pdf", channel_views.poster_pdf, name="poster_pdf"),
    path("intake/team/<int:team_pk>/poster.png", channel_views.poster_png, name="poster_png"),
    # The user's own keys.
    path("intake/keys/", keys_views.keys, name="keys"),
]
