"""Build steps, each skipped when its inputs have not changed since the last build."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from appconfig.settings import PROJECT_ROOT

SPACY_PIPELINE_DIR = PROJECT_ROOT / "build" / "spacy-en-leads"
ENTITY_PATTERNS = PROJECT_ROOT / "config" / "entity_patterns.yml"
MODEL_DIR = PROJECT_ROOT / "models"
MODEL_NAME = "leadqual"
MODEL_PATH = MODEL_DIR / f"{MODEL_NAME}.tar.gz"
_MODEL_DIGEST = MODEL_DIR / f"{MODEL_NAME}.inputs.sha256"


class BuildError(RuntimeError):
    pass


def _training_inputs() -> list[Path]:
    files = [PROJECT_ROOT / "domain.yml", PROJECT_ROOT / "config.yml", ENTITY_PATTERNS]
    files += sorted((PROJECT_ROOT / "data").rglob("*.yml"))
    return files


def inputs_digest() -> str:
    digest = hashlib.sha256()
    for path in _training_inputs():
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env)
    if result.returncode != 0:
        raise BuildError(f"{what} failed (exit {result.returncode}): {' '.join(command)}")


def ensure_spacy_pipeline(env: dict[str, str]) -> Path:
    """The blank-English spaCy pipeline with the entity patterns marketers edit."""
    _run(
        [
            sys.executable,
            "-m",
            "entity_pipeline",
            "build",
            "--patterns",
            str(ENTITY_PATTERNS),
            "--out",
            str(SPACY_PIPELINE_DIR),
        ],
        env,
        "building the spaCy pipeline",
    )
    return SPACY_PIPELINE_DIR


def model_is_current() -> bool:
    return MODEL_PATH.exists() and _MODEL_DIGEST.exists() and _MODEL_DIGEST.read_text() == inputs_digest()


def ensure_model(env: dict[str, str], force: bool = False) -> Path:
    """Train the Rasa model unless one trained on exactly the current data exists."""
    ensure_spacy_pipeline(env)
    if model_is_current() and not force:
        return MODEL_PATH
    digest = inputs_digest()
    print("Training the assistant (once per change of data/, domain.yml, config.yml or entity patterns)...", flush=True)
    rasa = str(Path(sys.executable).with_name("rasa"))
    _run([rasa, "train", "--fixed-model-name", MODEL_NAME, "--out", str(MODEL_DIR)], env, "rasa train")
    _MODEL_DIGEST.write_text(digest)
    return MODEL_PATH
