"""The report's steps in order, each a child process: validation, cross-validation, the
rule-based entities, the held-out sets and the conversation corpus."""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from appconfig.settings import PROJECT_ROOT

from .conversations import pytest_command, read_junit
from .crossval import cross_validation_command, read_entity_reports, read_intents, write_minimal_domain
from .delta import compare
from .render import read_previous, write_report
from .steps import run_logged
from .validation import read_findings

RASA = str(Path(sys.executable).with_name("rasa"))
# Rasa draws the folds with numpy's global generator and no seed; seeding it first gives the same
# folds for the same data, so a change in the report comes from the data, not from the draw.
SEEDED_RASA = "import sys, numpy; numpy.random.seed(int(sys.argv.pop(1))); sys.argv[0] = 'rasa'; from rasa.__main__ import main; main()"


@dataclass
class Options:
    out: Path = PROJECT_ROOT / "reports" / "nlu"
    folds: int = 5
    seed: int = 1
    nlu: Path = PROJECT_ROOT / "data" / "nlu"
    data: Path = PROJECT_ROOT / "data"
    domain: Path = PROJECT_ROOT / "domain.yml"
    config: Path = PROJECT_ROOT / "config.yml"
    model: Path = PROJECT_ROOT / "models" / "leadqual.tar.gz"
    heldout: Path = PROJECT_ROOT / "bench" / "heldout"
    conversations: str = "tests/conversations"
    validate: bool = True
    run_conversations: bool = True
    pytest_args: list[str] = field(default_factory=list)


def build_summary(options: Options, env: dict[str, str], say=print) -> dict[str, Any]:
    """Run every step and return the report's summary (without the comparison)."""
    work = options.out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    config_text = options.config.read_text(encoding="utf-8")
    summary: dict[str, Any] = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "folds": options.folds,
        "seed": options.seed,
        "config": _shown(options.config),
        "nlu": _shown(options.nlu),
        "seconds": {},
    }
    if "SpacyNLP" in config_text:
        from launcher.build import ensure_spacy_pipeline  # the pipeline config.yml loads by path

        ensure_spacy_pipeline(env)

    if options.validate:
        say("== rasa data validate ...")
        started = time.monotonic()
        command = [RASA, "data", "validate", "--domain", str(options.domain), "--data", str(options.data)]
        command += ["--config", str(options.config), "--max-history", "5"]
        validated = run_logged(command, work / "validate.log", env, cwd=PROJECT_ROOT, check=False)
        summary["validation"] = read_findings(validated.output, validated.returncode)
        summary["seconds"]["validation"] = round(time.monotonic() - started)
    else:
        summary["validation"] = {"skipped": "--no-validation"}

    say(f"== {options.folds}-fold NLU cross-validation of {_shown(options.config)} ...")
    domain = work / "domain_for_nlu_test.yml"
    write_minimal_domain(options.nlu, domain)
    cv_out = work / "cross-validation"
    rasa_args = cross_validation_command(
        RASA, str(options.nlu), str(options.config), options.folds, str(domain), str(cv_out)
    )[1:]
    crossval = run_logged(
        [sys.executable, "-c", SEEDED_RASA, str(options.seed), *rasa_args],
        work / "cross-validation.log",
        env,
        cwd=PROJECT_ROOT,
    )
    summary["seconds"]["cross_validation"] = round(crossval.seconds)
    summary["intents"] = read_intents(cv_out)
    summary["entities"] = {"extractors": read_entity_reports(cv_out), "rules": None}
    if "SpacyEntityExtractor" in config_text:
        say("== the rule-based entities against the annotations ...")
        rules = run_logged(
            [sys.executable, str(PROJECT_ROOT / "bench" / "entity_rules.py"), "--nlu", str(options.nlu)],
            work / "entity-rules.log",
            env,
            cwd=PROJECT_ROOT,
            stdout_path=work / "entity-rules.json",
        )
        summary["entities"]["rules"] = json.loads(rules.stdout)

    if options.model.exists():
        say(f"== the held-out sets against {_shown(options.model)} ...")
        heldout = run_logged(
            [sys.executable, str(PROJECT_ROOT / "bench" / "nlu_heldout.py"), "--model", str(options.model)]
            + ["--heldout", str(options.heldout), "--json", "--worst", "25"],
            work / "heldout.log",
            env,
            cwd=PROJECT_ROOT,
            stdout_path=work / "heldout.json",
        )
        summary["heldout"] = json.loads(heldout.stdout)
        summary["heldout"]["model_is_current"] = _model_is_current(options.model)
        summary["seconds"]["heldout"] = round(heldout.seconds)
    else:
        summary["heldout"] = {"skipped": f"no trained model at {_shown(options.model)} (make train builds one)"}

    if options.run_conversations:
        say(f"== the conversation corpus ({options.conversations}) ...")
        junit = work / "conversations.xml"
        played = run_logged(
            pytest_command(options.conversations, junit, options.pytest_args),
            work / "conversations.log",
            env,
            cwd=PROJECT_ROOT,
            check=False,
        )
        if not junit.exists():
            summary["conversations"] = {
                "skipped": f"pytest wrote no results (exit {played.returncode}); see work/conversations.log"
            }
        else:
            summary["conversations"] = read_junit(junit)
        summary["seconds"]["conversations"] = round(played.seconds)
    else:
        summary["conversations"] = {"skipped": "--no-conversations"}
    return summary


def make_report(options: Options, env: dict[str, str], say=print) -> Path:
    """Run the steps, compare with the previous summary and write latest.html / latest.json."""
    started = time.monotonic()
    summary = build_summary(options, env, say)
    summary["seconds"]["total"] = round(time.monotonic() - started)
    summary["delta"] = compare(summary, read_previous(options.out))
    return write_report(summary, options.out)


def _shown(path: Path) -> str:
    """A path as the marketer typed it: relative to the project when it is inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _model_is_current(model: Path) -> bool | None:
    """Whether the model was trained on the data as it is now (known for the launcher's model only)."""
    from launcher.build import MODEL_PATH, model_is_current

    return model_is_current() if model.resolve() == MODEL_PATH.resolve() else None
