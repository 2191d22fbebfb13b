"""Background jobs end to end: enqueue through the Tasks API, run by a real worker
(the database backend, and RQ against the local Redis), progress and result recorded."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from xuncha.core import jobs, tasks
from xuncha.core.models import AuditEvent, AuditEventType, JobRun, Person
from xuncha.core.policy import Action, scope

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _keep_test_connection(monkeypatch):
    """The worker recycles database connections between tasks; inside a test that would
    close the connection holding the test's transaction. Only that recycling is disabled."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def _rq_settings(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:6379/15", "DEFAULT_TIMEOUT": 300}}


def test_people_export_runs_through_the_database_worker(
    settings, as_user, user_named, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    client = as_user("office_c1")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:person_export_xlsx") + "?status=serving")
    job = JobRun.objects.get(owner=user_named("office_c1"))
    assert response.status_code == 302 and response["Location"] == reverse(
        "core:job_detail", args=[job.pk]
    )
    assert job.status == JobRun.Status.QUEUED and job.task_result_id
    page = client.get(reverse("core:job_detail", args=[job.pk]))
    assert b'hx-trigger="every 1s"' in page.content  # the page polls while the job runs

    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )

    job.refresh_from_db()
    assert job.status == JobRun.Status.SUCCEEDED, job.message
    expected = (
        scope(user_named("office_c1"), Action.PERSON_VIEW, Person.objects.all())
        .filter(retired_on__isnull=True)
        .count()
    )
    assert job.result == {"rows": expected, "with_id_numbers": True}
    assert job.done == job.total == expected and job.percent == 100
    download = client.get(reverse("core:job_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet.max_row == expected + 1
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.PERSON_EXPORTED, actor__username="office_c1"
    ).exists()
    # Someone else cannot see or download the job.
    assert as_user("office").get(reverse("core:job_download", args=[job.pk])).status_code == 404


def test_failed_job_is_marked_failed_without_data(
    settings, user_named, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    user = user_named("office")
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(
            actor=user,
            kind="people_export",
            label="bad",
            task=tasks.export_people_xlsx,
            user_id=user.pk,
            filters={"registry": 999999999},
        )
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )
    job.refresh_from_db()
    assert job.status == JobRun.Status.FAILED
    assert job.message == "DoesNotExist"


def test_audit_verification_job_reports_the_result(
    settings, as_user, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    client = as_user("auditor")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:audit_verify"))
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )
    job = JobRun.objects.get(kind="audit_verify")
    assert job.status == JobRun.Status.SUCCEEDED
    assert job.result["ok"] is True and job.result["checked"] > 1000
    page = client.get(reverse("core:job_detail", args=[job.pk]))
    assert b'data-testid="verify-ok"' in page.content


@pytest.mark.redis
def test_jobs_run_through_redis_and_rq(
    settings, redis_available, user_named, django_capture_on_commit_callbacks
):
    import django_rq
    from django_tasks_rq import Job
    from rq.worker import SimpleWorker

    _rq_settings(settings)
    django_rq.get_connection("default").flushdb()
    result = tasks.ping.enqueue(21)
    user = user_named("office_c1")
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(
            actor=user,
            kind="people_export",
            label="rq",
            task=tasks.export_people_xlsx,
            user_id=user.pk,
            filters={},
        )
    queue = django_rq.get_queue("default", job_class=Job)
    assert queue.count == 2
    worker = django_rq.get_worker("default", job_class=Job, worker_class=SimpleWorker)
    worker.work(burst=True)
    result.refresh()
    assert result.return_value == 42
    job.refresh_from_db()
    assert job.status == JobRun.Status.SUCCEEDED
    assert job.result["rows"] > 0 and job.done == job.total


@pytest.mark.redis
def test_xuncha_worker_runs_redis_jobs(settings, redis_available, tmp_path):
    """The `xuncha worker` verb, in its own process, picks up a job queued in Redis."""
    import os
    import subprocess
    import sys

    import django_rq

    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:6379/13", "DEFAULT_TIMEOUT": 60}}
    django_rq.get_connection("default").flushdb()
    result = tasks.ping.enqueue(50)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    env.update(
        XUNCHA_DATA_DIR=str(tmp_path),
        XUNCHA_TASKS_BACKEND="redis",
        XUNCHA_REDIS_URL="redis://127.0.0.1:6379/13",
    )
    done = subprocess.run(
        [sys.executable, "-m", "xuncha", "worker", "--batch"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result.refresh()
    assert result.return_value == 100


def test_progress_is_written_at_most_twice_a_second_and_always_at_the_end(monkeypatch):
    from xuncha.core import jobs

    reporter = jobs.JobReporter("no-such-job")
    written = []
    monkeypatch.setattr(reporter, "progress", lambda done, total, message="": written.append(done))
    clock = [100.0]
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock[0])
    progress = reporter.throttled(0.5)
    for at, done in ((100.0, 1), (100.2, 2), (100.6, 3), (100.7, 4), (100.8, 10)):
        clock[0] = at
        progress(done, 10)
    assert written == [1, 3, 10]


def test_a_progress_message_is_shown_while_running_in_the_watchers_language(as_user, user_named):
    from django.utils import translation

    from xuncha.core.lib.text import Text

    job = JobRun.objects.create(owner=user_named("office_c1"), kind="x", label="x")
    JobRun.objects.filter(pk=job.pk).update(status=JobRun.Status.RUNNING)
    # "Queued" has a catalogue entry in both languages; the value stays as given.
    jobs.JobReporter(str(job.pk)).progress(3, 100, Text("Queued", n=1))
    job.refresh_from_db()
    assert job.message.startswith("{")  # kept as template and values, not rendered
    with translation.override("en"):
        assert job.display_message == "Queued"
    with translation.override("zh-hans"):
        assert job.display_message == "排队中"
    client = as_user("office_c1")
    page = client.get(reverse("core:job_detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert b'data-testid="job-message">Queued<' in page.content
    assert b"3 / 100" not in page.content  # a job counted in per cent shows the bar only

    # Plain text is shown as it is; a Text too long to store whole is not stored at all.
    jobs.JobReporter(str(job.pk)).progress(4, 10, "{not json")
    job.refresh_from_db()
    assert job.display_message == "{not json"
    assert jobs.stored_message(Text("%(x)s", x="长" * 600)) == ""
    page = client.get(reverse("core:job_detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert b"4 / 10" in page.content
