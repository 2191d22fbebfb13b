"""Periodic jobs: a registered task is enqueued when its interval has passed, once per
period however many schedulers run, and a worker runs it (the clue registry's daily
deadline check end to end, and ``serve --with-worker`` running scheduler and worker)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from xuncha.clues import tasks as clue_tasks
from xuncha.clues.models import Record as ClueRecord
from xuncha.clues.models import Reminder, Status
from xuncha.core import schedule
from xuncha.core.models import ScheduledRun

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
NOW = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)
CLUE_JOB = "xuncha.clues.tasks.check_deadlines"


@task()
def tick() -> str:
    return "tick"


@pytest.fixture(autouse=True)
def _keep_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker recycles connections between tasks; in a test that would drop the
    # connection holding the test's transaction.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


@pytest.fixture
def only_tick(db: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry holds one job, ``test.tick``, every six hours."""
    settings.TASKS = DATABASE_TASKS
    monkeypatch.setattr(schedule, "_ENTRIES", {})
    schedule.register("test.tick", tick, every=dt.timedelta(hours=6))


def _queued(path: str = f"{__name__}.tick") -> int:
    return DBTaskResult.objects.filter(task_path=path).count()


def _work() -> None:
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )


# -- the registry and one pass ------------------------------------------------------------


def test_a_job_that_never_ran_is_due(only_tick: None) -> None:
    assert schedule.run_due(NOW) == ["test.tick"]
    assert ScheduledRun.objects.get(name="test.tick").last_enqueued_at == NOW
    assert _queued() == 1


def test_the_second_call_in_the_same_period_enqueues_nothing(only_tick: None) -> None:
    assert schedule.run_due(NOW) == ["test.tick"]
    assert schedule.run_due(NOW) == []
    assert schedule.run_due(NOW + dt.timedelta(hours=5, minutes=59)) == []
    assert _queued() == 1
    assert ScheduledRun.objects.get(name="test.tick").last_enqueued_at == NOW


def test_the_interval_is_respected(only_tick: None) -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        assert schedule.run_due() == ["test.tick"]
        traveller.shift(dt.timedelta(hours=6) - dt.timedelta(seconds=1))
        assert schedule.run_due() == []
        traveller.shift(dt.timedelta(seconds=1))
        assert schedule.run_due() == ["test.tick"]
        traveller.shift(dt.timedelta(hours=1))
        assert schedule.run_due() == []
    assert _queued() == 2


def test_the_decision_reads_the_row_under_a_lock(only_tick: None) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    schedule.run_due(NOW)
    with CaptureQueriesContext(connection) as queries:
        assert schedule.run_due(NOW + dt.timedelta(hours=1)) == []
    if connection.features.has_select_for_update:
        assert any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)
    else:
        # SQLite has no row locks: the write lock taken at BEGIN serialises schedulers.
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


class _Broken:
    def enqueue(self) -> Any:
        raise ConnectionError("the queue is down")


def test_a_job_that_cannot_be_enqueued_stays_due_and_others_still_run(
    only_tick: None, caplog: pytest.LogCaptureFixture
) -> None:
    schedule.register("a.broken", _Broken(), every=dt.timedelta(hours=1))
    assert schedule.run_due(NOW) == ["test.tick"]
    assert "a.broken could not be enqueued" in caplog.text
    # Its time was not recorded: the next pass tries again.
    assert ScheduledRun.objects.get(name="a.broken").last_enqueued_at is None
    schedule.register("a.broken", tick, every=dt.timedelta(hours=1))
    assert schedule.run_due(NOW + dt.timedelta(minutes=1)) == ["a.broken"]


def test_register_refuses_a_bad_interval_or_name() -> None:
    with pytest.raises(ValueError, match="positive"):
        schedule.register("x", tick, every=dt.timedelta(0))
    with pytest.raises(ValueError, match="characters"):
        schedule.register("x" * 101, tick, every=dt.timedelta(days=1))


def test_the_clue_deadline_check_is_registered_daily() -> None:
    entry = {e.name: e for e in schedule.entries()}["clues.check_deadlines"]
    assert entry.task is clue_tasks.check_deadlines
    assert entry.every == dt.timedelta(days=1)


def test_is_due() -> None:
    day = dt.timedelta(days=1)
    assert schedule.is_due(None, day, NOW)
    assert not schedule.is_due(NOW - day + dt.timedelta(seconds=1), day, NOW)
    assert schedule.is_due(NOW - day, day, NOW)


# -- the command and the worker -----------------------------------------------------------


def test_scheduler_once_enqueues_and_the_worker_runs_the_clue_job(db: Any, settings: Any) -> None:
    settings.TASKS = DATABASE_TASKS
    transferred = ClueRecord.objects.filter(
        status__in=(Status.TRANSFERRED, Status.DISPOSAL_REPORTED)
    )
    assert transferred.exists()  # the demo's transfers
    # Fourteen months on, every transferred clue is past the one-year limit.
    later = dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=430)
    with time_machine.travel(later, tick=False):
        out = io.StringIO()
        call_command("scheduler", once=True, stdout=out)
        assert "clues.check_deadlines" in out.getvalue()
        queued = DBTaskResult.objects.get(task_path=CLUE_JOB)
        assert queued.status == "READY"

        _work()

        queued.refresh_from_db()
        assert queued.status == "SUCCESSFUL", queued.traceback
        assert queued.return_value["checked"] == transferred.count()
        assert queued.return_value["flagged"] >= transferred.count()
        flagged = Reminder.objects.filter(deadline=Reminder.Deadline.MAX)
        assert set(flagged.values_list("record", flat=True)) == set(
            transferred.values_list("pk", flat=True)
        )

        again = io.StringIO()
        call_command("scheduler", once=True, stdout=again)
        assert "clues.check_deadlines" not in again.getvalue()
    assert DBTaskResult.objects.filter(task_path=CLUE_JOB).count() == 1


def test_scheduler_refuses_a_zero_interval() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="interval"):
        call_command("scheduler", interval=0)


# -- separate processes -------------------------------------------------------------------


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    env["XUNCHA_DATA_DIR"] = str(data_dir)
    return env


RUN = [sys.executable, "-m", "xuncha"]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty installation's database file (migrated once, copied by each test)."""
    data_dir = tmp_path_factory.mktemp("migrated")
    subprocess.run([*RUN, "migrate", "-v0"], env=_env(data_dir), check=True, timeout=120)
    return data_dir / "xuncha.sqlite3"


def _installation(migrated: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(migrated, data_dir / "xuncha.sqlite3")
    return data_dir


# Both processes register one job, "race", for the clue deadline check. A holds the row
# (inside its enqueue) until B has started its own pass, then commits; B must wait for A
# and find the run already enqueued.
_RACE_SETUP = """
import datetime, json, pathlib, time
from xuncha.core import schedule
from xuncha.clues import tasks
from django_tasks_db.models import DBTaskResult
d = pathlib.Path({dir!r})
def wait_for(name):
    for _ in range(600):
        if (d / name).exists():
            return
        time.sleep(0.05)
    raise SystemExit("timed out waiting for " + name)
for e in schedule.entries():
    schedule.unregister(e.name)
"""
_RACE_A = """
class Slow:
    def enqueue(self):
        (d / "a-holds-the-row").touch()
        wait_for("b-started")
        time.sleep(1.0)  # B is now inside its pass, waiting for the row
        return tasks.check_deadlines.enqueue()
schedule.register("race", Slow(), every=datetime.timedelta(days=1))
print(json.dumps(schedule.run_due()))
"""
_RACE_B = """
schedule.register("race", tasks.check_deadlines, every=datetime.timedelta(days=1))
wait_for("a-holds-the-row")
(d / "b-started").touch()
enqueued = schedule.run_due()
print(json.dumps({{"enqueued": enqueued, "queued": DBTaskResult.objects.count()}}))
"""


def test_two_schedulers_racing_enqueue_the_run_once(migrated: Path, tmp_path: Path) -> None:
    data_dir = _installation(migrated, tmp_path)
    env = _env(data_dir)
    setup = _RACE_SETUP.format(dir=str(tmp_path))
    a = subprocess.Popen(
        [*RUN, "shell", "-c", setup + _RACE_A],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    b = subprocess.Popen(
        [*RUN, "shell", "-c", setup + _RACE_B.format()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    a_out, a_err = a.communicate(timeout=60)
    b_out, b_err = b.communicate(timeout=60)
    assert a.returncode == 0 and b.returncode == 0, a_err + b_err
    assert json.loads(a_out.strip().splitlines()[-1]) == ["race"]
    assert json.loads(b_out.strip().splitlines()[-1]) == {"enqueued": [], "queued": 1}
    # B waited for the row; it did not fail on a locked database.
    assert "could not be enqueued" not in a_err + b_err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_with_worker_runs_the_scheduler_and_the_worker(
    migrated: Path, tmp_path: Path
) -> None:
    data_dir = _installation(migrated, tmp_path)
    server = subprocess.Popen(
        [*RUN, "serve", "--bind", f"127.0.0.1:{_free_port()}", "--workers", "1", "--with-worker"],
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    status = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with sqlite3.connect(data_dir / "xuncha.sqlite3", timeout=20) as conn:
                row = conn.execute(
                    "SELECT status FROM django_tasks_database_dbtaskresult WHERE task_path = ?",
                    (CLUE_JOB,),
                ).fetchone()
            conn.close()
            status = row[0] if row else None
            if status in ("SUCCESSFUL", "FAILED"):
                break
            time.sleep(0.3)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    # The scheduler enqueued the daily check on its first pass; the worker ran it.
    assert status == "SUCCESSFUL", output
    assert "Scheduler started" in output and "Scheduler stopped" in output, output
