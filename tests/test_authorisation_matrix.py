"""Every URL × every role (and anonymous): the answer each must get.

Adding a URL without declaring its expectations here fails ``test_every_url_is_declared``.
GET is checked for every URL; POST-only URLs answer 405 to GET, and their POST
permissions are checked in ``test_post_only_views``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import PERSONAS
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from xuncha.core.models import JobRun, Kinship, Organisation, Person, Post, RoleGrant, User
from xuncha.talent.models import InspectorProfile

ANON = None
ALL = [ANON, *PERSONAS]
EDITORS = {"admin", "office", "office_c1"}
PEOPLE_VIEWERS = set(PERSONAS) - {"receiver", "auditor"}
PEOPLE_EDITORS = {"office", "office_c1"}
TEAM = {"leader", "deputy", "member", "liaison"}
TERM_VIEWERS = {"office", "office_c1", "leading"}
OUTSIDE_COUNTY = TEAM | {"receiver"}  # grants on one unit only
BRIEFING_READERS = {"office", "office_c1", "leader", "deputy", "member", "receiver"}
ROUND_VIEWERS = TERM_VIEWERS | TEAM
CLUE_READERS = {"office", "office_c1", "leader", "deputy", "member"}
INBOX_READERS = {"office", "office_c1", "leader", "deputy", "member"}
CHANNEL_EDITORS = {"office", "office_c1", "leader"}
FIELDWORK = {"office", "office_c1", "leader", "deputy", "member"}
FIELDWORK_SETTINGS = {"office", "office_c1"}
DATACHECK = {"office", "office_c1"}


@dataclass
class Objects:
    county: Organisation
    target: Organisation
    person: Person
    post: Post
    kin: Kinship
    user: User
    grant: RoleGrant
    job: JobRun
    term: Any
    round: Any
    team: Any
    briefing_request: Any
    briefing: Any
    attachment: Any
    profile: Any


@dataclass
class Expect:
    kwargs: Callable[[Objects], dict[str, Any]] = lambda o: {}
    ok: set[str] = field(default_factory=set)  # personas answered 200 (or `status`)
    hidden: set[str] = field(default_factory=set)  # personas answered 404
    status: int = 200
    other: int = 403  # the answer for everyone else who is logged in
    anonymous: int = 302


def _for_all(status: int) -> Expect:
    return Expect(ok=set(PERSONAS), status=status)


def post_only(kwargs: Callable[[Objects], dict[str, Any]] = lambda o: {}) -> Expect:
    return Expect(kwargs, ok=set(PERSONAS), status=405)


POST_ONLY = post_only()
EXPECTATIONS: dict[str, Expect] = {
    "login": Expect(ok=set(PERSONAS), status=302, anonymous=200),
    "logout": POST_ONLY,
    "healthz": Expect(ok=set(PERSONAS), anonymous=200),
    # set_language changes nothing on GET: it sends the browser back to a safe page.
    "set_language": Expect(ok=set(PERSONAS), status=302, anonymous=302),
    "core:home": _for_all(200),
    "core:organisation_list": _for_all(200),
    "core:organisation_create": Expect(ok=EDITORS),
    "core:organisation_detail": Expect(
        lambda o: {"pk": o.county.pk}, ok=set(PERSONAS) - OUTSIDE_COUNTY, hidden=OUTSIDE_COUNTY
    ),
    "core:organisation_edit": Expect(
        lambda o: {"pk": o.county.pk}, ok=EDITORS, hidden=OUTSIDE_COUNTY
    ),
    "core:organisation_move": Expect(
        lambda o: {"pk": o.county.pk}, ok=EDITORS, hidden=OUTSIDE_COUNTY
    ),
    "core:organisation_merge": Expect(
        lambda o: {"pk": o.county.pk}, ok=EDITORS, hidden=OUTSIDE_COUNTY
    ),
    "core:person_list": Expect(ok=PEOPLE_VIEWERS),
    "core:person_create": Expect(ok=PEOPLE_EDITORS),
    "core:person_export_xlsx": POST_ONLY,
    "core:person_lookup": Expect(ok=PEOPLE_VIEWERS),
    "core:person_detail": Expect(
        lambda o: {"pk": o.person.pk}, ok=PEOPLE_VIEWERS, hidden={"receiver", "auditor"}
    ),
    "core:person_edit": Expect(
        lambda o: {"pk": o.person.pk}, ok=PEOPLE_EDITORS, hidden={"receiver", "auditor"}
    ),
    "core:person_reveal": post_only(lambda o: {"pk": o.person.pk}),
    "core:post_create": Expect(
        lambda o: {"pk": o.person.pk}, ok=PEOPLE_EDITORS, hidden={"receiver", "auditor"}
    ),
    "core:kinship_create": Expect(
        lambda o: {"pk": o.person.pk}, ok=PEOPLE_EDITORS, hidden={"receiver", "auditor"}
    ),
    "core:post_end": Expect(
        lambda o: {"pk": o.post.pk}, ok=PEOPLE_EDITORS, hidden={"receiver", "auditor"}
    ),
    "core:kinship_delete": post_only(lambda o: {"pk": o.kin.pk}),
    "core:user_list": Expect(ok={"admin", "office", "office_c1"}),
    "core:user_create": Expect(ok={"admin"}),
    "core:user_detail": Expect(
        lambda o: {"pk": o.user.pk}, ok={"admin", "office", "office_c1"}, other=404
    ),
    "core:user_toggle_active": post_only(lambda o: {"pk": o.user.pk}),
    "core:grant_create": post_only(lambda o: {"pk": o.user.pk}),
    "core:grant_revoke": post_only(lambda o: {"pk": o.grant.pk}),
    "core:audit_list": Expect(ok={"auditor"}),
    "core:audit_verify": POST_ONLY,
    "core:job_list": _for_all(200),
    "core:job_detail": Expect(lambda o: {"pk": o.job.pk}, ok={"office"}, other=404),
    "core:job_download": Expect(lambda o: {"pk": o.job.pk}, ok={"office"}, other=404),
    "rounds:term_list": Expect(ok=TERM_VIEWERS),
    "rounds:term_create": Expect(ok={"office", "office_c1"}),
    "rounds:term_detail": Expect(lambda o: {"pk": o.term.pk}, ok=TERM_VIEWERS, other=404),
    "rounds:term_plan": Expect(
        lambda o: {"pk": o.term.pk}, ok={"office", "office_c1"}, hidden=set(PERSONAS) - TERM_VIEWERS
    ),
    "rounds:round_list": Expect(ok=ROUND_VIEWERS),
    "rounds:round_create": Expect(ok={"office", "office_c1"}),
    "rounds:round_detail": Expect(lambda o: {"pk": o.round.pk}, ok=ROUND_VIEWERS, other=404),
    "rounds:round_advance": post_only(lambda o: {"pk": o.round.pk}),
    "rounds:milestone_create": post_only(lambda o: {"pk": o.round.pk}),
    "rounds:team_create": post_only(lambda o: {"pk": o.round.pk}),
    "rounds:team_advance": post_only(lambda o: {"pk": o.team.pk}),
    "rounds:briefing_request_create": post_only(lambda o: {"pk": o.round.pk}),
    "rounds:briefing_inbox": Expect(ok={"office", "office_c1", "receiver"}),
    "rounds:briefing_submit": Expect(
        lambda o: {"pk": o.briefing_request.pk}, ok={"office", "office_c1", "receiver"}, other=404
    ),
    "rounds:briefing_detail": Expect(
        lambda o: {"pk": o.briefing.pk}, ok=BRIEFING_READERS, other=404
    ),
    "rounds:briefing_attachment": Expect(
        lambda o: {"pk": o.attachment.pk}, ok=BRIEFING_READERS, other=404
    ),
    "rounds:round_plan_docx": Expect(lambda o: {"pk": o.round.pk}, ok=ROUND_VIEWERS, other=404),
    "rounds:target_notice_docx": Expect(
        lambda o: {"pk": o.team.pk, "org": o.target.pk},
        ok={"office", "office_c1"},
        hidden={"admin", "receiver", "auditor"},
    ),
    "rounds_settings:holidays": Expect(ok={"office", "office_c1"}),
    "rounds_settings:durations": Expect(ok={"office", "office_c1"}),
    "rounds_settings:focus_areas": Expect(ok={"office", "office_c1"}),
    "rounds_settings:priorities": Expect(
        lambda o: {"pk": o.term.pk},
        ok={"office", "office_c1"},
        hidden=set(PERSONAS) - TERM_VIEWERS,
    ),
    "talent:pool": Expect(ok=TERM_VIEWERS),
    "talent:profile_detail": Expect(lambda o: {"pk": o.profile.pk}, ok=TERM_VIEWERS, other=404),
    "talent:roster_xlsx": Expect(
        lambda o: {"pk": o.round.pk},
        ok={"office", "office_c1"},
        hidden=set(PERSONAS) - ROUND_VIEWERS,
    ),
    "talent:roster_docx": Expect(
        lambda o: {"pk": o.round.pk},
        ok={"office", "office_c1"},
        hidden=set(PERSONAS) - ROUND_VIEWERS,
    ),
    "talent:evaluate": Expect(
        lambda o: {"pk": o.team.pk},
        ok={"office", "office_c1", "leader"},
        hidden=set(PERSONAS) - ROUND_VIEWERS,
    ),
    "talent:team_rules": Expect(ok={"office", "office_c1"}),
    "talent:declaration_create": post_only(lambda o: {"pk": o.profile.pk}),
    "talent:specialties": Expect(ok={"office"}),
    "talent:formation": Expect(
        lambda o: {"pk": o.round.pk},
        ok={"office", "office_c1"},
        hidden={"admin", "receiver", "auditor"},
    ),
    "talent:formation_start": post_only(lambda o: {"pk": o.round.pk}),
    "talent:formation_relax": post_only(lambda o: {"pk": o.round.pk}),
    "talent:formation_need": post_only(lambda o: {"pk": o.round.pk}),
    "talent:formation_change": post_only(lambda o: {"pk": _formation_run(o).pk}),
    "talent:formation_accept": post_only(lambda o: {"pk": _formation_run(o).pk}),
    "talent:release_confirm": post_only(lambda o: {"pk": _release(o).pk}),
    "talent:inspector_create": Expect(ok={"office", "office_c1"}),
    "talent:inspector_person_lookup": Expect(ok={"office", "office_c1"}),
    "talent:inspector_edit": Expect(
        lambda o: {"pk": o.profile.pk},
        ok={"office", "office_c1"},
        hidden=set(PERSONAS) - TERM_VIEWERS,
    ),
    "talent:training_create": post_only(lambda o: {"pk": o.profile.pk}),
    "talent:qualification_grant": post_only(lambda o: {"pk": o.profile.pk}),
    "talent:qualification_status": post_only(lambda o: {"pk": _qualification(o).pk}),
    "talent:availability_create": post_only(lambda o: {"pk": o.profile.pk}),
    "talent:availability_delete": post_only(lambda o: {"pk": _availability(o).pk}),
    "talent:training_delete": post_only(lambda o: {"pk": _training(o).pk}),
    "talent:declaration_delete": post_only(lambda o: {"pk": _declaration(o).pk}),
    "clues:list": Expect(ok=CLUE_READERS),
    # Without ?round= there is nothing to record in.
    "clues:create": Expect(ok=CLUE_READERS, status=404),
    "clues:detail": Expect(lambda o: {"pk": _clue(o).pk}, ok=CLUE_READERS, other=404),
    "clues:edit": Expect(lambda o: {"pk": _clue(o).pk}, ok=CLUE_READERS, other=404),
    "clues:duplicates": Expect(lambda o: {"pk": _clue(o).pk}, ok=CLUE_READERS, other=404),
    "clues:document": Expect(lambda o: {"pk": _document(o).pk}, ok=CLUE_READERS),
    "clues:status": post_only(lambda o: {"pk": _clue(o).pk}),
    "clues:kind": post_only(lambda o: {"pk": _clue(o).pk}),
    "clues:evidence_add": post_only(lambda o: {"pk": _clue(o).pk}),
    "clues:evidence_remove": post_only(lambda o: {"pk": _evidence(o).pk}),
    "clues:merge": post_only(lambda o: {"pk": _clue(o).pk}),
    "clues:not_duplicate": post_only(lambda o: {"pk": _clue(o).pk}),
    "clues:close": post_only(lambda o: {"pk": _clue(o).pk}),
    "clues:subject_link": post_only(lambda o: {"pk": _subject(o).pk}),
    "clues:subject_candidates": Expect(
        lambda o: {"pk": _clue(o).pk, "subject": _subject(o).pk}, ok=CLUE_READERS, other=404
    ),
    "clues:round_duplicates": Expect(
        lambda o: {"pk": o.round.pk}, ok=CLUE_READERS, hidden={"receiver", "auditor", "admin"}
    ),
    "clues:round_scan": post_only(lambda o: {"pk": o.round.pk}),
    "clues:transfers": Expect(ok={"office", "office_c1"}),
    "clues:transfer_create": Expect(lambda o: {"pk": o.round.pk}, ok={"office", "office_c1"}),
    "clues:transfer": Expect(
        lambda o: {"pk": _transfer(o).pk}, ok={"office", "office_c1", "receiver"}
    ),
    "clues:letter": Expect(
        lambda o: {"pk": _transfer(o).pk}, ok={"office", "office_c1", "receiver"}
    ),
    "clues:receive": post_only(lambda o: {"pk": _transfer(o).pk}),
    "clues:inbox": Expect(ok={"receiver"}),
    "clues:disposal": Expect(lambda o: {"pk": _transferred_clue(o).pk}, ok={"receiver"}),
    "clues:overdue": Expect(ok={"office", "office_c1"}),
    "clues:statistics": Expect(ok={"office", "office_c1", "leading"}),
    "clues:handover_settings": Expect(ok={"office", "office_c1"}),
    # The public channel: the public pages answer everyone alike, without a login.
    "intake:public_channel": Expect(lambda o: _slug(o), ok=set(PERSONAS), anonymous=200),
    "intake:public_report": Expect(lambda o: _slug(o), ok=set(PERSONAS), anonymous=200),
    "intake:public_talk": Expect(lambda o: _slug(o), ok=set(PERSONAS), anonymous=200),
    "intake:public_receipt": Expect(ok=set(PERSONAS), anonymous=200),
    # Without a receipt held in the session the thread sends everyone to /r/.
    "intake:public_thread": Expect(ok=set(PERSONAS), status=302, anonymous=302),
    "intake:public_leave": Expect(ok=set(PERSONAS), status=405, anonymous=405),
    # The staff side: the team's members and the office; the key decides what is shown.
    "intake:index": Expect(ok=INBOX_READERS),
    "intake:inbox": Expect(lambda o: {"team_pk": o.team.pk}, ok=INBOX_READERS),
    "intake:export": Expect(lambda o: {"team_pk": o.team.pk}, ok=INBOX_READERS),
    "intake:enter": Expect(lambda o: {"team_pk": o.team.pk}, ok=INBOX_READERS),
    "intake:report": Expect(lambda o: {"pk": _report(o).pk}, ok=INBOX_READERS),
    "intake:duplicate": Expect(lambda o: {"pk": _report(o).pk}, ok=INBOX_READERS),
    "intake:convert": Expect(lambda o: {"pk": _report(o).pk}, ok=INBOX_READERS),
    "intake:identity": post_only(lambda o: {"pk": _report(o).pk}),
    "intake:classify": post_only(lambda o: {"pk": _report(o).pk}),
    "intake:reply": post_only(lambda o: {"pk": _report(o).pk}),
    "intake:forward": post_only(lambda o: {"pk": _report(o).pk}),
    "intake:close": post_only(lambda o: {"pk": _report(o).pk}),
    # A test client signed in without a password holds no key: nobody gets the file.
    "intake:attachment": Expect(lambda o: {"pk": _attachment(o).pk}),
    "intake:talk_propose": post_only(lambda o: {"pk": _report(o).pk}),
    "intake:talk_confirm": post_only(lambda o: {"pk": _appointment(o).pk}),
    "intake:talk_cancel": post_only(lambda o: {"pk": _appointment(o).pk}),
    "intake:calendar": Expect(
        lambda o: {"team_pk": o.team.pk},
        ok=INBOX_READERS,
        hidden=set(PERSONAS) - INBOX_READERS,
    ),
    "intake:channel": Expect(
        lambda o: {"team_pk": o.team.pk},
        ok=CHANNEL_EDITORS,
        hidden=set(PERSONAS) - CHANNEL_EDITORS,
    ),
    "intake:channel_open": post_only(lambda o: {"team_pk": o.team.pk}),
    "intake:poster_pdf": Expect(
        lambda o: {"team_pk": o.team.pk},
        ok=CHANNEL_EDITORS,
        hidden=set(PERSONAS) - CHANNEL_EDITORS,
    ),
    "intake:poster_png": Expect(
        lambda o: {"team_pk": o.team.pk},
        ok=CHANNEL_EDITORS,
        hidden=set(PERSONAS) - CHANNEL_EDITORS,
    ),
    "intake:keys": _for_all(200),
    # Fieldwork (issue 7): the team and the office only; outsiders do not learn it exists.
    "fieldwork:evidence": Expect(ok=set(PERSONAS) - {"leader", "deputy", "member"}, other=302),
    "fieldwork:my_day": _for_all(200),
    "fieldwork:team": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:activities": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:activities_export": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:activity_new": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:coverage": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:coverage_export": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:interviewees": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:interviewees_export": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:interviewee_add": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:conflicts": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:schedule": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:schedule_xlsx": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:schedule_docx": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:rooms": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:records": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:record_new": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:papers": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:paper_new": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:papers_report": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:papers_report_docx": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:papers_report_xlsx": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:interference": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:interference_export": Expect(
        lambda o: {"team_pk": o.team.pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:activity": Expect(
        lambda o: {"pk": _fw_activity(o).pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:activity_edit": Expect(
        lambda o: {"pk": _fw_activity(o).pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:activity_file": Expect(
        lambda o: {"pk": _fw_file(o).pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:interviewee": Expect(
        lambda o: {"pk": _fw_interviewee(o).pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:outline_docx": Expect(
        lambda o: {"pk": _fw_interviewee(o).pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:talk": Expect(
        lambda o: {"pk": _fw_talk(o).pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:record": Expect(
        lambda o: {"pk": _fw_record(o).pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:record_edit": Expect(
        lambda o: {"pk": _fw_record(o).pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:record_scan": Expect(
        lambda o: {"pk": _fw_record(o).pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:paper": Expect(
        lambda o: {"pk": _fw_paper(o).pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:paper_edit": Expect(
        lambda o: {"pk": _fw_paper(o).pk}, ok=FIELDWORK, hidden=set(PERSONAS) - FIELDWORK
    ),
    "fieldwork:methods": Expect(ok=FIELDWORK_SETTINGS),
    "fieldwork:method_new": Expect(ok=FIELDWORK_SETTINGS),
    "fieldwork:method_edit": Expect(lambda o: {"pk": _fw_method(o).pk}, ok=FIELDWORK_SETTINGS),
    "fieldwork:minimums": Expect(ok=FIELDWORK_SETTINGS),
    "fieldwork:questions": Expect(ok=FIELDWORK_SETTINGS),
    "fieldwork:question_new": Expect(ok=FIELDWORK_SETTINGS),
    "fieldwork:question_edit": Expect(lambda o: {"pk": _fw_question(o).pk}, ok=FIELDWORK_SETTINGS),
    "fieldwork:interviewees_generate": post_only(lambda o: {"team_pk": o.team.pk}),
    "fieldwork:interviewees_sample": post_only(lambda o: {"team_pk": o.team.pk}),
    "fieldwork:schedule_run": post_only(lambda o: {"team_pk": o.team.pk}),
    "fieldwork:interference_new": post_only(lambda o: {"team_pk": o.team.pk}),
    "fieldwork:notices_read": post_only(lambda o: {"team_pk": o.team.pk}),
    "fieldwork:activity_approve": post_only(lambda o: {"pk": _fw_activity(o).pk}),
    "fieldwork:activity_evidence": post_only(lambda o: {"pk": _fw_activity(o).pk}),
    "fieldwork:interviewee_seen": post_only(lambda o: {"pk": _fw_interviewee(o).pk}),
    "fieldwork:interviewee_edit": post_only(lambda o: {"pk": _fw_interviewee(o).pk}),
    "fieldwork:talk_cancel": post_only(lambda o: {"pk": _fw_talk(o).pk}),
    "fieldwork:record_suggest": post_only(lambda o: {"pk": _fw_record(o).pk}),
    "fieldwork:record_evidence": post_only(lambda o: {"pk": _fw_record(o).pk}),
    "fieldwork:record_clue": post_only(lambda o: {"pk": _fw_record(o).pk}),
    "fieldwork:paper_submit": post_only(lambda o: {"pk": _fw_paper(o).pk}),
    "fieldwork:paper_sign": post_only(lambda o: {"pk": _fw_paper(o).pk}),
    "fieldwork:paper_return": post_only(lambda o: {"pk": _fw_paper(o).pk}),
    "fieldwork:interference_ack": post_only(lambda o: {"pk": _fw_interference(o).pk}),
    "datacheck:index": Expect(ok=DATACHECK),
    "datacheck:dataset_new": Expect(ok=DATACHECK),
    "datacheck:dataset": Expect(
        lambda o: {"pk": _dc_version(o).dataset_id}, ok=DATACHECK, other=404
    ),
    "datacheck:version": Expect(lambda o: {"pk": _dc_version(o).pk}, ok=DATACHECK, other=404),
    "datacheck:version_errors": Expect(
        lambda o: {"pk": _dc_version(o, "discarded").pk}, ok=DATACHECK, other=404
    ),
    "datacheck:version_accept": post_only(lambda o: {"pk": _dc_version(o).pk}),
    "datacheck:version_discard": post_only(lambda o: {"pk": _dc_version(o).pk}),
    "datacheck:rules": Expect(ok=DATACHECK),
    "datacheck:rule_new": Expect(ok=DATACHECK),
    "datacheck:rule": Expect(lambda o: {"code": "tender_king"}, ok=DATACHECK, other=404),
    "datacheck:rule_edit": Expect(lambda o: {"code": _dc_office_rule(o)}, ok=DATACHECK),
    "datacheck:aliases": Expect(ok=DATACHECK),
    "datacheck:alias_delete": post_only(lambda o: {"pk": _dc_alias(o).pk}),
    "datacheck:run_new": Expect(ok=DATACHECK),
    "datacheck:run": Expect(lambda o: {"pk": _dc_run(o).pk}, ok=DATACHECK, other=404),
    "datacheck:findings": Expect(ok=DATACHECK),
    "datacheck:finding": Expect(lambda o: {"pk": _dc_finding(o).pk}, ok=DATACHECK, other=404),
    "datacheck:link_runs": Expect(ok=DATACHECK),
    "datacheck:link_new": Expect(ok=DATACHECK),
    "datacheck:link_run": Expect(lambda o: {"pk": _dc_link_run(o).pk}, ok=DATACHECK, other=404),
    "datacheck:link_review": Expect(lambda o: {"pk": _dc_link_run(o).pk}, ok=DATACHECK, other=404),
    "datacheck:link_pair": Expect(lambda o: {"pk": _dc_link_pair(o).pk}, ok=DATACHECK, other=404),
    "datacheck:link_decide": post_only(lambda o: {"pk": _dc_link_pair(o).pk}),
    "datacheck:link_undo": post_only(lambda o: {"pk": _dc_link_pair(o).pk}),
    "rounds:unit_profile": Expect(
        lambda o: {"pk": o.target.pk},
        ok={"office", "office_c1", "leading", "leader", "deputy", "member"},
        other=404,
    ),
}


def _formation_run(o: Objects) -> Any:
    from xuncha.talent.lib import formation as fm
    from xuncha.talent.models import FormationRun

    empty = fm.to_json(fm.Instance(candidates=(), teams=(), forbidden=()))
    return FormationRun.objects.filter(round=o.round).first() or FormationRun.objects.create(
        round=o.round, created_by=o.user, status=FormationRun.Status.PROPOSED, instance=empty
    )


def _release(o: Objects) -> Any:
    from xuncha.talent.models import Release

    return Release.objects.get_or_create(profile=o.profile, round=o.round)[0]


def _qualification(o: Objects) -> Any:
    return o.profile.qualifications.first()


def _training(o: Objects) -> Any:
    import datetime as dt

    from xuncha.talent.models import TrainingRecord

    return TrainingRecord.objects.filter(profile=o.profile).first() or (
        TrainingRecord.objects.create(
            profile=o.profile, course="巡察业务培训", hours=8, date=dt.date(2026, 3, 2)
        )
    )


def _declaration(o: Objects) -> Any:
    from xuncha.talent.models import Declaration

    return Declaration.objects.filter(profile=o.profile).first() or Declaration.objects.create(
        profile=o.profile, organisation=o.target, source="self", reason="配偶在该单位任职"
    )


def _availability(o: Objects) -> Any:
    import datetime as dt

    from xuncha.talent.models import Availability

    return Availability.objects.filter(profile=o.profile).first() or Availability.objects.create(
        profile=o.profile, start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 12, 31)
    )


def _clue(o: Objects) -> Any:
    from xuncha.clues import services
    from xuncha.clues.models import Record

    existing = Record.objects.filter(round=o.round, target=o.target, title="矩阵测试").first()
    return existing or services.record_create(
        actor=User.objects.get(username="member"),
        round_=o.round,
        team=o.team,
        target=o.target,
        kind="clue",
        title="矩阵测试",
        description="反映某单位负责人违规发放津贴补贴。",
        source="letter",
    )


def _subject(o: Objects) -> Any:
    from xuncha.clues.models import Subject

    return Subject.objects.get_or_create(record=_clue(o), defaults={"name": o.person.name})[0]


def _evidence(o: Objects) -> Any:
    return _document(o) and _clue(o).evidence.first()


def _document(o: Objects) -> Any:
    from django.contrib.contenttypes.models import ContentType
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xuncha.clues import services
    from xuncha.clues.models import Document

    clue = _clue(o)
    link = clue.evidence.filter(content_type=ContentType.objects.get_for_model(Document)).first()
    if link is None:
        link = services.document_upload(
            actor=User.objects.get(username="member"),
            record=clue,
            upload=SimpleUploadedFile("证据.txt", b"evidence"),
        )
    return Document.objects.get(pk=link.object_id)


def _transferred_clue(o: Objects) -> Any:
    from xuncha.clues import services
    from xuncha.clues.models import Record

    existing = Record.objects.filter(round=o.round, title="矩阵移交").first()
    if existing is not None:
        return existing
    record = services.record_create(
        actor=User.objects.get(username="member"),
        round_=o.round,
        team=o.team,
        target=o.target,
        kind="clue",
        title="矩阵移交",
        description="反映某单位负责人收受礼金。",
        source="letter",
    )
    Record.objects.filter(pk=record.pk).update(status="confirmed")
    services.transfer_create(
        actor=User.objects.get(username="office_c1"),
        records=[record],
        department=User.objects.get(username="receiver").grants.get().organisation,
        route="discipline_commission",
    )
    record.refresh_from_db()
    return record


def _transfer(o: Objects) -> Any:
    return _transferred_clue(o).transfer


def _slug(o: Objects) -> dict[str, Any]:
    from xuncha.intake.models import Channel

    return {"slug": Channel.objects.get(team=o.team).slug}


def _report(o: Objects) -> Any:
    from xuncha.intake.models import Report

    return Report.objects.filter(channel__team=o.team, kind="talk").first()


def _attachment(o: Objects) -> Any:
    from xuncha.intake import services
    from xuncha.intake.models import Attachment, Channel

    existing = Attachment.objects.filter(report__channel__team=o.team).first()
    if existing is not None:
        return existing
    report, _receipt = services.submit(
        channel=Channel.objects.get(team=o.team),
        submission=services.Submission(
            kind="report",
            category="other",
            content={"about": "", "organisation": "", "what": "附件", "when": ""},
            files=[services.Upload("说明.txt", "说明".encode())],
        ),
    )
    return report.attachments.get()


def _appointment(o: Objects) -> Any:
    import datetime as dt

    from django.utils import timezone

    from xuncha.intake.models import Appointment

    report = _report(o)
    existing = Appointment.objects.filter(report=report).first()
    if existing is not None:
        return existing
    start = timezone.now() + dt.timedelta(days=2)
    return Appointment.objects.create(
        report=report,
        team=o.team,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        mode="in_person",
        place="谈话室",
        created_by=o.user,
    )


# -- fieldwork objects (made once through the ORM; the demo may already hold some) ----------


def _fw_user(o: Objects, username: str = "member") -> Any:
    return User.objects.get(username=username)


def _fw_method(o: Objects) -> Any:
    from xuncha.fieldwork.models import Method

    return Method.objects.get(code="read_documents")


def _fw_question(o: Objects) -> Any:
    from xuncha.fieldwork.models import Question

    return Question.objects.order_by("pk").first()


def _fw_activity(o: Objects) -> Any:
    import datetime as dt

    from xuncha.fieldwork.models import Activity

    found = Activity.objects.filter(team=o.team, method__code="covert_visit").first()
    if found is not None:
        return found
    activity = Activity.objects.create(
        team=o.team,
        target=o.target,
        method=_fw_covert(),
        date=dt.date(2026, 7, 1),
        title="暗访食堂",
        record="记录",
        created_by=_fw_user(o),
    )
    return activity


def _fw_covert() -> Any:
    from xuncha.fieldwork.models import Method

    return Method.objects.get(code="covert_visit")


def _fw_file(o: Objects) -> Any:
    from django.core.files.base import ContentFile

    from xuncha.fieldwork.models import ActivityFile

    activity = _fw_activity(o)
    found = ActivityFile.objects.filter(activity=activity).first()
    if found is not None:
        return found
    f = ActivityFile(activity=activity, name="清单.csv", size=9, sha256="0" * 64)
    f.file.save("matrix.csv", ContentFile(b"a,b\n1,2\n"), save=False)
    f.save()
    return f


def _fw_interviewee(o: Objects) -> Any:
    from xuncha.fieldwork.models import Interviewee

    found = Interviewee.objects.filter(team=o.team, person__isnull=True, name="矩阵测试").first()
    return found or Interviewee.objects.create(
        team=o.team, target=o.target, name="矩阵测试", role="staff", source="added"
    )


def _fw_talk(o: Objects) -> Any:
    from xuncha.fieldwork.models import Talk

    interviewee = _fw_interviewee(o)
    found = Talk.objects.filter(interviewee=interviewee).first()
    return found or Talk.objects.create(team=o.team, interviewee=interviewee)


def _fw_record(o: Objects) -> Any:
    import datetime as dt

    from django.core.files.base import ContentFile

    from xuncha.fieldwork.models import InterviewRecord

    found = InterviewRecord.objects.filter(team=o.team, interviewee_name="矩阵测试").first()
    if found is not None:
        return found
    people = [_fw_user(o, "leader").person, _fw_user(o, "member").person]
    record = InterviewRecord(
        team=o.team,
        interviewee=_fw_interviewee(o),
        interviewee_name="矩阵测试",
        held_at=dt.datetime(2026, 7, 2, 1, 0, tzinfo=dt.UTC),
        place="谈话室",
        asker=people[0],
        recorder=people[1],
        summary="谈话内容",
        created_by=_fw_user(o),
    )
    record.scan.save("matrix.pdf", ContentFile(b"%PDF-1.4 matrix"), save=False)
    record.scan_name = "scan.pdf"
    record.save()
    return record


def _fw_paper(o: Objects) -> Any:
    from xuncha.fieldwork.models import WorkingPaper

    found = WorkingPaper.objects.filter(team=o.team, title="矩阵测试底稿").first()
    return found or WorkingPaper.objects.create(
        team=o.team, target=o.target, title="矩阵测试底稿", facts="事实", created_by=_fw_user(o)
    )


def _fw_interference(o: Objects) -> Any:
    import datetime as dt

    from xuncha.fieldwork.models import Interference

    found = Interference.objects.filter(team=o.team, who="矩阵测试").first()
    return found or Interference.objects.create(
        team=o.team,
        who="矩阵测试",
        for_whom="某人",
        how="phone",
        occurred_at=dt.datetime(2026, 7, 3, 12, 0, tzinfo=dt.UTC),
        what="打招呼",
        recorded_by=_fw_user(o),
    )


def _dc_version(o: Objects, status: str = "accepted") -> Any:
    from xuncha.datacheck.models import Version

    return Version.objects.filter(status=status).order_by("pk").first()


def _dc_run(o: Objects) -> Any:
    from xuncha.datacheck.models import Run

    return Run.objects.order_by("pk").first()


def _dc_finding(o: Objects) -> Any:
    from xuncha.datacheck.models import Finding

    return Finding.objects.order_by("pk").first()


def _dc_link_run(o: Objects) -> Any:
    from xuncha.datacheck.models import LinkRun

    return LinkRun.objects.order_by("pk").first()


def _dc_link_pair(o: Objects) -> Any:
    """A pair of the demo's linkage in the link band (no decision on it)."""
    from xuncha.datacheck.models import LinkPair

    return LinkPair.objects.filter(band="match").order_by("pk").first()


def _dc_alias(o: Objects) -> Any:
    from xuncha.datacheck import services
    from xuncha.datacheck.models import HeaderAlias

    return HeaderAlias.objects.first() or services.alias_set(
        actor=User.objects.get(username="office_c1"),
        organisation=o.county,
        text="享受人证号",
        field="id_number",
    )


def _dc_office_rule(o: Objects) -> str:
    """An office's own rule (shipped ones are not edited as text: 403 for everyone)."""
    from xuncha.datacheck import services
    from xuncha.datacheck.models import Rule

    rule = Rule.objects.filter(builtin=False).first()
    if rule is None:
        shipped = Rule.objects.get(code="payroll_on_benefits")
        data = {f: getattr(shipped, f) for f in services.SPEC_FIELDS}
        rule = services.rule_save(
            actor=User.objects.get(username="office_c1"),
            organisation=o.county,
            data={**data, "code": "matrix_rule"},
        )
    return rule.code


def _url_names(resolver: URLResolver, prefix: str = "") -> list[str]:
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names += _url_names(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(prefix + pattern.name)
    return names


def test_every_url_is_declared():
    declared = set(EXPECTATIONS)
    present = set(_url_names(get_resolver()))
    assert present - declared == set(), "declare the expected answers for these URLs"
    assert declared - present == set(), "these declarations name URLs that no longer exist"


@pytest.fixture
def objects(db, user_named) -> Objects:
    leader = user_named("leader")
    target = leader.grants.get().organisation
    person = Person.objects.filter(posts__organisation=target, posts__end_date=None).first()
    post = person.posts.filter(end_date=None).first()
    other = Person.objects.exclude(pk=person.pk).filter(registry=person.registry).first()
    kin = (
        Kinship.objects.create(person=person, relative=other, relation="cousin")
        if not Kinship.objects.filter(person=person).exists()
        else Kinship.objects.filter(person=person).first()
    )
    job = JobRun.objects.create(
        owner=user_named("office"),
        kind="people_export",
        label="t",
        status=JobRun.Status.SUCCEEDED,
        result_file="matrix-test.xlsx",
    )
    settings.JOB_FILES_DIR.mkdir(parents=True, exist_ok=True)
    (settings.JOB_FILES_DIR / "matrix-test.xlsx").write_bytes(b"PK test")
    from django.core.files.base import ContentFile

    from xuncha.rounds.models import (
        Briefing,
        BriefingAttachment,
        BriefingRequest,
        CommitteeTerm,
        Team,
    )

    team = Team.objects.filter(targets=target, round__stage="stationing").get()
    receiver_unit = user_named("receiver").grants.get().organisation
    other_target = (
        Organisation.objects.filter(inspecting_teams__round=team.round)
        .exclude(pk=target.pk)
        .first()
    )
    briefing_request = BriefingRequest.objects.create(
        round=team.round, target=other_target, department=receiver_unit, due_date="2026-12-01"
    )
    briefing = Briefing.objects.get(round=team.round, target=target, department=receiver_unit)
    attachment = BriefingAttachment(briefing=briefing, name="通报.txt", size=4, sha256="0" * 64)
    attachment.file.save("matrix.txt", ContentFile(b"test"), save=True)
    return Objects(
        county=Organisation.objects.get(code="C01"),
        target=target,
        person=person,
        post=post,
        kin=kin,
        user=leader,
        grant=leader.grants.get(),
        job=job,
        term=CommitteeTerm.objects.get(committee__code="C01"),
        round=team.round,
        team=team,
        briefing_request=briefing_request,
        briefing=briefing,
        attachment=attachment,
        profile=InspectorProfile.objects.filter(county__code="C01").first(),
    )


@pytest.mark.parametrize("persona", ALL, ids=lambda p: p or "anonymous")
def test_get_matrix(persona, objects, as_user):
    from django.urls import reverse

    client = as_user(persona)
    failures = []
    for name, expect in EXPECTATIONS.items():
        url = reverse(name, kwargs=expect.kwargs(objects))
        if persona is None:
            wanted = expect.anonymous
        elif persona in expect.ok:
            wanted = expect.status
        elif persona in expect.hidden:
            wanted = 404
        else:
            wanted = expect.other
        response = client.get(url)
        if response.status_code != wanted:
            failures.append(f"{name} ({url}): got {response.status_code}, expected {wanted}")
        if (
            persona is None
            and wanted == 302
            and name
            not in (
                "login",
                "set_language",
                "intake:public_thread",
            )
        ):
            assert response["Location"].startswith("/login/"), name
    assert not failures, "\n".join(failures)


POST_CASES = [
    # (url name, kwargs key, persona, expected status)
    ("core:person_reveal", "person", "office", 200),
    ("core:person_reveal", "person", "leading", 404),
    ("core:person_reveal", "person", "receiver", 404),
    ("core:person_export_xlsx", None, "office", 302),
    ("core:person_export_xlsx", None, "leading", 403),
    ("core:kinship_delete", "kin", "office_c1", 302),
    ("core:kinship_delete", "kin", "leader", 403),
    ("core:user_toggle_active", "user", "admin", 302),
    ("core:user_toggle_active", "user", "office", 403),
    ("core:grant_create", "user", "admin", 302),
    ("core:grant_create", "user", "office_c1", 403),
    ("core:grant_revoke", "grant", "admin", 302),
    ("core:grant_revoke", "grant", "office", 404),
    ("core:audit_verify", None, "auditor", 302),
    ("core:audit_verify", None, "admin", 403),
    ("logout", None, "member", 302),
    ("rounds:milestone_create", "round", "office_c1", 302),
    ("rounds:milestone_create", "round", "leader", 403),
    ("rounds:milestone_create", "round", "receiver", 404),
    ("rounds:team_advance", "team", "office", 302),
    ("rounds:team_advance", "team", "member", 403),
    ("rounds:round_advance", "round", "office_c1", 302),
    ("rounds:round_advance", "round", "auditor", 404),
    ("rounds:team_create", "round", "office_c1", 302),
    ("rounds:team_create", "round", "leading", 403),
    ("rounds:briefing_request_create", "round", "office_c1", 302),
    ("rounds:briefing_request_create", "round", "leader", 403),
    ("rounds:briefing_request_create", "round", "receiver", 404),
    ("rounds:briefing_submit", "briefing_request", "receiver", 200),
    ("rounds:briefing_submit", "briefing_request", "member", 404),
    ("talent:declaration_create", "profile", "office_c1", 200),  # refused at the fields
    ("talent:declaration_create", "profile", "leading", 403),
    ("talent:declaration_create", "profile", "leader", 404),
    ("talent:evaluate", "team", "member", 403),
    ("talent:evaluate", "team", "receiver", 404),
    ("talent:team_rules", None, "leader", 403),
    ("talent:formation_start", "round", "leading", 403),
    ("talent:formation_start", "round", "receiver", 404),
    ("talent:formation_relax", "round", "office_c1", 302),
    ("talent:formation_relax", "round", "leader", 403),
    ("talent:formation_need", "round", "office", 302),
    ("talent:formation_need", "round", "member", 403),
    ("talent:formation_change", "formation_run", "office_c1", 302),
    ("talent:formation_change", "formation_run", "leader", 403),
    ("talent:formation_change", "formation_run", "auditor", 404),
    ("talent:formation_accept", "formation_run", "office", 302),
    ("talent:formation_accept", "formation_run", "deputy", 403),
    ("talent:release_confirm", "release", "office_c1", 302),
    ("talent:release_confirm", "release", "member", 403),
    ("talent:training_create", "profile", "office_c1", 200),  # refused at the fields
    ("talent:training_create", "profile", "leading", 403),
    ("talent:training_create", "profile", "leader", 404),
    ("talent:qualification_grant", "profile", "office", 200),  # refused at the fields
    ("talent:qualification_grant", "profile", "office_c1", 403),
    ("talent:qualification_grant", "profile", "leading", 403),
    ("talent:qualification_grant", "profile", "member", 404),
    ("talent:qualification_status", "qualification", "office", 302),
    ("talent:qualification_status", "qualification", "office_c1", 403),
    ("talent:qualification_status", "qualification", "leader", 404),
    ("talent:availability_create", "profile", "office_c1", 200),  # refused at the fields
    ("talent:availability_create", "profile", "leading", 403),
    ("talent:availability_create", "profile", "receiver", 404),
    ("talent:availability_delete", "availability", "office_c1", 302),
    ("talent:availability_delete", "availability", "leading", 403),
    ("talent:availability_delete", "availability", "member", 404),
    ("talent:training_delete", "training", "office_c1", 302),
    ("talent:training_delete", "training", "leading", 403),
    ("talent:training_delete", "training", "member", 404),
    ("talent:declaration_delete", "declaration", "office_c1", 302),
    ("talent:declaration_delete", "declaration", "leading", 403),
    ("talent:declaration_delete", "declaration", "leader", 404),
    ("clues:status", "clue", "member", 302),
    ("clues:status", "clue", "leading", 404),
    ("clues:status", "clue", "receiver", 404),
    ("clues:kind", "clue", "leader", 302),
    ("clues:kind", "clue", "auditor", 404),
    ("clues:evidence_add", "clue", "deputy", 302),
    ("clues:evidence_add", "clue", "liaison", 404),
    ("clues:evidence_remove", "evidence", "member", 302),
    ("clues:evidence_remove", "evidence", "receiver", 404),
    ("clues:merge", "clue", "member", 302),
    ("clues:merge", "clue", "leading", 404),
    ("clues:not_duplicate", "clue", "office_c1", 302),
    ("clues:not_duplicate", "clue", "receiver", 404),
    ("clues:close", "clue", "office_c1", 302),
    ("clues:close", "clue", "member", 404),
    ("clues:subject_link", "subject", "member", 404),  # the matrix posts no person
    ("clues:subject_link", "subject", "leading", 404),
    ("clues:round_scan", "round", "member", 302),
    ("clues:round_scan", "round", "leading", 403),
    ("clues:round_scan", "round", "receiver", 404),
    ("clues:receive", "transfer", "receiver", 302),
    ("clues:receive", "transfer", "office_c1", 403),
    ("clues:receive", "transfer", "member", 403),
    ("intake:identity", "report", "leader", 200),
    ("intake:identity", "report", "office_c1", 200),
    ("intake:identity", "report", "member", 403),
    ("intake:identity", "report", "auditor", 403),
    ("intake:classify", "report", "member", 302),
    ("intake:classify", "report", "receiver", 403),
    ("intake:reply", "report", "deputy", 302),
    ("intake:reply", "report", "liaison", 403),
    ("intake:forward", "report", "office_c1", 302),
    ("intake:forward", "report", "leading", 403),
    ("intake:close", "report", "leader", 302),
    ("intake:close", "report", "admin", 403),
    ("intake:channel_open", "team", "leader", 302),
    ("intake:channel_open", "team", "member", 404),
    ("intake:talk_propose", "report", "member", 302),
    ("intake:talk_propose", "report", "auditor", 404),
    ("intake:talk_confirm", "appointment", "leader", 302),
    ("intake:talk_confirm", "appointment", "receiver", 404),
    ("intake:talk_cancel", "appointment", "office_c1", 302),
    ("intake:talk_cancel", "appointment", "leading", 404),
    ("fieldwork:activity_approve", "fw_activity", "member", 403),
    ("fieldwork:activity_approve", "fw_activity", "liaison", 404),
    ("fieldwork:activity_approve", "fw_activity", "deputy", 302),
    ("fieldwork:interviewees_generate", "team", "member", 302),
    ("fieldwork:interviewees_generate", "team", "receiver", 404),
    ("fieldwork:schedule_run", "team", "member", 302),
    ("fieldwork:schedule_run", "team", "auditor", 404),
    ("fieldwork:talk_cancel", "fw_talk", "liaison", 404),
    ("fieldwork:record_suggest", "fw_record", "leading", 404),
    ("fieldwork:record_evidence", "fw_record", "receiver", 404),
    ("fieldwork:record_clue", "fw_record", "liaison", 404),
    ("fieldwork:record_clue", "fw_record", "member", 302),
    ("fieldwork:paper_submit", "fw_paper", "admin", 404),
    ("fieldwork:paper_sign", "fw_paper", "member", 403),
    ("fieldwork:paper_sign", "fw_paper", "liaison", 404),
    ("fieldwork:paper_return", "fw_paper", "member", 403),
    ("fieldwork:interference_new", "team", "liaison", 404),
    ("fieldwork:interference_ack", "fw_interference", "member", 403),
    ("fieldwork:interference_ack", "fw_interference", "office_c1", 302),
    ("fieldwork:interference_ack", "fw_interference", "receiver", 404),
    ("fieldwork:notices_read", "team", "member", 302),
    ("fieldwork:notices_read", "team", "auditor", 404),
    ("datacheck:version_accept", "dc_version", "office_c1", 302),
    ("datacheck:version_accept", "dc_version", "member", 404),
    ("datacheck:version_discard", "dc_version", "office", 302),
    ("datacheck:version_discard", "dc_version", "leading", 404),
    ("datacheck:alias_delete", "dc_alias", "member", 404),
    ("datacheck:alias_delete", "dc_alias", "office_c1", 302),
    ("datacheck:link_decide", "dc_link_pair", "office_c1", 302),
    ("datacheck:link_decide", "dc_link_pair", "member", 404),
    ("datacheck:link_decide", "dc_link_pair", "leading", 404),
    ("datacheck:link_undo", "dc_link_pair", "office", 302),
    ("datacheck:link_undo", "dc_link_pair", "receiver", 404),
]


@pytest.mark.parametrize(("name", "key", "persona", "status"), POST_CASES)
def test_post_only_views(name, key, persona, status, objects, as_user, settings):
    from django.urls import reverse

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    getters = {
        "formation_run": _formation_run,
        "release": _release,
        "qualification": _qualification,
        "availability": _availability,
        "training": _training,
        "declaration": _declaration,
        "clue": _clue,
        "subject": _subject,
        "evidence": _evidence,
        "transfer": _transfer,
        "report": _report,
        "appointment": _appointment,
        "fw_activity": _fw_activity,
        "fw_talk": _fw_talk,
        "fw_record": _fw_record,
        "fw_paper": _fw_paper,
        "fw_interference": _fw_interference,
        "dc_version": _dc_version,
        "dc_alias": _dc_alias,
        "dc_link_pair": _dc_link_pair,
    }
    obj = getters[key](objects) if key in getters else getattr(objects, key) if key else None
    kwargs = {"pk": obj.pk} if obj is not None else {}
    if name in ("intake:channel_open",) or (key == "team" and name.startswith("fieldwork:")):
        kwargs = {"team_pk": obj.pk}
    data = {"role": "team_member", "organisation": objects.target.pk}
    response = as_user(persona).post(reverse(name, kwargs=kwargs), data)
    assert response.status_code == status
    anonymous = as_user(None).post(reverse(name, kwargs=kwargs), data)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


@pytest.mark.parametrize(
    ("persona", "candidate", "status"),
    [
        ("member", "person", 302),
        ("office_c1", "person", 302),
        ("member", "h1", 403),
        ("leading", "person", 404),
        ("receiver", "person", 404),
        ("auditor", "person", 404),
    ],
)
def test_linking_a_clue_name_to_a_candidate(persona, candidate, status, objects, as_user):
    """The "This is the person" button (issue 9): POST needs clue.change on the record; a
    household row also needs data comparison rights."""
    from django.urls import reverse

    subject = _subject(objects)
    subject.person = None
    subject.save()
    kwargs = {"pk": _clue(objects).pk, "subject": subject.pk}
    value = f"p{objects.person.pk}" if candidate == "person" else candidate
    data = {"candidate": value, "version": 1}
    response = as_user(persona).post(reverse("clues:subject_candidates", kwargs=kwargs), data)
    assert response.status_code == status
    anonymous = as_user(None).post(reverse("clues:subject_candidates", kwargs=kwargs), data)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
