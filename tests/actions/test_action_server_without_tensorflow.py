"""The action server runs without TensorFlow: spaCy's thinc would import it (Rasa installs it),
though the actions use only spaCy's tokenizer and rules (actions.server.without_tensorflow)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CODE = """
import sys
from actions.server import without_tensorflow
without_tensorflow()
import actions.booking, actions.conversation, actions.form, actions.privacy
import thinc.compat
from datetime import date
from scoring.answers import normalise_answer
answer = normalise_answer("budget", "about 40k a year, once the board signs off", date(2026, 12, 4))
print(thinc.compat.has_tensorflow, answer.fields.get("budget_amount"), answer.fields.get("budget_status"))
"""


def test_the_actions_and_their_normalisers_load_and_work_without_tensorflow():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-c", CODE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr[-2000:]
    has_tensorflow, amount, status = result.stdout.split()
    assert has_tensorflow == "False"
    assert float(amount) == 40000.0 and status != "None"
