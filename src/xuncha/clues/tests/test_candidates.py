"""Who a name in a clue may be (issue #9): the subject's age and place, the candidates page
(the people registry for whoever reads the record, the household register for whoever
reads datasets), "This is the person" for a registry person and for a register row, who
may do what, and the audit log; and the pure parts (place, prefilter, prior)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from django.urls import reverse

from xuncha.clues import selectors, services
from xuncha.clues.forms import parse_subjects, subjects_text
from xuncha.clues.lib import candidates as lib
from xuncha.clues.models import Kind, Record, Status, Subject
from xuncha.core.demo.generator import REFERENCE_DATE
from xuncha.core.lib import idnumber
from xuncha.core.models import AuditEvent, AuditEventType, Organisation, Person, User
from xuncha.rounds.models import Round, Stage, Team

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
TODAY = dt.date(2026, 11, 27)


# -- the pure parts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("城关镇", ("城关镇", None, None)),
        ("东风村", (None, "东风村", None)),
        ("城关镇东风村", ("城关镇", "东风村", None)),
        ("城关镇 新华社区", ("城关镇", "新华社区", None)),
        ("城关街道", ("城关街道", None, None)),
        ("县财政局", (None, None, "县财政局")),
        ("", (None, None, None)),
    ],
)
def test_place_parts(text: str, parts: tuple[Any, ...]) -> None:
    place = lib.place_parts(text)
    assert (place.township, place.village, place.organisation) == parts


def test_ages_and_places_by_their_form() -> None:
    assert all(lib.looks_like_age(t) for t in ("约五十岁", "50岁左右", "五十多岁", "50"))
    assert not any(lib.looks_like_age(t) for t in ("副镇长", "城关镇", "第一中学"))
    assert lib.looks_like_place("城关镇") and lib.looks_like_place("新华社区")
    assert not lib.looks_like_place("县财政局") and not lib.looks_like_place("村委会主任")


def test_blocked_keeps_what_the_blocking_scores() -> None:
    rows = [
        {"id": f"r{i}", "name": name, "township": township}
        for i, (name, township) in enumerate(
            [
                ("张卫东", "河西乡"),
                ("张伟东", "河西乡"),
                ("章卫栋", "河西乡"),
                ("卫东张", "河西乡"),
                ("张卫车", "河西乡"),
                ("张三", "城关镇"),
                ("李强", "城关镇"),
                ("王卫东", "x"),
            ]
        )
    ]
    query = lib.prepared_query(lib.query_row("张卫东", township="城关镇"), on=TODAY)
    kept = lib.registry_features(rows, query, on=TODAY)[0].column("name_text").to_pylist()
    # The same name, homophones, reordered, a similar shape (车/东 are not: one character
    # differs, which only the family name and place would block on), and the same family
    # name in the same township.
    assert sorted(kept) == sorted(["张卫东", "张伟东", "章卫栋", "卫东张", "张三"])


def test_filtering_first_leaves_the_candidates_unchanged() -> None:
    """``link.blocked`` keeps every record the candidate blocking would pair: scoring the
    kept records gives the pairs scoring all of them gives, over generated people."""
    from xuncha.datacheck.lib import link, linksynth

    linkset = linksynth.generate(1500, 30, seed=11)
    roles = {c: c for c in linksynth.LEFT_COLUMNS if c in link.ROLES}
    registry, _problems = link.prepare(linkset.left, roles, on=linksynth.REFERENCE_DAY)
    model = link.default_model()
    found_some = 0
    for row in linkset.right.to_pylist()[:30]:
        query = lib.report_query(
            row["name"] or "", row["address"] or "", row["age"] or "", on=linksynth.REFERENCE_DAY
        )
        if not query.num_rows:
            continue
        kept = registry.filter(link.blocked(query, registry))
        assert kept.num_rows < registry.num_rows / 10

        # Every pair the blocking makes, with one prior for both (``candidates`` sets it
        # from the number of records, which ``rank`` moves back with ``with_prior``) and
        # the name frequencies of the whole registry.
        frequencies = link.frequencies(registry, query)
        assert frequencies is not None

        def scored(
            table: pa.Table,
            query: pa.Table = query,
            frequencies: dict[str, pa.Table] = frequencies,
        ) -> dict[str, float]:
            pairs = link.run(
                table,
                query,
                thresholds=link.Thresholds(0.9, 1e-300),
                model=model,
                blocking=link.CANDIDATE_BLOCKING,
                adapt_prior=False,
                frequencies=frequencies,
            ).pairs
            return dict(
                zip(
                    pairs.column("left_id").to_pylist(),
                    pairs.column("match_probability").to_pylist(),
                    strict=True,
                )
            )

        ids = scored(registry)
        assert scored(kept) == ids
        # And what the page shows: the same people with the same probabilities.
        everyone = lib.rank(query, registry, total=registry.num_rows)
        found = lib.rank(query, kept, total=registry.num_rows, frequencies=frequencies)
        assert [(r.id, round(r.probability, 4)) for r in found] == [
            (r.id, round(r.probability, 4)) for r in everyone
        ]
        found_some += bool(ids)
    assert found_some >= 15  # most of them name someone of the registry


def test_every_feature_names_the_roles_it_is_made_from() -> None:
    from xuncha.datacheck.lib import link

    assert set(link.FEATURE_SOURCES) == set(link.FEATURE_NAMES)
    assert set().union(*link.FEATURE_SOURCES.values()) <= set(link.ROLES)


def test_prior_moves_the_probability_to_the_whole_registry() -> None:
    weight = 9.4374  # scored against 4 records
    assert lib.with_prior(weight, 4, 4) == pytest.approx(0.99856, abs=1e-5)
    assert lib.with_prior(weight, 4, 5000) == pytest.approx(0.2938, abs=1e-3)
    assert lib.with_prior(weight, 4, 5000) < lib.with_prior(weight, 4, 500)


def test_rank_the_example_of_the_issue() -> None:
    registry = [
        {"id": "p1", "name": "张卫东", "birth_date": "1976-05-12", "township": "城关镇"},
        {"id": "p2", "name": "张卫东", "birth_date": "1996-01-01", "township": "城关镇"},
        {"id": "p3", "name": "张伟东", "birth_date": "1975-03-03", "township": "河西乡"},
        {"id": "p4", "name": "李强", "birth_date": "1970-07-07", "township": "城关镇"},
    ]
    query = lib.prepared_query(lib.query_row("张卫东", age="约五十岁", township="城关镇"), on=TODAY)
    features, whole = lib.registry_features(registry, query, on=TODAY)
    assert sorted(features.column("unique_id").to_pylist()) == ["p1", "p2", "p3"]
    assert whole.num_rows == 4 and whole.column("birth_date").null_count == 4  # names and places
    ranked = lib.rank(query, features, total=len(registry))
    assert [r.id for r in ranked] == ["p1", "p2", "p3"]
    first = ranked[0].levels
    assert (first["name"], first["birth"], first["address"]) == ("exact", "about", "township")
    assert ranked[0].probability > 0.99
    assert ranked[1].levels["birth"] == "differ"
    assert ranked[2].levels["name"] == "homophone"


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def current_round(db: Any) -> Round:
    return Round.objects.get(committee__code="C01", stage=Stage.STATIONING)


@pytest.fixture
def member_target(user_named: Any) -> Organisation:
    return user_named("member").grants.get().organisation


@pytest.fixture
def county(db: Any) -> Organisation:
    return Organisation.objects.get(code="C01")


@pytest.fixture
def make(user_named: Any, current_round: Round, member_target: Organisation) -> Any:
    team = Team.objects.get(round=current_round, targets=member_target)

    def create(*subjects: services.SubjectInput, title: str = "反映事项") -> Record:
        return services.record_create(
            actor=user_named("member"),
            round_=current_round,
            team=team,
            target=member_target,
            kind=Kind.CLUE,
            title=title,
            description="个别谈话中有干部提到，验收时未到现场即在验收单上签字。",
            source="interview",
            subjects=list(subjects),
        )

    return create


@pytest.fixture
def demo_subject(current_round: Round) -> Subject:
    """The demo clue naming 张卫东 with a township and 约五十岁, not linked yet."""
    return Subject.objects.select_related("record__target", "record__round").get(
        record__round=current_round, name="张卫东", person__isnull=True
    )


def _url(subject: Subject) -> str:
    return reverse("clues:subject_candidates", args=[subject.record_id, subject.pk])


def _read_events(subject: Subject) -> list[AuditEvent]:
    return [
        e
        for e in AuditEvent.objects.filter(
            event_type=AuditEventType.CLUE_READ, object_id=str(subject.record_id)
        )
        if (e.extra or {}).get("purpose") == "subject_candidates"
        and e.extra.get("subject") == subject.pk
    ]


# -- the demo's example ------------------------------------------------------------------------


def test_the_demo_clue_names_zhang_weidong(demo_subject: Subject, county: Organisation) -> None:
    assert demo_subject.age == "约五十岁"
    township = Organisation.objects.get(name=demo_subject.place, parent=county)
    assert township.kind == "township"
    assert demo_subject.record.is_open and demo_subject.record.kind == Kind.CLUE
    namesakes = Person.objects.filter(registry=county, name__in=["张卫东", "张伟东"])
    assert namesakes.count() >= 3


def test_the_right_person_comes_first_with_reasons(
    demo_subject: Subject, user_named: Any, county: Organisation
) -> None:
    search = selectors.candidates_for(user_named("member"), demo_subject, today=REFERENCE_DATE)
    assert search.household is None  # a team member does not read the household register
    assert all(c.person is not None for c in search.candidates)
    first = search.candidates[0]
    assert first.person.name == "张卫东" and first.person.registry == county
    assert first.age == 50
    assert first.township == demo_subject.place
    levels = {r.field: r.level for r in first.reasons}
    assert (levels["name"], levels["birth"], levels["address"]) == ("exact", "about", "township")
    assert first.id_number_masked.count("*") == 10
    assert first.posts and demo_subject.place in first.posts[0]
    # The namesake of thirty and the 张伟东 of another township rank lower.
    younger = next(c for c in search.candidates if c.name == "张卫东" and c.age == 30)
    homophone = next(c for c in search.candidates if c.name == "张伟东")
    assert first.probability > younger.probability > homophone.probability
    assert {r.field: r.level for r in younger.reasons}["birth"] == "differ"
    other = {r.field: r.level for r in homophone.reasons}
    assert (other["name"], other["address"]) == ("homophone", "differ")


# -- the record page and the form --------------------------------------------------------------


def test_age_and_place_are_entered_shown_and_edited(
    as_user: Any, current_round: Round, member_target: Organisation
) -> None:
    client = as_user("member")
    url = reverse("clues:create") + f"?round={current_round.pk}"
    response = client.post(
        url,
        {
            "round": current_round.pk,
            "kind": "clue",
            "target": member_target.pk,
            "title": "验收签字问题",
            "description": "反映有干部未到现场即签字。",
            "subjects": "张卫东, 城关镇, 约五十岁\n李某, 会计, 地点：县财政局",
            "source": "letter",
            "credibility": "medium",
            "priority": "medium",
            "confidentiality": "ordinary",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    record = Record.objects.get(title="验收签字问题")
    zhang, li = record.subjects.order_by("pk")
    assert (zhang.name, zhang.post, zhang.place, zhang.age) == ("张卫东", "", "城关镇", "约五十岁")
    assert (li.name, li.post, li.place, li.age) == ("李某", "会计", "县财政局", "")
    page = client.get(reverse("clues:detail", args=[record.pk]), **EN).content.decode()
    assert "城关镇" in page and "约五十岁" in page
    assert _url(zhang) in page and "Find this person" in page
    # The edit form writes the subjects back the way they are read.
    from django.utils import translation

    with translation.override("zh-hans"):
        text = subjects_text(record)
    assert text == "张卫东, 城关镇, 约五十岁\n李某, 会计, 地点：县财政局"
    again = parse_subjects(text, member_target)
    assert [(s.name, s.post, s.place, s.age) for s in again] == [
        ("张卫东", "", "城关镇", "约五十岁"),
        ("李某", "会计", "县财政局", ""),
    ]


def test_a_too_long_part_is_refused(
    as_user: Any, current_round: Round, member_target: Organisation
) -> None:
    response = as_user("member").post(
        reverse("clues:create") + f"?round={current_round.pk}",
        {
            "round": current_round.pk,
            "kind": "clue",
            "target": member_target.pk,
            "title": "太长",
            "description": "反映。",
            "subjects": "张卫东, 年龄：" + "很" * 40,
            "source": "letter",
            "credibility": "medium",
            "priority": "medium",
            "confidentiality": "ordinary",
        },
        **EN,
    )
    assert response.status_code == 200
    assert "longer than 30 characters" in response.content.decode()
    assert not Record.objects.filter(title="太长").exists()


# -- the candidates page and linking a registry person -----------------------------------------


def test_the_candidates_page_lists_registry_people_and_audits_the_read(
    as_user: Any, demo_subject: Subject
) -> None:
    response = as_user("member").get(_url(demo_subject), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This is the person" in page
    assert "Household register" not in page
    search = response.context["search"]
    first = search.candidates[0]
    assert f'data-key="p{first.person.pk}"' in page
    assert first.id_number_masked in page and first.person.id_number not in page
    assert "Name: the same" in page and "Address: same township" in page
    # A team member reads the people of its target only: no link to this one's page.
    assert not first.viewable
    assert reverse("core:person_detail", args=[first.person.pk]) not in page
    events = _read_events(demo_subject)
    assert len(events) == 1
    event = events[0]
    assert event.actor.username == "member"
    assert event.extra["people"] == [c.person.pk for c in search.candidates]
    assert event.extra["household_version"] is None and event.extra["household_rows"] == []
    assert "张卫东" not in str(event.extra)  # ids only, no names


def test_this_is_the_person_links_the_registry_person(as_user: Any, demo_subject: Subject) -> None:
    client = as_user("member")
    right = client.get(_url(demo_subject)).context["search"].candidates[0].person
    response = client.post(_url(demo_subject), {"candidate": f"p{right.pk}"})
    assert response.status_code == 302
    assert response["Location"] == reverse("clues:detail", args=[demo_subject.record_id])
    demo_subject.refresh_from_db()
    assert demo_subject.person == right
    event = AuditEvent.objects.filter(
        event_type=AuditEventType.CLUE_UPDATED, object_id=str(demo_subject.record_id)
    ).latest("seq")
    assert event.after == {"subject": demo_subject.pk, "person": right.pk}
    assert event.extra == {"source": {"candidates": True}}
    assert demo_subject.record.timeline.filter(note=f"张卫东 → {right.name}").exists()
    # Linked now: the page sends back to the record, and a second link is refused.
    assert client.get(_url(demo_subject)).status_code == 302
    assert client.post(_url(demo_subject), {"candidate": f"p{right.pk}"}).status_code == 403


def test_editing_the_record_keeps_the_link(
    as_user: Any, make: Any, county: Organisation, member_target: Organisation, user_named: Any
) -> None:
    record = make(services.SubjectInput("张卫东", place="城关镇", age="约五十岁"))
    subject = record.subjects.get()
    person = Person.objects.filter(registry=county, name="张卫东").first()
    services.subject_link(actor=user_named("member"), subject=subject, person=person)
    client = as_user("member")
    form = client.get(reverse("clues:edit", args=[record.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if k not in ("topics", "team", "target")}
    data.update(
        round=record.round_id, kind=record.kind, target=record.target_id, team=record.team_id
    )
    data["subjects"] = form.initial["subjects"] + "\n另一人"
    response = client.post(reverse("clues:edit", args=[record.pk]), data)
    assert response.status_code == 302
    kept = record.subjects.get(name="张卫东")
    assert kept.person == person and kept.age == "约五十岁"


def test_a_person_of_another_county_cannot_be_linked(as_user: Any, demo_subject: Subject) -> None:
    stranger = Person.objects.exclude(registry__code="C01").first()
    response = as_user("member").post(_url(demo_subject), {"candidate": f"p{stranger.pk}"})
    assert response.status_code == 404
    demo_subject.refresh_from_db()
    assert demo_subject.person_id is None


# -- who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["leading", "liaison", "receiver", "auditor", "admin"])
def test_who_cannot_read_the_record_sees_nothing(
    as_user: Any, demo_subject: Subject, persona: str
) -> None:
    client = as_user(persona)
    assert client.get(_url(demo_subject)).status_code == 404
    person = Person.objects.filter(name="张卫东", registry__code="C01").first()
    assert client.post(_url(demo_subject), {"candidate": f"p{person.pk}"}).status_code == 404
    demo_subject.refresh_from_db()
    assert demo_subject.person_id is None and not _read_events(demo_subject)


def test_anonymous_is_sent_to_log_in(client: Any, demo_subject: Subject) -> None:
    assert client.get(_url(demo_subject)).status_code == 302


def test_without_edit_rights_the_page_reads_but_cannot_link(
    as_user: Any, make: Any, user_named: Any, county: Organisation
) -> None:
    """Nobody reads a record without editing it while it is open; once it is no longer
    open, the page still shows the candidates but nobody may link."""
    record = make(services.SubjectInput("张卫东", place="城关镇", age="约五十岁"))
    leader = user_named("leader")
    record = services.status_change(actor=leader, record=record, to_status=Status.REVIEW)
    services.status_change(
        actor=leader, record=record, to_status=Status.DISMISSED, reason="查无此事"
    )
    subject = record.subjects.get()
    client = as_user("member")
    page = client.get(_url(subject), **EN)
    assert page.status_code == 200
    assert "This is the person" not in page.content.decode()
    person = page.context["search"].candidates[0].person
    assert client.post(_url(subject), {"candidate": f"p{person.pk}"}).status_code == 403
    subject.refresh_from_db()
    assert subject.person_id is None


# -- the household register --------------------------------------------------------------------

HOUSEHOLD_HEADER = ("户号", "公民身份号码", "姓名", "与户主关系", "性别", "出生日期", "乡镇", "村")


def _resident_id(n: int, born: dt.date) -> str:
    return idnumber.make("431099", born, n)


@pytest.fixture
def register(
    settings: Any, tmp_path: Path, user_named: Any, county: Organisation
) -> dict[str, Any]:
    """A household register of county 1 imported through the data comparison services:
    欧阳明辉, about fifty, of 测试镇 (in no registry), and the registry's own 张卫东."""
    from xuncha.datacheck import services as datacheck_services

    settings.DATACHECK_DIR = tmp_path / "datacheck"
    office = user_named("office_c1")
    right = Person.objects.filter(registry=county, name="张卫东").order_by("birth_date").first()
    born = dt.date(1976, 4, 2)
    rows = [
        list(HOUSEHOLD_HEADER),
        ["H001", _resident_id(11, born), "欧阳明辉", "户主", "男", "1976-04-02", "测试镇", "东村"],
        ["H001", _resident_id(22, born), "李秀英", "配偶", "女", "1978-01-09", "测试镇", "东村"],
        ["H002", _resident_id(33, born), "欧阳明", "户主", "男", "1990-06-30", "测试镇", "西村"],
        ["H003", right.id_number, "张卫东", "户主", "男", str(right.birth_date), "某镇", "某村"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    dataset = datacheck_services.dataset_create(
        actor=office, organisation=county, kind="household", title="测试户籍", department="公安局"
    )
    version = datacheck_services.version_upload(
        actor=office,
        dataset=dataset,
        file_name="户籍.csv",
        chunks=[buffer.getvalue().encode("utf-8-sig")],
        extracted_on=REFERENCE_DATE,
    )
    columns = {int(i): f for i, f in version.columns.items()}
    datacheck_services.version_confirm(
        actor=office, version=version, columns=columns, background=False
    )
    version = datacheck_services.import_version(version)
    assert version.status == "accepted", version.message
    return {"version": version, "id": _resident_id(11, born), "right": right}


def test_the_office_sees_register_rows_and_links_one(
    as_user: Any, make: Any, register: dict[str, Any], county: Organisation
) -> None:
    record = make(services.SubjectInput("欧阳明辉", place="测试镇东村", age="五十岁左右"))
    subject = record.subjects.get()
    client = as_user("office_c1")
    response = client.get(_url(subject), **EN)
    assert response.status_code == 200
    search = response.context["search"]
    assert search.household == register["version"]
    first = search.candidates[0]
    assert first.person is None and first.row is not None and first.name == "欧阳明辉"
    levels = {r.field: r.level for r in first.reasons}
    assert (levels["name"], levels["birth"], levels["address"]) == ("exact", "about", "village")
    assert "Household register" in response.content.decode()
    event = _read_events(subject)[-1]
    assert event.extra["household_version"] == register["version"].pk
    assert first.row in event.extra["household_rows"]

    before = Person.objects.count()
    response = client.post(
        _url(subject), {"candidate": f"h{first.row}", "version": register["version"].pk}
    )
    assert response.status_code == 302
    subject.refresh_from_db()
    person = subject.person
    assert Person.objects.count() == before + 1
    assert (person.name, person.registry, person.id_number) == ("欧阳明辉", county, register["id"])
    assert (person.gender, person.birth_date) == ("M", dt.date(1976, 4, 2))
    created = AuditEvent.objects.get(
        event_type=AuditEventType.PERSON_CREATED, object_id=str(person.pk)
    )
    assert created.actor.username == "office_c1"
    linked = AuditEvent.objects.filter(
        event_type=AuditEventType.CLUE_UPDATED, object_id=str(record.pk)
    ).latest("seq")
    assert linked.extra["source"] == {
        "household_version": register["version"].pk,
        "row": first.row,
        "created": True,
    }

    # Named on another record, the resident is now the registry's person (its row of the
    # register is not shown twice), and linking them makes nobody new.
    other = make(services.SubjectInput("欧阳明辉", place="测试镇"), title="另一事项")
    again = other.subjects.get()
    found = client.get(_url(again)).context["search"].candidates
    assert found[0].person == person
    assert not any(c.row == first.row for c in found)
    client.post(_url(again), {"candidate": f"p{person.pk}"})
    again.refresh_from_db()
    assert again.person == person and Person.objects.count() == before + 1


def test_a_register_without_its_features_is_prepared_by_the_job_not_the_page(
    as_user: Any, make: Any, register: dict[str, Any], monkeypatch: Any
) -> None:
    from xuncha.core import schedule
    from xuncha.datacheck import linking, storage, tasks
    from xuncha.datacheck.lib import link

    # As after an upgrade of a library that reads names: the kept features are stale.
    monkeypatch.setattr(link, "FEATURES_STAMP", link.FEATURES_STAMP + ";newer")
    version = register["version"]
    record = make(services.SubjectInput("欧阳明辉", place="测试镇东村", age="五十岁左右"))
    subject = record.subjects.get()
    client = as_user("office_c1")
    response = client.get(_url(subject), **EN)
    search = response.context["search"]
    assert search.household is None and search.household_waiting
    assert not any(c.row is not None for c in search.candidates)
    assert "still being made ready" in response.content.decode()
    assert not linking.features_ready(version)  # not prepared in the request

    assert ("datacheck.prepare_features", tasks.prepare_features) in [
        (e.name, e.task) for e in schedule.entries()
    ]
    assert tasks.prepare_features.call() == {"prepared": 1}
    assert linking.features_ready(version) and storage.features_path(version).exists()
    assert tasks.prepare_features.call() == {"prepared": 0}  # nothing left to do
    search = client.get(_url(subject), **EN).context["search"]
    assert search.household == version and not search.household_waiting
    assert search.candidates[0].name == "欧阳明辉" and search.candidates[0].row is not None


def test_a_registry_person_is_not_shown_twice(
    as_user: Any, demo_subject: Subject, register: dict[str, Any]
) -> None:
    """The register's row of a person the registry holds (same ID number) is left out."""
    response = as_user("office_c1").get(_url(demo_subject))
    search = response.context["search"]
    assert search.household == register["version"]
    assert search.candidates[0].person == register["right"]
    assert search.candidates[0].viewable  # the office reads the county's people
    url = reverse("core:person_detail", args=[register["right"].pk])
    assert url in response.content.decode()
    assert not any(c.row is not None and c.name == "张卫东" for c in search.candidates)


def test_without_dataset_rights_no_register_rows(
    as_user: Any, make: Any, register: dict[str, Any], user_named: Any
) -> None:
    record = make(services.SubjectInput("欧阳明辉", place="测试镇东村", age="五十岁左右"))
    subject = record.subjects.get()
    client = as_user("member")
    search = client.get(_url(subject)).context["search"]
    assert search.household is None
    assert all(c.row is None for c in search.candidates)
    # Posting a row anyway is refused, and no person is made.
    before = Person.objects.count()
    response = client.post(_url(subject), {"candidate": "h1", "version": register["version"].pk})
    assert response.status_code == 403
    assert Person.objects.count() == before
    subject.refresh_from_db()
    assert subject.person_id is None


def test_a_stale_register_version_is_refused(
    as_user: Any, make: Any, register: dict[str, Any]
) -> None:
    record = make(services.SubjectInput("欧阳明辉", place="测试镇"))
    subject = record.subjects.get()
    response = as_user("office_c1").post(
        _url(subject), {"candidate": "h1", "version": register["version"].pk + 1000}
    )
    assert response.status_code == 403


def test_services_link_a_resident_without_the_views(
    make: Any, user_named: Any, county: Organisation
) -> None:
    """``subject_link_household`` reuses the person of an ID number it knows."""
    record = make(services.SubjectInput("张卫东"))
    subject = record.subjects.get()
    right = Person.objects.filter(registry=county, name="张卫东").exclude(id_number=None).first()
    resident = services.HouseholdPerson(
        version_id=1, row=7, name="张卫东", gender="M", id_number=right.id_number
    )
    office = User.objects.get(username="office_c1")
    linked = services.subject_link_household(
        actor=office, subject=subject, registry=county, resident=resident
    )
    assert linked.person == right
    with pytest.raises(services.Refused):
        services.subject_link_household(
            actor=office, subject=linked, registry=county, resident=resident
        )


def test_the_candidates_page_query_count(
    as_user: Any, demo_subject: Subject, django_assert_num_queries: Any
) -> None:
    """Session and grants (3), the record, its topics and the subject (4), may the user
    change it (1), the county, its organisations, people and posts (4), the candidates'
    people, posts and which the user may open (3), the audit event (5, in a savepoint)."""
    client = as_user("member")
    with django_assert_num_queries(20):
        response = client.get(_url(demo_subject))
    assert len(response.context["search"].candidates) >= 3
