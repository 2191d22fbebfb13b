"""Settings from the environment: typed helpers, loud errors, production checks."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from xuncha import conf


def test_env_bool_refuses_anything_but_true_or_false(monkeypatch):
    monkeypatch.setenv("XUNCHA_X", "maybe")
    with pytest.raises(conf.SettingError, match="XUNCHA_X must be true or false"):
        conf.env_bool("XUNCHA_X", default=False)
    monkeypatch.setenv("XUNCHA_X", "False")
    assert conf.env_bool("XUNCHA_X", default=True) is False


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("XUNCHA_N", "ten")
    with pytest.raises(conf.SettingError, match="XUNCHA_N must be an integer"):
        conf.env_int("XUNCHA_N", 1)
    monkeypatch.setenv("XUNCHA_N", "0")
    with pytest.raises(conf.SettingError, match="at least 1"):
        conf.env_int("XUNCHA_N", 1, minimum=1)
    monkeypatch.setenv("XUNCHA_L", " a, b ,,")
    assert conf.env_list("XUNCHA_L") == ["a", "b"]


def test_secret_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("XUNCHA_S", raising=False)
    monkeypatch.delenv("XUNCHA_S_FILE", raising=False)
    first = conf.env_secret("XUNCHA_S", generated_file=tmp_path / "s")
    assert conf.env_secret("XUNCHA_S", generated_file=tmp_path / "s") == first
    assert oct((tmp_path / "s").stat().st_mode & 0o777) == "0o600"


def test_secret_from_file_and_errors(tmp_path, monkeypatch):
    secret_file = tmp_path / "key"
    secret_file.write_text("k" * 60 + "\n")
    monkeypatch.setenv("XUNCHA_S_FILE", str(secret_file))
    assert conf.env_secret("XUNCHA_S", generated_file=None) == "k" * 60
    monkeypatch.setenv("XUNCHA_S_FILE", str(tmp_path / "missing"))
    with pytest.raises(conf.SettingError, match="XUNCHA_S_FILE names"):
        conf.env_secret("XUNCHA_S", generated_file=None)
    monkeypatch.delenv("XUNCHA_S_FILE")
    with pytest.raises(conf.SettingError, match="XUNCHA_S or XUNCHA_S_FILE is required"):
        conf.env_secret("XUNCHA_S", generated_file=None)
    monkeypatch.setenv("XUNCHA_S", "short")
    with pytest.raises(conf.SettingError, match="at least 50"):
        conf.env_secret("XUNCHA_S", generated_file=None)


def _xuncha(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "xuncha", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _production_env(tmp_path: Path) -> dict[str, str]:
    key = tmp_path / "secret"
    key.write_text(secrets.token_urlsafe(64))
    return {
        "XUNCHA_MODE": "production",
        "XUNCHA_DATA_DIR": str(tmp_path),
        "XUNCHA_SECRET_KEY_FILE": str(key),
        "XUNCHA_AUDIT_KEY": "a" * 64,
        "XUNCHA_ALLOWED_HOSTS": "xuncha.example.internal",
        "XUNCHA_DATABASE_URL": "postgres://xuncha:secret@127.0.0.1:5432/xuncha",
        "XUNCHA_INTAKE_SECRET": "i" * 64,
        "XUNCHA_INTAKE_ARGON2": "interactive",
    }


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("XUNCHA_SECRET_KEY_FILE", "XUNCHA_SECRET_KEY or XUNCHA_SECRET_KEY_FILE is required"),
        ("XUNCHA_ALLOWED_HOSTS", "XUNCHA_ALLOWED_HOSTS is required"),
        ("XUNCHA_DATABASE_URL", "XUNCHA_DATABASE_URL is required"),
        ("XUNCHA_AUDIT_KEY", "XUNCHA_AUDIT_KEY or XUNCHA_AUDIT_KEY_FILE is required"),
        ("XUNCHA_INTAKE_SECRET", "XUNCHA_INTAKE_SECRET or XUNCHA_INTAKE_SECRET_FILE is required"),
    ],
)
def test_production_refuses_to_start_without_a_setting(tmp_path, missing, named):
    env = _production_env(tmp_path)
    del env[missing]
    result = _xuncha(["check"], env)
    assert result.returncode == 2
    assert f"configuration error: {named}" in result.stderr


def test_malformed_setting_is_named(tmp_path):
    env = {**_production_env(tmp_path), "XUNCHA_DATABASE_URL": "mysql://x@y/z"}
    result = _xuncha(["check"], env)
    assert result.returncode == 2 and "XUNCHA_DATABASE_URL must be" in result.stderr
    env = {**_production_env(tmp_path), "XUNCHA_TASKS_BACKEND": "celery"}
    result = _xuncha(["check"], env)
    assert result.returncode == 2 and "XUNCHA_TASKS_BACKEND must be one of" in result.stderr


def test_check_deploy_passes_for_the_documented_production_configuration(tmp_path):
    result = _xuncha(["check", "--deploy", "--fail-level", "WARNING"], _production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_help_lists_every_verb():
    result = _xuncha(["--help"], {})
    assert result.returncode == 0
    for verb in ("demo", "serve", "worker", "audit", "migrate", "check"):
        assert f"  {verb} " in result.stdout


def test_bad_time_zone_log_level_and_redis_url_are_named(tmp_path):
    base = _production_env(tmp_path)
    cases = [
        ({"XUNCHA_TIME_ZONE": "Mars/Olympus"}, "XUNCHA_TIME_ZONE names no known time zone"),
        ({"XUNCHA_LOG_LEVEL": "loud"}, "XUNCHA_LOG_LEVEL must be"),
        ({"XUNCHA_TASKS_BACKEND": "redis"}, "XUNCHA_REDIS_URL is required"),
        ({"XUNCHA_REDIS_URL": "http://127.0.0.1"}, "XUNCHA_REDIS_URL must be a redis://"),
        ({"XUNCHA_DEBUG": "true"}, "XUNCHA_DEBUG must be false in production"),
    ]
    for extra, message in cases:
        result = _xuncha(["check"], {**base, **extra})
        assert result.returncode == 2 and message in result.stderr, (extra, result.stderr)
    assert _xuncha(["check"], {**base, "XUNCHA_LOG_LEVEL": "info"}).returncode == 0


def test_demo_refuses_to_run_in_production(tmp_path):
    result = _xuncha(["demo", "--no-migrate"], _production_env(tmp_path))
    assert result.returncode != 0 and "does not run in production" in result.stderr


def test_setup_starts_an_empty_installation(tmp_path):
    env = {"XUNCHA_DATA_DIR": str(tmp_path)}
    assert _xuncha(["migrate", "-v0"], env).returncode == 0
    password = tmp_path / "pw"
    password.write_text("1234")
    weak = _xuncha(
        [
            "setup",
            "--organisation",
            "青岚州",
            "--code",
            "P01",
            "--username",
            "root",
            "--password-file",
            str(password),
        ],
        env,
    )
    assert weak.returncode != 0 and "too weak" in weak.stderr
    password.write_text("a-strong-passphrase-2026")
    ok = _xuncha(
        [
            "setup",
            "--organisation",
            "青岚州",
            "--code",
            "P01",
            "--username",
            "root",
            "--password-file",
            str(password),
        ],
        env,
    )
    assert ok.returncode == 0, ok.stderr
    again = _xuncha(
        [
            "setup",
            "--organisation",
            "x",
            "--code",
            "X",
            "--username",
            "other",
            "--password-file",
            str(password),
        ],
        env,
    )
    assert again.returncode != 0 and "already has" in again.stderr
    verify = _xuncha(["audit", "verify"], env)
    # The four events of setup, and the one that brought in the shipped rule library
    # (datacheck's post-migrate step).
    assert verify.returncode == 0 and "intact: 5 events" in verify.stdout


def test_a_generated_secret_is_never_read_half_written(tmp_path):
    """Processes starting together (a worker and a scheduler on a new installation) all
    get the same, complete secret; the file is owner-only."""
    import stat
    from concurrent.futures import ThreadPoolExecutor

    from xuncha.conf import _read_or_generate

    for attempt in range(20):
        path = tmp_path / f"secret_{attempt}"
        with ThreadPoolExecutor(max_workers=8) as pool:
            values = list(pool.map(_read_or_generate, [path] * 16))
        assert len(set(values)) == 1 and len(values[0]) >= 50
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers


def test_production_refuses_the_test_only_argon2_cost(tmp_path):
    env = {**_production_env(tmp_path), "XUNCHA_INTAKE_ARGON2": "minimum"}
    result = _xuncha(["check"], env)
    assert result.returncode == 2
    assert "XUNCHA_INTAKE_ARGON2=minimum is for tests" in result.stderr
