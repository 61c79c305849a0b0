"""Rasa's own checks of the project: data validation and the story tests."""

import subprocess
import sys
from pathlib import Path

from appconfig.settings import PROJECT_ROOT
from launcher.environment import stack_environment

RASA = str(Path(sys.executable).with_name("rasa"))


def _rasa(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([RASA, *args], cwd=cwd, env=stack_environment(), capture_output=True, text=True, timeout=1800)


def test_rasa_data_validate():
    result = _rasa("data", "validate", "--max-history", "5")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    # Responses that custom actions send by name look "unused" to the validator; any other
    # warning (unknown intent, slot or action, story conflict) is a real problem.
    warnings = [
        line for line in output.splitlines() if "UserWarning" in line and "is not used in any story or rule" not in line
    ]
    assert warnings == [], "\n".join(warnings)


def test_story_tests_pass_without_prediction_errors(trained_model, tmp_path):
    result = _rasa(
        "test",
        "core",
        "--model",
        str(trained_model),
        "--stories",
        "tests/stories",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path),
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-2000:]}\n{details[-6000:]}"
