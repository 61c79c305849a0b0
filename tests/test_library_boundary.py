"""The library under src/ knows nothing of Rasa: actions/ is the only glue."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
FORBIDDEN = ("rasa", "rasa_sdk")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_nothing_under_src_imports_rasa():
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        for module in _imported_modules(path):
            if module.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(SRC)} imports {module}")
    assert offenders == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    # Guard against a check that cannot fail: a nested import must be found too.
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from rasa_sdk import Action\n")
    assert "rasa_sdk" in _imported_modules(sample)


def test_the_web_app_and_handoff_load_without_spacy_or_tensorflow():
    # spaCy pulls in thinc, which imports TensorFlow when it is installed (Rasa installs it):
    # hundreds of MB in every web and outbox worker that only needs handoff and the web app.
    import subprocess
    import sys

    code = "import sys, handoff, webapp.app, leaddb; print(sorted({'spacy', 'tensorflow'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_supervising_launcher_loads_no_machine_learning_library():
    # It only starts and watches processes (the config check runs in a child): the console's
    # model-card code would bring scikit-learn, 120 MB held for the stack's whole life.
    import subprocess
    import sys

    heavy = "{'sklearn', 'spacy', 'tensorflow', 'rasa'}"
    code = f"import sys, launcher.__main__; print(sorted({heavy} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
