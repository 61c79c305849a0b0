"""Rasa's own check of the project's data. The story tests (tests/stories/) are played end to end
against the running stack by tests/stories/test_stories_e2e.py, which replaced `rasa test core`:
that fed the stories' slot values in and never ran the custom actions."""

import subprocess
import sys
from pathlib import Path

from appconfig.settings import PROJECT_ROOT
from launcher.environment import stack_environment
from nlu_components.product_questions import PRODUCT_QUESTION

RASA = str(Path(sys.executable).with_name("rasa"))


def _rasa(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([RASA, *args], cwd=cwd, env=stack_environment(), capture_output=True, text=True, timeout=1800)


def test_rasa_data_validate():
    result = _rasa("data", "validate", "--max-history", "5")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    # Responses that custom actions send by name look "unused" to the validator, and ask_product
    # has no examples by design (nlu_components/product_questions.py sets it); any other warning
    # (unknown intent, slot or action, story conflict) is a real problem.
    set_by_a_component = f"The intent '{PRODUCT_QUESTION}' is listed in the domain file, but is not found in the NLU"
    warnings = [
        line
        for line in output.splitlines()
        if "UserWarning" in line and "is not used in any story or rule" not in line and set_by_a_component not in line
    ]
    assert warnings == [], "\n".join(warnings)
