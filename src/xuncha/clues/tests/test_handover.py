"""Handover: routing and transfer packages, the letter, receipt and disposal by the
receiving department, closure by the office, deadlines and the overdue list, statistics
with their xlsx export, and the committee's routing and deadline settings.

Personas: ``office_c1`` (county 1's office), ``office`` (the prefecture office),
``receiver`` (county 1's discipline commission), ``org_receiver`` (a receiving department
made here: county 1's organisation department), ``leading``, ``member`` and ``auditor``.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from xuncha.clues import selectors, services
from xuncha.clues.models import (
    Disposal,
    HandoverSettings,
    Record,
    Reminder,
    Route,
    Status,
    Transfer,
)
from xuncha.core import services as core_services
from xuncha.core.models import AuditEvent, AuditEventType, Organisation, Role
from xuncha.rounds import services as round_services
from xuncha.rounds.models import Round, TopicTag

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english():
    """Services answer in the active language; these tests read the English messages."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def county(db) -> Organisation:
    return Organisation.objects.get(code="C01")


@pytest.fixture
def office(user_named):
    return user_named("office_c1")


@pytest.fixture
def receiver(user_named):
    return user_named("receiver")


@pytest.fixture
def commission(receiver) -> Organisation:
    """County 1's discipline commission: the receiver persona's department."""
    return receiver.grants.get().organisation


@pytest.fixture
def org_department(county) -> Organisation:
    return Organisation.objects.get(
        path__startswith=county.path, kind="unit", name__endswith="县组织部"
    )


@pytest.fixture
def org_receiver(org_department):
    user = core_services.user_create(
        actor=None, username="org_receiver", password=None, registry=org_department
    )
    core_services.role_grant(
        actor=None, user=user, role=Role.RECEIVING_DEPARTMENT, organisation=org_department
    )
    return user


@pytest.fixture
def handover(office, county, commission, org_department) -> HandoverSettings:
    return services.handover_settings_set(
        actor=office,
        committee=county,
        values={
            "discipline_commission": commission,
            "organisation_department": org_department,
            "routes": {
                "discipline:work": Route.RESPONSIBLE_DEPARTMENT,
                "topic:cadre-selection": Route.ORGANISATION_DEPARTMENT,
            },
        },
    )


@pytest.fixture
def round_(county) -> Round:
    """A round of its own, so that counts are exact whatever the demo recorded."""
    return round_services.round_create(
        actor=None,
        committee=county,
        name="移交测试轮",
        kind="mobile",
        start_date=dt.date(2026, 3, 2),
    )


@pytest.fixture
def target(county, commission, org_department) -> Organisation:
    return (
        Organisation.objects.filter(path__startswith=county.path, kind="unit")
        .exclude(pk__in=[commission.pk, org_department.pk])
        .order_by("code")
        .first()
    )


@pytest.fixture
def make(office, round_, target):
    """Record a problem or clue through the services and bring it to ``status``."""

    def build(
        title: str = "违规收受礼金",
        *,
        kind: str = "clue",
        status: str = Status.CONFIRMED,
        discipline: str = "integrity",
        topics: tuple[str, ...] = (),
        evidence: str = "",
        round_obj: Round | None = None,
    ) -> Record:
        record = services.record_create(
            actor=office,
            round_=round_obj or round_,
            target=target,
            kind=kind,
            title=title,
            description=f"{title}：群众反映相关人员在节日期间收受管理服务对象礼金。",
            source="letter",
            discipline=discipline,
            topics=TopicTag.objects.filter(code__in=topics),
            subjects=[services.SubjectInput(name="张某", post="副局长")],
        )
        if evidence:
            witness = services.record_create(
                actor=office,
                round_=round_obj or round_,
                target=target,
                kind="problem",
                title="谈话记录",
                description="知情人谈话记录",
                source="interview",
            )
            services.evidence_add(actor=office, record=record, obj=witness, excerpt=evidence)
        if status in (Status.REVIEW, Status.CONFIRMED):
            services.status_change(actor=office, record=record, to_status=Status.REVIEW)
        if status == Status.CONFIRMED:
            services.status_change(actor=office, record=record, to_status=Status.CONFIRMED)
        record.refresh_from_db()
        return record

    return build


@pytest.fixture
def sent(make, office, handover, commission):
    """Two integrity clues transferred to the discipline commission today."""

    def build(*, today: dt.date | None = None, n: int = 2) -> Transfer:
        records = [make(f"线索{i}", evidence=f"摘录{i}") for i in range(n)]
        return services.transfer_create(
            actor=office,
            records=records,
            department=commission,
            route=Route.DISCIPLINE_COMMISSION,
            today=today,
        )

    return build


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _events(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=kind).order_by("seq"))


def _receive(receiver, transfer: Transfer) -> Transfer:
    return services.transfer_receive(actor=receiver, transfer=transfer)


def _dispose(receiver, record: Record, method: str = "talk") -> Disposal:
    return services.disposal_record(
        actor=receiver,
        record=record,
        method=method,
        result="经谈话函询，说明清楚，予以采信。",
        decided_on=timezone.localdate(),
    )


# -- routing and the transfer package -------------------------------------------------------------


def test_packages_are_grouped_by_route_with_departments_preselected(
    as_user, make, handover, round_, commission, org_department
):
    integrity = make("收受礼金")
    cadre = make("违规提拔干部", discipline="organisational", topics=("cadre-selection",))
    work = make("项目推进不力", discipline="work")
    make("台账不规范", kind="problem", discipline="")
    make("尚待核实的线索", status=Status.REVIEW)

    response = as_user("office_c1").get(reverse("clues:transfer_create", args=[round_.pk]), **EN)

    assert response.status_code == 200
    packages = {p["route"]: p for p in response.context["packages"]}
    assert [r.pk for r in packages[Route.DISCIPLINE_COMMISSION]["records"]] == [integrity.pk]
    assert [r.pk for r in packages[Route.ORGANISATION_DEPARTMENT]["records"]] == [cadre.pk]
    assert [r.pk for r in packages[Route.RESPONSIBLE_DEPARTMENT]["records"]] == [work.pk]
    assert packages[Route.DISCIPLINE_COMMISSION]["department"] == commission
    assert packages[Route.ORGANISATION_DEPARTMENT]["department"] == org_department
    assert packages[Route.RESPONSIBLE_DEPARTMENT]["department"] is None
    assert "department" in packages[Route.RESPONSIBLE_DEPARTMENT]["form"].fields
    assert "department" not in packages[Route.DISCIPLINE_COMMISSION]["form"].fields
    assert response.context["problems"] == 1
    assert response.context["unconfirmed"] == 1
    html = response.content.decode()
    assert commission.name in html and org_department.name in html
    assert "1 problem stays with the target for rectification" in html
    assert "not confirmed yet" in html


def test_office_transfers_a_package_to_the_discipline_commission(
    as_user, make, handover, round_, commission
):
    a, b = make("线索甲", evidence="摘录甲"), make("线索乙")
    before = len(_events(AuditEventType.CLUE_TRANSFERRED))

    response = as_user("office_c1").post(
        reverse("clues:transfer_create", args=[round_.pk]),
        {
            "route": Route.DISCIPLINE_COMMISSION,
            f"{Route.DISCIPLINE_COMMISSION}-records": [a.pk, b.pk],
            f"{Route.DISCIPLINE_COMMISSION}-note": "请按期反馈",
        },
        **EN,
    )

    transfer = Transfer.objects.get(records=a)
    assert response.status_code == 302
    assert response["Location"] == reverse("clues:transfer", args=[transfer.pk])
    assert transfer.department == commission
    assert transfer.route == Route.DISCIPLINE_COMMISSION
    assert transfer.note == "请按期反馈"
    assert set(transfer.records.values_list("status", flat=True)) == {Status.TRANSFERRED}
    assert transfer.records.count() == 2
    assert any(transfer.number in m for m in _messages(response))
    events = _events(AuditEventType.CLUE_TRANSFERRED)
    assert len(events) == before + 1
    assert events[-1].after["records"] == sorted([a.pk, b.pk])


def test_only_the_ticked_clues_go(as_user, make, handover, round_):
    a, b = make("线索甲"), make("线索乙")
    as_user("office_c1").post(
        reverse("clues:transfer_create", args=[round_.pk]),
        {"route": Route.DISCIPLINE_COMMISSION, f"{Route.DISCIPLINE_COMMISSION}-records": [b.pk]},
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == (Status.CONFIRMED, Status.TRANSFERRED)


def test_responsible_department_is_chosen_within_the_office_scope(
    as_user, make, handover, round_, county
):
    work = make("项目推进不力", discipline="work")
    url = reverse("clues:transfer_create", args=[round_.pk])
    key = Route.RESPONSIBLE_DEPARTMENT
    client = as_user("office_c1")

    missing = client.post(url, {"route": key, f"{key}-records": [work.pk]}, **EN)
    assert missing.status_code == 200
    assert missing.context["packages"][0]["form"].errors["department"]

    elsewhere = Organisation.objects.filter(kind="unit", code__startswith="C02").first()
    outside = client.post(
        url, {"route": key, f"{key}-records": [work.pk], f"{key}-department": elsewhere.pk}, **EN
    )
    assert outside.status_code == 200
    assert not Transfer.objects.filter(records=work).exists()

    township = Organisation.objects.filter(path__startswith=county.path, kind="township").first()
    done = client.post(
        url, {"route": key, f"{key}-records": [work.pk], f"{key}-department": township.pk}, **EN
    )
    assert done.status_code == 302
    transfer = Transfer.objects.get(records=work)
    assert (transfer.department, transfer.route) == (township, key)


def test_a_route_without_its_department_cannot_be_sent(as_user, make, office, county, round_):
    services.handover_settings_set(
        actor=office, committee=county, values={"discipline_commission": None}
    )
    clue = make()
    url = reverse("clues:transfer_create", args=[round_.pk])
    page = as_user("office_c1").get(url, **EN)
    assert 'data-testid="package-missing"' in page.content.decode()
    response = as_user("office_c1").post(
        url,
        {"route": Route.DISCIPLINE_COMMISSION, f"{Route.DISCIPLINE_COMMISSION}-records": [clue.pk]},
        **EN,
    )
    assert response.status_code == 200
    assert "handover settings" in str(response.context["packages"][0]["form"].non_field_errors())
    assert not Transfer.objects.filter(records=clue).exists()


def test_a_problem_or_an_unconfirmed_clue_is_not_offered_nor_transferred(
    as_user, make, handover, round_, commission, office
):
    problem = make("台账不规范", kind="problem")
    pending = make("待核实", status=Status.REVIEW)
    key = Route.DISCIPLINE_COMMISSION
    response = as_user("office_c1").post(
        reverse("clues:transfer_create", args=[round_.pk]),
        {"route": key, f"{key}-records": [problem.pk, pending.pk]},
        **EN,
    )
    # Neither is in any package: the route has nothing waiting.
    assert response.status_code == 302
    assert any("No confirmed clue" in m for m in _messages(response))
    assert not Transfer.objects.filter(records__in=[problem, pending]).exists()

    with pytest.raises(services.Refused, match="is a problem"):
        services.transfer_create(actor=office, records=[problem], department=commission, route=key)
    with pytest.raises(services.Refused, match="only confirmed clues"):
        services.transfer_create(actor=office, records=[pending], department=commission, route=key)


def test_a_clue_of_another_package_cannot_be_slipped_in(as_user, make, handover, round_):
    integrity = make("收受礼金")
    work = make("项目推进不力", discipline="work")
    key = Route.DISCIPLINE_COMMISSION
    response = as_user("office_c1").post(
        reverse("clues:transfer_create", args=[round_.pk]),
        {"route": key, f"{key}-records": [integrity.pk, work.pk]},
        **EN,
    )
    assert response.status_code == 200
    assert response.context["packages"][0]["form"].errors["records"]
    assert not Transfer.objects.filter(records__in=[integrity, work]).exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("office_c1", 200),
        ("office", 200),
        ("leading", 403),
        ("leader", 403),
        ("member", 403),
        ("receiver", 403),
        ("auditor", 403),
        (None, 302),
    ],
)
def test_transfer_create_is_for_the_office(as_user, round_, persona, status):
    url = reverse("clues:transfer_create", args=[round_.pk])
    assert as_user(persona).get(url).status_code == status
    if persona not in ("office_c1", "office"):
        assert as_user(persona).post(url, {"route": "discipline_commission"}).status_code == status


def test_a_round_of_another_county_is_hidden_from_the_county_office(as_user):
    other = round_services.round_create(
        actor=None,
        committee=Organisation.objects.get(code="C02"),
        name="别县的轮次",
        kind="mobile",
        start_date=dt.date(2026, 3, 2),
    )
    url = reverse("clues:transfer_create", args=[other.pk])
    assert as_user("office_c1").get(url).status_code == 404
    assert as_user("office").get(url).status_code == 200


# -- the transfer list ---------------------------------------------------------------------------


def test_transfer_list_shows_packages_and_rounds_waiting(as_user, sent, make, round_):
    transfer = sent()
    make("尚未移交")
    response = as_user("office_c1").get(reverse("clues:transfers"), {"round": round_.pk}, **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert transfer.number in html
    assert [r["round"] for r in response.context["ready"] if r["round"] == round_.pk]
    row = next(r for r in response.context["rows"] if r.obj.pk == transfer.pk)
    assert row.obj.clue_count == 2 and row.obj.disposed_count == 0


def test_transfer_list_exports_are_audited(as_user, sent, round_):
    transfer = sent()
    client = as_user("office_c1")
    before = len(_events(AuditEventType.CLUE_EXPORTED))
    response = client.get(reverse("clues:transfers"), {"round": round_.pk, "export": "xlsx"}, **EN)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Number" and rows[1][0] == transfer.number
    assert rows[1][4] == 2
    csv = client.get(reverse("clues:transfers"), {"round": round_.pk, "export": "csv"})
    assert transfer.number in b"".join(csv.streaming_content).decode("utf-8-sig")
    events = _events(AuditEventType.CLUE_EXPORTED)[before:]
    assert [(e.object_type, e.extra["format"], e.extra["count"]) for e in events] == [
        ("clues.transfer", "xlsx", 1),
        ("clues.transfer", "csv", 1),
    ]


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("office_c1", 200),
        ("office", 200),
        ("leading", 403),
        ("member", 403),
        ("receiver", 403),
        ("auditor", 403),
        (None, 302),
    ],
)
def test_transfer_list_is_for_the_office(as_user, persona, status):
    assert as_user(persona).get(reverse("clues:transfers")).status_code == status


# -- the package page, the letter -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("office_c1", 200),
        ("office", 200),
        ("receiver", 200),
        ("org_receiver", 404),
        ("leading", 403),
        ("member", 403),
        ("auditor", 403),
        (None, 302),
    ],
)
def test_transfer_detail_is_for_the_office_and_the_receiving_department(
    as_user, sent, org_receiver, persona, status
):
    transfer = sent()
    assert as_user(persona).get(reverse("clues:transfer", args=[transfer.pk])).status_code == (
        status
    )


def test_the_receiver_sees_the_package_and_every_read_is_logged(as_user, sent, receiver):
    transfer = sent()
    before = len(_events(AuditEventType.CLUE_READ))
    response = as_user("receiver").get(reverse("clues:transfer", args=[transfer.pk]), **EN)
    html = response.content.decode()
    assert 'data-testid="receive"' in html
    assert "摘录0" in html and "张某" in html
    assert 'data-testid="dispose-link"' not in html  # receipt first
    assert 'data-testid="close-form"' not in html
    events = _events(AuditEventType.CLUE_READ)[before:]
    assert sorted(int(e.object_id) for e in events) == sorted(
        transfer.records.values_list("pk", flat=True)
    )
    assert {e.actor_id for e in events} == {receiver.pk}
    assert {e.extra["transfer"] for e in events} == {transfer.number}


def test_the_letter_lists_the_clues_and_is_audited(as_user, sent, commission, round_):
    transfer = sent()
    before = len(_events(AuditEventType.CLUE_TRANSFER_LETTER))
    response = as_user("receiver").get(reverse("clues:letter", args=[transfer.pk]))
    assert response.status_code == 200
    assert "wordprocessingml" in response["Content-Type"]
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "关于移交问题线索的函" in text
    assert f"编号：{transfer.number}" in text
    assert f"{commission.name}：" in text
    assert round_.name in text
    report_due = transfer.report_due
    assert f"{report_due.year}年{report_due.month}月{report_due.day}日" in text
    assert "2件问题线索" in text
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == [
        "序号",
        "线索编号",
        "线索标题",
        "来源",
        "反映对象",
        "问题类别",
        "主要问题",
        "证据摘录",
    ]
    records = list(transfer.records.order_by("number"))
    body = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert [r[1] for r in body] == [r.number for r in records]
    first = body[0]
    assert first[0] == "1" and first[2] == records[0].title
    assert first[3] == "来信"
    assert first[4] == "张某（副局长）"
    assert first[5] == "廉洁纪律"
    assert "摘录" in first[7]
    assert len(doc.sections) == 2  # the list on a landscape page
    events = _events(AuditEventType.CLUE_TRANSFER_LETTER)
    assert len(events) == before + 1
    assert events[-1].object_id == str(transfer.pk)
    assert events[-1].extra["records"] == [r.pk for r in sorted(records, key=lambda r: r.pk)]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("office_c1", 200), ("org_receiver", 404), ("member", 403), ("leading", 403), (None, 302)],
)
def test_letter_access(as_user, sent, org_receiver, persona, status):
    transfer = sent(n=1)
    before = len(_events(AuditEventType.CLUE_TRANSFER_LETTER))
    response = as_user(persona).get(reverse("clues:letter", args=[transfer.pk]))
    assert response.status_code == status
    assert len(_events(AuditEventType.CLUE_TRANSFER_LETTER)) == before + (status == 200)


# -- receipt ---------------------------------------------------------------------------------------


def test_the_receiver_records_receipt_once(as_user, sent, receiver):
    transfer = sent()
    client = as_user("receiver")
    url = reverse("clues:receive", args=[transfer.pk])
    before = len(_events(AuditEventType.CLUE_RECEIVED))

    first = client.post(url, **EN)
    assert first.status_code == 302
    assert first["Location"] == reverse("clues:transfer", args=[transfer.pk])
    transfer.refresh_from_db()
    assert transfer.received_by == receiver and transfer.received_at is not None
    assert any("Receipt of" in m for m in _messages(first))

    again = client.post(url, **EN)
    assert any("already recorded" in m for m in _messages(again))
    assert len(_events(AuditEventType.CLUE_RECEIVED)) == before + 1
    with pytest.raises(services.Refused):
        services.transfer_receive(actor=receiver, transfer=transfer)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("office_c1", 403), ("org_receiver", 404), ("member", 403), ("leading", 403), (None, 302)],
)
def test_only_the_receiving_department_records_receipt(
    as_user, sent, org_receiver, persona, status
):
    transfer = sent(n=1)
    response = as_user(persona).post(reverse("clues:receive", args=[transfer.pk]))
    assert response.status_code == status
    transfer.refresh_from_db()
    assert transfer.received_at is None


def test_receipt_is_post_only(as_user, sent):
    transfer = sent(n=1)
    assert as_user("receiver").get(reverse("clues:receive", args=[transfer.pk])).status_code == 405


# -- disposal --------------------------------------------------------------------------------------


def test_disposal_before_receipt_is_refused(as_user, sent):
    transfer = sent(n=1)
    record = transfer.records.get()
    response = as_user("receiver").post(
        reverse("clues:disposal", args=[record.pk]),
        {"method": "talk", "result": "已谈话", "decided_on": timezone.localdate().isoformat()},
        **EN,
    )
    assert response.status_code == 302
    assert any("receipt" in m for m in _messages(response))
    assert not Disposal.objects.filter(record=record).exists()


def test_the_receiver_records_a_disposal(as_user, sent, receiver):
    transfer = _receive(receiver, sent())
    record = transfer.records.order_by("pk").first()
    client = as_user("receiver")
    url = reverse("clues:disposal", args=[record.pk])

    page = client.get(url, **EN)
    assert page.status_code == 200
    assert 'data-testid="disposal-form"' in page.content.decode()
    assert page.context["disposal_record"] == record

    before = len(_events(AuditEventType.CLUE_DISPOSAL))
    today = timezone.localdate()
    response = client.post(
        url,
        {"method": "verify", "result": "经初步核实，反映问题部分属实。", "decided_on": today},
        **EN,
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#clue-{record.pk}")
    record.refresh_from_db()
    assert record.status == Status.DISPOSAL_REPORTED
    disposal = record.disposals.get()
    assert (disposal.method, disposal.decided_on, disposal.recorded_by) == (
        "verify",
        today,
        receiver,
    )
    assert len(_events(AuditEventType.CLUE_DISPOSAL)) == before + 1
    assert any("Disposal of" in m for m in _messages(response))


def test_an_invalid_disposal_shows_the_form_again(as_user, sent, receiver):
    transfer = _receive(receiver, sent(n=1))
    record = transfer.records.get()
    url = reverse("clues:disposal", args=[record.pk])
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = as_user("receiver").post(
        url, {"method": "talk", "result": "", "decided_on": tomorrow}, **EN
    )
    assert response.status_code == 200
    errors = response.context["disposal_form"].errors
    assert "result" in errors and "decided_on" in errors
    assert not Disposal.objects.filter(record=record).exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("office_c1", 403), ("org_receiver", 404), ("member", 403), ("leading", 403), (None, 302)],
)
def test_only_the_receiving_department_records_disposal(
    as_user, sent, receiver, org_receiver, persona, status
):
    transfer = _receive(receiver, sent(n=1))
    record = transfer.records.get()
    url = reverse("clues:disposal", args=[record.pk])
    assert as_user(persona).get(url).status_code == status
    data = {"method": "talk", "result": "x", "decided_on": timezone.localdate()}
    assert as_user(persona).post(url, data).status_code == status
    assert not Disposal.objects.filter(record=record).exists()


def test_a_record_not_transferred_gets_no_disposal(as_user, make, receiver, handover):
    clue = make()
    page = as_user("receiver").get(reverse("clues:disposal", args=[clue.pk]), **EN)
    assert page.status_code == 404
    with pytest.raises(services.Refused, match="transferred clue"):
        _dispose(receiver, clue)


def test_a_closed_clue_gets_no_further_disposal(sent, receiver, office):
    transfer = _receive(receiver, sent(n=1))
    record = transfer.records.get()
    _dispose(receiver, record)
    services.record_close(actor=office, record=record, reason="已办结")
    with pytest.raises(services.Refused, match="transferred clue"):
        _dispose(receiver, record)


# -- closure by the office -------------------------------------------------------------------------


def test_the_office_closes_a_clue_after_its_disposal(as_user, sent, receiver):
    transfer = _receive(receiver, sent(n=1))
    record = transfer.records.get()
    _dispose(receiver, record)
    client = as_user("office_c1")
    page = client.get(reverse("clues:transfer", args=[transfer.pk]), **EN)
    assert 'data-testid="close-form"' in page.content.decode()
    before = len(_events(AuditEventType.CLUE_CLOSED))

    response = client.post(
        reverse("clues:transfer", args=[transfer.pk]),
        {"record": record.pk, "reason": "谈话函询后了结"},
        **EN,
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.status, record.status_reason) == (Status.CLOSED, "谈话函询后了结")
    assert len(_events(AuditEventType.CLUE_CLOSED)) == before + 1
    assert any("closed" in m for m in _messages(response))


def test_closing_before_disposal_is_refused(as_user, sent, receiver, office):
    transfer = _receive(receiver, sent(n=1))
    record = transfer.records.get()
    response = as_user("office_c1").post(
        reverse("clues:transfer", args=[transfer.pk]),
        {"record": record.pk, "reason": "直接了结"},
        **EN,
    )
    assert response.status_code == 302
    assert any("can be closed" in m for m in _messages(response))
    record.refresh_from_db()
    assert record.status == Status.TRANSFERRED
    with pytest.raises(services.Refused):
        services.record_close(actor=office, record=record, reason="直接了结")


def test_closing_needs_a_reason(as_user, sent, receiver):
    transfer = _receive(receiver, sent(n=1))
    record = transfer.records.get()
    _dispose(receiver, record)
    response = as_user("office_c1").post(
        reverse("clues:transfer", args=[transfer.pk]), {"record": record.pk, "reason": ""}, **EN
    )
    assert any("concluded" in m for m in _messages(response))
    record.refresh_from_db()
    assert record.status == Status.DISPOSAL_REPORTED


@pytest.mark.parametrize(("persona", "status"), [("receiver", 403), ("member", 403)])
def test_only_the_office_closes(as_user, sent, receiver, persona, status):
    transfer = _receive(receiver, sent(n=1))
    record = transfer.records.get()
    _dispose(receiver, record)
    response = as_user(persona).post(
        reverse("clues:transfer", args=[transfer.pk]), {"record": record.pk, "reason": "了结"}
    )
    assert response.status_code == status
    record.refresh_from_db()
    assert record.status == Status.DISPOSAL_REPORTED


# -- the inbox -------------------------------------------------------------------------------------


def test_the_inbox_lists_transfers_to_the_department_only(
    as_user, sent, make, office, org_receiver, org_department
):
    mine = sent()
    cadre = make("违规提拔", discipline="organisational", topics=("cadre-selection",))
    theirs = services.transfer_create(
        actor=office,
        records=[cadre],
        department=org_department,
        route=Route.ORGANISATION_DEPARTMENT,
    )
    html = as_user("receiver").get(reverse("clues:inbox"), **EN).content.decode()
    assert mine.number in html and theirs.number not in html
    assert "waiting for receipt" in html
    other = as_user("org_receiver").get(reverse("clues:inbox"), **EN).content.decode()
    assert theirs.number in other and mine.number not in other


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("receiver", 200),
        ("org_receiver", 200),
        ("office_c1", 403),
        ("leading", 403),
        ("member", 403),
        ("auditor", 403),
        (None, 302),
    ],
)
def test_the_inbox_is_for_receiving_departments(as_user, org_receiver, persona, status):
    assert as_user(persona).get(reverse("clues:inbox")).status_code == status


# -- deadlines and the overdue list ----------------------------------------------------------------


def test_deadlines_follow_the_settings_and_clamp_month_ends(make, office, county, commission):
    services.handover_settings_set(
        actor=office,
        committee=county,
        values={
            "discipline_commission": commission,
            "report_months": 2,
            "close_months": 4,
            "max_months": 9,
        },
    )
    transfer = services.transfer_create(
        actor=office,
        records=[make()],
        department=commission,
        route=Route.DISCIPLINE_COMMISSION,
        today=dt.date(2025, 12, 31),
    )
    assert (transfer.report_due, transfer.close_due, transfer.max_due) == (
        dt.date(2026, 2, 28),
        dt.date(2026, 4, 30),
        dt.date(2026, 9, 30),
    )


def test_default_deadlines_are_three_six_and_twelve_months(sent):
    transfer = sent(n=1, today=dt.date(2026, 1, 15))
    assert (transfer.report_due, transfer.close_due, transfer.max_due) == (
        dt.date(2026, 4, 15),
        dt.date(2026, 7, 15),
        dt.date(2027, 1, 15),
    )


def test_overdue_deadlines_by_state_and_day(sent, receiver):
    transfer = _receive(receiver, sent(n=2, today=dt.date(2026, 1, 15)))
    waiting, disposed = transfer.records.order_by("pk")
    _dispose(receiver, disposed)
    disposed.refresh_from_db()
    R = Reminder.Deadline
    assert services.overdue_deadlines(waiting, dt.date(2026, 4, 15)) == []
    assert services.overdue_deadlines(waiting, dt.date(2026, 4, 16)) == [
        (R.REPORT, dt.date(2026, 4, 15))
    ]
    # A reported disposal stops the report deadline, not the closing ones.
    assert services.overdue_deadlines(disposed, dt.date(2026, 4, 16)) == []
    assert services.overdue_deadlines(disposed, dt.date(2027, 1, 16)) == [
        (R.CLOSE, dt.date(2026, 7, 15)),
        (R.MAX, dt.date(2027, 1, 15)),
    ]
    scope = Record.objects.filter(transfer=transfer)
    assert list(selectors.overdue(scope, dt.date(2026, 4, 15))) == []
    assert list(selectors.overdue(scope, dt.date(2026, 4, 16))) == [waiting]
    assert set(selectors.overdue(scope, dt.date(2026, 7, 16))) == {waiting, disposed}


def test_an_overdue_clue_is_on_the_office_list_and_flagged_in_the_inbox(
    as_user, sent, receiver, round_
):
    late = _receive(receiver, sent(n=1, today=services.add_months(timezone.localdate(), -4)))
    on_time = sent(n=1)
    services.check_deadlines()
    late_record = late.records.get()

    response = as_user("office_c1").get(reverse("clues:overdue"), {"round": round_.pk}, **EN)
    assert response.status_code == 200
    listed = [row.obj.pk for row in response.context["rows"]]
    assert late_record.pk in listed
    assert on_time.records.get().pk not in listed
    html = response.content.decode()
    assert "Disposal report overdue" in html  # the passed deadline and the job's reminder

    inbox = as_user("receiver").get(reverse("clues:inbox"), **EN)
    flagged = [c["record"].pk for c in inbox.context["clues"] if c["overdue"]]
    assert late_record.pk in flagged
    assert on_time.records.get().pk not in flagged
    assert 'data-testid="transfer-overdue"' in inbox.content.decode()

    detail = as_user("receiver").get(reverse("clues:transfer", args=[late.pk]), **EN)
    assert 'data-testid="reminders"' in detail.content.decode()
    assert 'data-testid="overdue-badge"' in detail.content.decode()


def test_a_disposed_clue_becomes_overdue_when_not_closed_in_time(as_user, sent, receiver, round_):
    transfer = _receive(receiver, sent(n=1))
    record = transfer.records.get()
    _dispose(receiver, record)
    url, query = reverse("clues:overdue"), {"round": round_.pk}
    listed = as_user("office_c1").get(url, query, **EN).context["rows"]
    assert record.pk not in [row.obj.pk for row in listed]
    with time_machine.travel(timezone.now() + dt.timedelta(days=200), tick=False):
        rows = as_user("office_c1").get(url, query, **EN).context["rows"]
    assert record.pk in [row.obj.pk for row in rows]


def test_overdue_exports_are_audited(as_user, sent, round_):
    late = sent(n=1, today=services.add_months(timezone.localdate(), -4))
    before = len(_events(AuditEventType.CLUE_EXPORTED))
    response = as_user("office_c1").get(
        reverse("clues:overdue"), {"round": round_.pk, "export": "xlsx"}, **EN
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Number"
    assert late.records.get().number in [r[0] for r in rows[1:]]
    event = _events(AuditEventType.CLUE_EXPORTED)[before]
    assert (event.object_type, event.extra["format"], event.extra["count"]) == (
        "clues.overdue",
        "xlsx",
        1,
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("office_c1", 200),
        ("office", 200),
        ("leading", 403),
        ("member", 403),
        ("receiver", 403),
        ("auditor", 403),
        (None, 302),
    ],
)
def test_the_overdue_list_is_for_the_office(as_user, persona, status):
    assert as_user(persona).get(reverse("clues:overdue")).status_code == status


# -- statistics -----------------------------------------------------------------------------------


@pytest.fixture
def counted(make, handover, office, receiver, commission):
    """2 problems and 4 clues in the round; 2 clues transferred, 1 disposed, 1 overdue."""
    make("台账不规范", kind="problem", discipline="work")
    make("制度缺失", kind="problem", discipline="")
    a = make("收受礼金", topics=("eight-rules",))
    b = make("公款吃喝", topics=("eight-rules",))
    make("违规提拔", discipline="organisational", topics=("cadre-selection",))
    make("未确认线索", status=Status.REVIEW)
    late = services.transfer_create(
        actor=office,
        records=[a],
        department=commission,
        route=Route.DISCIPLINE_COMMISSION,
        today=services.add_months(timezone.localdate(), -4),
    )
    done = _receive(
        receiver,
        services.transfer_create(
            actor=office, records=[b], department=commission, route=Route.DISCIPLINE_COMMISSION
        ),
    )
    _dispose(receiver, done.records.get())
    return late


def test_statistics_count_by_round_discipline_and_topic(as_user, counted, round_, commission):
    response = as_user("leading").get(reverse("clues:statistics"), {"round": round_.pk}, **EN)
    assert response.status_code == 200
    data = response.context["data"]
    # The evidence-free fixture records no extra problems here: 2 problems, 4 clues.
    assert (data["total"], data["problems"], data["clues"]) == (6, 2, 4)
    assert (data["transferred"], data["disposed"], data["rate_text"]) == (2, 1, "50.0%")
    assert data["overdue"] == 1
    groups = data["groups"]
    assert groups["round"] == [{"label": round_.name, "problem": 2, "clue": 4, "total": 6}]
    by_discipline = {r["label"]: (r["problem"], r["clue"]) for r in groups["discipline"]}
    assert by_discipline == {
        "Unclassified": (1, 0),
        "Integrity discipline": (0, 3),
        "Organisational discipline": (0, 1),
        "Work discipline": (1, 0),
    }
    by_topic = {r["label"]: (r["problem"], r["clue"]) for r in groups["topic"]}
    eight = TopicTag.objects.get(code="eight-rules")
    cadre = TopicTag.objects.get(code="cadre-selection")
    assert by_topic == {"No topic": (2, 1), eight.name_en: (0, 2), cadre.name_en: (0, 1)}
    assert data["departments"] == [
        {
            "label": commission.name,
            "transferred": 2,
            "disposed": 1,
            "rate": 0.5,
            "rate_text": "50.0%",
            "overdue": 1,
        }
    ]
    html = response.content.decode()
    assert 'id="stats-discipline"' in html and 'data-chart="stacked-bar"' in html
    assert "<script>" not in html  # data in json_script only
    assert 'data-testid="overdue-link"' not in html  # the leading group sees counts only
    chart = response.context["charts"][0]["data"]
    assert chart["categories"] == [round_.name]
    assert [s["data"] for s in chart["series"]] == [[2], [4]]


def test_statistics_export_to_xlsx_and_are_audited(as_user, counted, round_, commission):
    before = len(_events(AuditEventType.CLUE_EXPORTED))
    response = as_user("office_c1").get(
        reverse("clues:statistics"), {"round": round_.pk, "export": "xlsx"}, **EN
    )
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "Summary",
        "By round",
        "By target",
        "By discipline",
        "By topic",
        "By status",
        "By receiving department",
    ]
    summary = dict(list(workbook["Summary"].iter_rows(values_only=True))[1:])
    assert summary["Problems and clues"] == 6
    assert summary["Clues transferred"] == 2
    assert summary["Disposal rate"] == 0.5
    assert summary["Overdue clues"] == 1
    rounds = list(workbook["By round"].iter_rows(values_only=True))
    assert rounds[1] == (round_.name, 2, 4, 6)
    departments = list(workbook["By receiving department"].iter_rows(values_only=True))
    assert departments[1] == (commission.name, 2, 1, 0.5, 1)
    event = _events(AuditEventType.CLUE_EXPORTED)[before]
    assert (event.object_type, event.extra["format"], event.extra["count"]) == (
        "clues.statistics",
        "xlsx",
        6,
    )
    assert event.extra["filters"] == {"round": round_.pk}


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("office_c1", 200),
        ("office", 200),
        ("leading", 200),
        ("leader", 403),
        ("member", 403),
        ("receiver", 403),
        ("auditor", 403),
        (None, 302),
    ],
)
def test_statistics_are_for_the_office_and_the_leading_group(as_user, persona, status):
    assert as_user(persona).get(reverse("clues:statistics")).status_code == status


# -- routing and deadline settings ----------------------------------------------------------------


def test_the_office_edits_routing_and_deadlines(as_user, county, commission, org_department):
    client = as_user("office_c1")
    url = reverse("clues:handover_settings")
    page = client.get(url, {"committee": county.pk}, **EN)
    assert page.status_code == 200
    assert page.context["origin"] in ("defaults", "inherited", "own")
    before = len(_events(AuditEventType.HANDOVER_SETTINGS_SET))

    response = client.post(
        url,
        {
            "committee": county.pk,
            "discipline_commission": commission.pk,
            "organisation_department": org_department.pk,
            "report_months": 2,
            "close_months": 5,
            "max_months": 12,
            "route_discipline_work": Route.RESPONSIBLE_DEPARTMENT,
            "route_topic_cadre-selection": Route.ORGANISATION_DEPARTMENT,
            "route_topic_land-construction": "",
        },
        **EN,
    )

    assert response.status_code == 302
    row = HandoverSettings.objects.get(committee=county)
    assert (row.discipline_commission, row.organisation_department) == (
        commission,
        org_department,
    )
    assert (row.report_months, row.close_months, row.max_months) == (2, 5, 12)
    assert row.routes == {
        "discipline:work": Route.RESPONSIBLE_DEPARTMENT,
        "topic:cadre-selection": Route.ORGANISATION_DEPARTMENT,
    }
    assert len(_events(AuditEventType.HANDOVER_SETTINGS_SET)) == before + 1
    again = client.get(url, {"committee": county.pk}, **EN)
    assert again.context["origin"] == "own"
    assert again.context["form"].initial["route_discipline_work"] == Route.RESPONSIBLE_DEPARTMENT


def test_deadlines_that_shrink_are_refused(as_user, county):
    response = as_user("office_c1").post(
        reverse("clues:handover_settings"),
        {"committee": county.pk, "report_months": 6, "close_months": 3, "max_months": 12},
        **EN,
    )
    assert response.status_code == 200
    assert "Deadlines must grow" in response.content.decode()
    assert not HandoverSettings.objects.filter(committee=county, report_months=6).exists()


def test_settings_of_a_committee_outside_the_scope_are_hidden(as_user):
    other = Organisation.objects.get(code="C02")
    url = reverse("clues:handover_settings")
    assert as_user("office_c1").get(url, {"committee": other.pk}).status_code == 404
    assert as_user("office").get(url, {"committee": other.pk}).status_code == 200


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("office_c1", 200),
        ("office", 200),
        ("leading", 403),
        ("member", 403),
        ("receiver", 403),
        ("auditor", 403),
        (None, 302),
    ],
)
def test_handover_settings_are_for_the_office(as_user, persona, status):
    assert as_user(persona).get(reverse("clues:handover_settings")).status_code == status


# -- the whole flow, and query counts --------------------------------------------------------------


def test_the_whole_handover_through_the_pages(as_user, make, handover, round_):
    clue = make("收受礼金", evidence="当事人承认收受礼金")
    office_client, receiver_client = as_user("office_c1"), as_user("receiver")
    key = Route.DISCIPLINE_COMMISSION
    sent_to = office_client.post(
        reverse("clues:transfer_create", args=[round_.pk]),
        {"route": key, f"{key}-records": [clue.pk]},
    )["Location"]
    transfer = Transfer.objects.get(records=clue)
    assert sent_to == reverse("clues:transfer", args=[transfer.pk])
    receiver_client.post(reverse("clues:receive", args=[transfer.pk]))
    receiver_client.post(
        reverse("clues:disposal", args=[clue.pk]),
        {
            "method": "close",
            "result": "反映问题不实，予以了结。",
            "decided_on": timezone.localdate(),
        },
    )
    office_client.post(sent_to, {"record": clue.pk, "reason": "处置完毕"})
    clue.refresh_from_db()
    assert clue.status == Status.CLOSED
    kinds = list(clue.timeline.order_by("at", "id").values_list("event_type", flat=True))
    assert kinds[-4:] == [
        AuditEventType.CLUE_TRANSFERRED,
        AuditEventType.CLUE_RECEIVED,
        AuditEventType.CLUE_DISPOSAL,
        AuditEventType.CLUE_CLOSED,
    ]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["office_c1", "receiver"])
def test_package_page_queries_do_not_grow_with_the_clues(as_user, sent, receiver, persona):
    small = _receive(receiver, sent(n=1))
    large = _receive(receiver, sent(n=4))
    client = as_user(persona)
    one = _queries(client, reverse("clues:transfer", args=[small.pk]))
    four = _queries(client, reverse("clues:transfer", args=[large.pk]))
    assert four == one


def test_inbox_and_overdue_queries_do_not_grow(as_user, sent, receiver):
    sent(n=1, today=services.add_months(timezone.localdate(), -4))
    receiver_client, office_client = as_user("receiver"), as_user("office_c1")
    inbox_before = _queries(receiver_client, reverse("clues:inbox"))
    overdue_before = _queries(office_client, reverse("clues:overdue"))
    sent(n=3, today=services.add_months(timezone.localdate(), -4))
    sent(n=2)
    assert _queries(receiver_client, reverse("clues:inbox")) == inbox_before
    assert _queries(office_client, reverse("clues:overdue")) == overdue_before
