"""appconfig.settings: one Settings object, read from the environment, documented in .env.example."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from dotenv import dotenv_values

from appconfig.settings import DEFAULTS, PROJECT_ROOT, SettingsError, load_settings, settings_from, variable_names
from launcher.environment import stack_environment

ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
# `NAME=value` or a commented-out example `# NAME=value`.
DOCUMENTED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def test_env_example_documents_exactly_the_variables_settings_reads():
    documented = set(DOCUMENTED.findall(ENV_EXAMPLE.read_text()))
    read = set(variable_names())
    assert sorted(read - documented) == [], "read but not documented in .env.example"
    assert sorted(documented - read) == [], "documented in .env.example but never read"


def test_the_values_written_in_env_example_are_the_defaults():
    assert settings_from(dotenv_values(ENV_EXAMPLE)) == DEFAULTS


def test_defaults_derive_from_the_var_dir_and_ports(tmp_path):
    settings = settings_from({"LEADQUAL_VAR_DIR": str(tmp_path), "WEB_PORT": "9100", "ACTION_SERVER_PORT": "6000"})
    assert settings.database_url == f"sqlite:///{tmp_path / 'leads.db'}"
    assert settings.tracker_store_url == f"sqlite:///{tmp_path / 'conversations.db'}"
    assert settings.action_endpoint_url == "http://127.0.0.1:6000/webhook"
    assert settings.allowed_origins == ("http://localhost:9100", "http://127.0.0.1:9100")
    assert settings.public_base_url == "http://localhost:9100"


def test_values_are_parsed_and_blank_means_unset():
    settings = settings_from(
        {
            "ALLOWED_ORIGINS": " https://a.test, https://b.test ,",
            "SMTP_STARTTLS": "off",
            "SMTP_PORT": " 2525 ",
            "PUBLIC_BASE_URL": "https://leads.example/",
            "SMTP_HOST": "  ",
            "EMAIL_REPS": "",
        }
    )
    assert settings.allowed_origins == ("https://a.test", "https://b.test")
    assert (settings.smtp_starttls, settings.smtp_port) == (False, 2525)
    assert settings.public_base_url == "https://leads.example"
    assert (settings.smtp_host, settings.email_reps) == (None, True)


def test_each_bad_value_is_named_with_its_problem():
    with pytest.raises(SettingsError) as raised:
        settings_from({"SMTP_PORT": "abc", "TRACK_MAX_EVENTS": "0", "EMAIL_REPS": "maybe", "RASA_PORT": "70000"})
    assert sorted(str(raised.value).splitlines()) == [
        "EMAIL_REPS: must be true or false, got 'maybe'",
        "RASA_PORT: must be at most 65535, got '70000'",
        "SMTP_PORT: must be a whole number, got 'abc'",
        "TRACK_MAX_EVENTS: must be at least 1, got '0'",
    ]


def test_settings_are_read_at_call_time(monkeypatch):
    monkeypatch.setenv("TRACK_MAX_EVENTS", "7")
    assert load_settings().track_max_events == 7
    monkeypatch.setenv("TRACK_MAX_EVENTS", "8")
    assert load_settings().track_max_events == 8


def test_the_stack_environment_spells_out_every_setting(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "ALLOWED_ORIGINS", "PUBLIC_BASE_URL", "ACTION_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    env = stack_environment(
        {"LEADQUAL_VAR_DIR": str(tmp_path), "WEB_PORT": "9100", "SLACK_WEBHOOK_URL": "https://s.test"}
    )
    expected = settings_from(
        {"LEADQUAL_VAR_DIR": str(tmp_path), "WEB_PORT": "9100", "SLACK_WEBHOOK_URL": "https://s.test"}
    )
    assert {name: env[name] for name in expected.as_environment()} == expected.as_environment()
    assert env["ALLOWED_ORIGINS"] == "http://localhost:9100,http://127.0.0.1:9100"
    assert env["SLACK_WEBHOOK_URL"] == "https://s.test"
    with pytest.raises(SettingsError, match="WEB_PORT: must be a whole number, got 'web'"):
        stack_environment({"WEB_PORT": "web"})


def test_the_launcher_names_a_bad_setting_without_a_traceback():
    env = {**os.environ, "SMTP_PORT": "abc"}
    result = subprocess.run(
        [sys.executable, "-m", "launcher", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "config error: SMTP_PORT: must be a whole number, got 'abc'" in result.stderr
    assert "Traceback" not in result.stderr


def test_development_generates_the_action_server_secret_once_and_keeps_it_private(monkeypatch, tmp_path):
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    monkeypatch.setenv("LEADQUAL_ENV", "development")
    first = stack_environment({"LEADQUAL_VAR_DIR": str(tmp_path)})["ACTION_SERVER_TOKEN"]
    path = tmp_path / "action_server_token"
    assert path.read_text() == first and len(first) >= 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert stack_environment({"LEADQUAL_VAR_DIR": str(tmp_path)})["ACTION_SERVER_TOKEN"] == first  # kept
    assert stack_environment({"LEADQUAL_VAR_DIR": str(tmp_path / "other")})["ACTION_SERVER_TOKEN"] != first
    given = stack_environment({"LEADQUAL_VAR_DIR": str(tmp_path), "ACTION_SERVER_TOKEN": "x" * 40})
    assert given["ACTION_SERVER_TOKEN"] == "x" * 40


def test_production_generates_no_action_server_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    env = stack_environment({"LEADQUAL_VAR_DIR": str(tmp_path), "LEADQUAL_ENV": "production"})
    assert "ACTION_SERVER_TOKEN" not in env and not (tmp_path / "action_server_token").exists()
