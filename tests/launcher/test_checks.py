"""`python -m launcher check`: every config file validated before anything starts."""

import os
import re
import shutil
import subprocess
import sys

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


def test_production_refuses_to_start_without_token_and_key():
    from launcher.checks import check_environment

    assert check_environment({"LEADQUAL_ENV": "development"}) == []
    problems = check_environment({"LEADQUAL_ENV": "production"})
    assert [p.split(" ")[0] for p in problems] == ["RASA_API_TOKEN", "LEADQUAL_SECRET_KEY"]
    assert check_environment({"LEADQUAL_ENV": "production", "RASA_API_TOKEN": "t", "LEADQUAL_SECRET_KEY": "k"}) == []
