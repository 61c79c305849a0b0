"""`python -m launcher check`: every config file validated before anything starts."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from appconfig.settings import PROJECT_ROOT
from launcher.checks import check_configs


def test_each_broken_file_is_named_with_key_and_problem(tmp_path):
    shutil.copytree(PROJECT_ROOT / "config", tmp_path, dirs_exist_ok=True)
    scoring = tmp_path / "scoring.yml"
    scoring.write_text(re.sub(r"(?m)^  sql: .*$", "  sql: sixty", scoring.read_text(), count=1))
    (tmp_path / "roster.yml").write_text("reps: []\n")
    problems = check_configs(tmp_path)
    assert len(problems) == 2
    assert f"{tmp_path / 'scoring.yml'}: thresholds.sql: must be a number" in problems[0]
    assert problems[1] == f"{tmp_path / 'roster.yml'}: meetings: is required"


def test_launcher_check_exits_2_with_the_message_and_no_traceback(tmp_path):
    shutil.copytree(PROJECT_ROOT / "config", tmp_path, dirs_exist_ok=True)
    (tmp_path / "behaviour.yml").write_text("half_life_days: [oops\n")
    env = {**os.environ, "LEADQUAL_CONFIG_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "launcher", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "behaviour.yml" in result.stderr and "not valid YAML" in result.stderr
    assert "Traceback" not in result.stderr


def test_launcher_start_refuses_a_broken_file_before_building_anything(tmp_path):
    # `start` checks the files in a child process (the launcher stays small); the same message.
    shutil.copytree(PROJECT_ROOT / "config", tmp_path, dirs_exist_ok=True)
    (tmp_path / "scoring.yml").write_text((tmp_path / "scoring.yml").read_text().replace("sql:", "sql: high #", 1))
    env = {**os.environ, "LEADQUAL_CONFIG_DIR": str(tmp_path), "LEADQUAL_VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [sys.executable, "-m", "launcher", "start"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "scoring.yml" in result.stderr and "Traceback" not in result.stderr
    assert "Training" not in result.stdout and "Starting" not in result.stdout


STRONG = "pR7vK2xQ9mWb4TzL8nYc3FhJ6dGs1AeU0oVi5"  # 37 random characters


def test_production_refuses_to_start_without_its_secrets():
    from launcher.checks import check_environment

    assert check_environment({"LEADQUAL_ENV": "development"}) == []
    problems = check_environment({"LEADQUAL_ENV": "production"})
    assert [p.split(" ")[0] for p in problems] == ["ACTION_SERVER_TOKEN", "LEADQUAL_SECRET_KEY"]
    assert (
        check_environment({"LEADQUAL_ENV": "production", "ACTION_SERVER_TOKEN": STRONG, "LEADQUAL_SECRET_KEY": "k"})
        == []
    )


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "change-me",
        "t",
        "a-31-character-long-token-12345",
        "change-me-change-me-change-me-change-me",
        "changemechangemechangemechangeme",
        "secret-secret-secret-secret-secret",
        "test" * 10,
        "x" * 40,
        "xxx-your-token-here-xxx-your-token-here",
        "ab" * 20,
    ],
)
def test_where_rasas_http_api_is_on_a_weak_token_is_refused_naming_the_variable(token):
    from launcher.checks import check_environment

    env = {"RASA_ENABLE_API": "true", **({"RASA_API_TOKEN": token} if token is not None else {})}
    for profile in ("development", "production"):
        problems = check_environment(
            {**env, "LEADQUAL_ENV": profile, "ACTION_SERVER_TOKEN": STRONG, "LEADQUAL_SECRET_KEY": "k"}
        )
        assert len(problems) == 1 and problems[0].startswith("RASA_API_TOKEN "), problems
        assert "secrets.token_urlsafe" in problems[0]


def test_a_random_token_passes_and_the_api_off_needs_none():
    import secrets

    from launcher.checks import check_environment, token_problem

    assert check_environment({"RASA_ENABLE_API": "true", "RASA_API_TOKEN": STRONG}) == []
    assert check_environment({"RASA_ENABLE_API": "false"}) == []
    # A hex token with only 9 distinct characters, drawn by secrets.token_hex in a CI run.
    assert token_problem("T", "b4ff7b12a7c44cb48bf247cf4bc74f27") is None
    for _ in range(200):
        assert token_problem("T", secrets.token_urlsafe(32)) is None
        assert token_problem("T", secrets.token_hex(16)) is None


def test_a_weak_action_server_token_is_refused_in_every_profile():
    from launcher.checks import check_environment

    problems = check_environment({"ACTION_SERVER_TOKEN": "change-me"})
    assert len(problems) == 1 and problems[0].startswith("ACTION_SERVER_TOKEN is too short")


def test_the_default_stack_keeps_rasas_http_api_off_and_the_action_server_on_loopback(tmp_path):
    from launcher.environment import stack_environment
    from launcher.stack import services

    blank = ("RASA_ENABLE_API", "RASA_API_TOKEN", "ACTION_SERVER_HOST", "RASA_HOST", "WEB_HOST")  # defaults
    env = stack_environment({"LEADQUAL_VAR_DIR": str(tmp_path), **dict.fromkeys(blank, "")})
    commands = {service.name: service.command for service in services(env)}
    assert "--enable-api" not in commands["rasa"] and "--auth-token" not in commands["rasa"]
    assert commands["rasa"][commands["rasa"].index("--interface") + 1] == "127.0.0.1"
    assert commands["actions"][1:3] == ["-m", "actions.server"]
    assert commands["actions"][commands["actions"].index("--host") + 1] == "127.0.0.1"
    assert commands["web"][commands["web"].index("--host") + 1] == "127.0.0.1"

    on = services({**env, "RASA_ENABLE_API": "true", "RASA_API_TOKEN": STRONG})
    rasa = next(service.command for service in on if service.name == "rasa")
    assert rasa[rasa.index("--enable-api") + 1 : rasa.index("--enable-api") + 3] == ["--auth-token", STRONG]


def test_the_stack_refuses_to_start_rasas_api_with_a_placeholder_token(tmp_path):
    from launcher.environment import stack_environment
    from launcher.stack import Stack, StackError

    env = stack_environment(
        {"LEADQUAL_VAR_DIR": str(tmp_path), "RASA_ENABLE_API": "true", "RASA_API_TOKEN": "change-me"}
    )
    stack = Stack(env)
    with pytest.raises(StackError, match="RASA_API_TOKEN is too short"):
        stack.start()
    assert stack.processes == {}


def test_launcher_check_names_a_placeholder_api_token_and_exits_2():
    env = {**os.environ, "RASA_ENABLE_API": "true", "RASA_API_TOKEN": "changeme" * 5}
    result = subprocess.run(
        [sys.executable, "-m", "launcher", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "config error: RASA_API_TOKEN looks like a placeholder" in result.stderr
    assert "Traceback" not in result.stderr
