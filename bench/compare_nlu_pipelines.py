"""Compare candidate NLU pipelines and print one table: cross-validation, held-out sets, timings.

For each candidate bench/pipelines/<name>.yml this

- runs `rasa test nlu --nlu data/nlu --config <candidate> --cross-validation --folds 5`: intent
  macro-F1 and entity F1 (per extractor; see below for the spaCy rules);
- trains it once on all of data/nlu (`rasa train nlu`, Rasa's cache off, timed) and scores that model
  on bench/heldout/ with bench/nlu_heldout.py's functions: the off-topic-to-sales rate (share of
  off_topic.yml whose top intent is inform, ask_pricing, request_demo, human_handoff or affirm),
  macro-F1 on in_scope.yml, and the latency of one parse (p50 / p95, one message at a time).

Then, in the same run and one after the other, it times `rasa train` of Rasa's starter bot
(`rasa init --no-prompt` into a temporary folder) and a full `rasa train` of this project (NLU and
core, config.yml, into a temporary folder), both from scratch with the same venv, and prints the
ratio (target: at most 3x).

Rasa leaves SpacyEntityExtractor out of its evaluation (it counts as "pretrained"), so for
candidates that use it this script scores the project's rule pipeline itself: token by token
against the annotations in all the data, the way Rasa scores DIET (rules learn nothing, so every
fold would give the same figure).

    nice -n 10 .venv/bin/python bench/compare_nlu_pipelines.py       # default candidates, 5 folds
    .venv/bin/python bench/compare_nlu_pipelines.py --candidates spacy_rules_diet,whitespace_diet_entities
    .venv/bin/python bench/compare_nlu_pipelines.py --candidates spacy_rules_logreg --folds 3 --no-starter

Run it from the project root with the project on PYTHONPATH (PYTHONPATH=$PWD/src:$PWD): SpacyNLP
loads build/spacy-en-leads relative to it and the pipelines name nlu_components. The defaults are
the three cheapest meaningful candidates (about 20 min on 2 cores); DIET candidates train five
times each and take much longer. Reports and logs stay under --results for a closer look.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from entity_pipeline import save_pipeline
from nlureport.crossval import cross_validation_command, read_scores, write_minimal_domain
from nlureport.steps import StepFailed, run_logged

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nlu_heldout
from entity_rules import rule_entity_macro_f1

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).with_name("rasa"))
# The cheapest candidates that answer the question: counts only, + sentence embedding, + gate (config.yml).
DEFAULT_CANDIDATES = ("spacy_rules_logreg", "encoder_logreg", "encoder_logreg_gate", "encoder_scaled_logreg_gate")
TARGET_OFF_TOPIC, TARGET_F1, TARGET_TRAINING_RATIO = 0.03, 0.95, 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipelines", default="bench/pipelines", help="folder of candidate configs")
    parser.add_argument(
        "--candidates",
        default=",".join(DEFAULT_CANDIDATES),
        help="comma-separated config names in --pipelines (without .yml), or 'all' (default: %(default)s)",
    )
    parser.add_argument("--nlu", default="data/nlu", help="NLU training data")
    parser.add_argument("--heldout", default="bench/heldout", help="folder with off_topic.yml and in_scope.yml")
    parser.add_argument("--patterns", default="config/entity_patterns.yml", help="entity patterns file")
    parser.add_argument("--spacy-model", default="build/spacy-en-leads", help="where the spaCy pipeline is built")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-starter", action="store_true", help="skip the starter-bot / full-training comparison")
    parser.add_argument("--results", default="results/nlu-pipelines", help="folder for reports and logs")
    args = parser.parse_args()

    os.chdir(ROOT)
    try:
        candidates = select_candidates(Path(args.pipelines), args.candidates)
    except ValueError as problem:
        print(f"error: {problem}")
        return 2

    save_pipeline(args.patterns, args.spacy_model)
    results_dir = Path(args.results)
    results_dir.mkdir(parents=True, exist_ok=True)
    domain = results_dir / "domain_for_nlu_test.yml"
    write_minimal_domain(Path(args.nlu), domain)
    # Rasa's training cache would make the second training of a candidate look instant.
    env = {**os.environ, "RASA_MAX_CACHE_SIZE": "0", "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false"}
    os.environ.update(env)
    started = time.monotonic()

    # First, so that a broken Rasa install shows in minutes, not after the cross-validation.
    training = None
    if not args.no_starter:
        print("== Rasa's starter bot: rasa init --no-prompt, then a timed rasa train ...", flush=True)
        starter_seconds = starter_bot_training_seconds(results_dir, env)
        print("== this project: a timed full rasa train (NLU and core, config.yml) ...", flush=True)
        project_seconds = project_training_seconds(results_dir, env)
        training = {"starter_seconds": starter_seconds, "project_seconds": project_seconds}

    rows = []
    for config in candidates:
        out = results_dir / config.stem
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        print(f"== {config.stem}: {args.folds}-fold cross-validation ...", flush=True)
        cv_seconds = run_timed(
            cross_validation_command(RASA, args.nlu, str(config), args.folds, str(domain), str(out)),
            out / "cv.log",
            env,
        )
        print(f"== {config.stem}: one training on all data, then the held-out sets ...", flush=True)
        with tempfile.TemporaryDirectory() as model_dir:
            train_seconds = run_timed(
                [
                    RASA,
                    "train",
                    "nlu",
                    "--nlu",
                    args.nlu,
                    "--config",
                    str(config),
                    "--out",
                    model_dir,
                    "--fixed-model-name",
                    config.stem,
                ],
                out / "train.log",
                env,
            )
            heldout = heldout_scores(f"{model_dir}/{config.stem}.tar.gz", Path(args.heldout))
        (out / "heldout.json").write_text(json.dumps(heldout, indent=2))
        row = {
            "candidate": config.stem,
            **read_scores(out),
            **heldout_row(heldout),
            "cv_seconds": cv_seconds,
            "train_seconds": train_seconds,
        }
        if "SpacyEntityExtractor" in config.read_text():
            row["entity_macro_f1"]["SpacyEntityExtractor (rules)"] = rule_entity_macro_f1(args.nlu, args.spacy_model)
        (out / "scores.json").write_text(json.dumps(row, indent=2))
        rows.append(row)
        print(format_table([row]), flush=True)

    (results_dir / "summary.json").write_text(json.dumps({"candidates": rows, "training": training}, indent=2))
    command = f"bench/compare_nlu_pipelines.py --folds {args.folds} --candidates {','.join(c.stem for c in candidates)}"
    print(f"\n{command}   (wall time {time.monotonic() - started:.0f} s)\n")
    print(format_table(rows, training))
    return 0


def select_candidates(folder: Path, names: str) -> list[Path]:
    """The candidate configs `names` (comma-separated, or 'all') picks from `folder`, in the order given."""
    available = {path.stem: path for path in sorted(folder.glob("*.yml"))}
    if names.strip() == "all":
        chosen = list(available)
    else:
        chosen = [name.strip() for name in names.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in available]
    if unknown or not chosen:
        raise ValueError(
            f"no candidate config {', '.join(unknown) or '(none given)'} in {folder}; "
            f"there are: {', '.join(available) or 'none'}"
        )
    return [available[name] for name in chosen]


def heldout_scores(model: str, heldout: Path) -> dict:
    """bench/nlu_heldout.py's figures for an NLU-only model (its known intents taken from domain.yml)."""
    from pipelines.heldout_nlu_only import load_parser

    known_intents, parse = load_parser(model)
    return nlu_heldout.evaluate(parse, known_intents, heldout, worst=15)


def heldout_row(heldout: dict) -> dict[str, object]:
    off_topic = heldout["off_topic"]
    return {
        "off_topic_to_sales": off_topic["to_sales"],
        "off_topic_n": off_topic["n"],
        "off_topic_confident": off_topic["confident_to_sales"],
        "heldout_macro_f1": heldout["in_scope"]["macro_f1"],
        "p50_ms": heldout["latency_ms"]["p50"],
        "p95_ms": heldout["latency_ms"]["p95"],
    }


def starter_bot_training_seconds(results_dir: Path, env: dict[str, str]) -> float:
    """`rasa init --no-prompt` into a temporary folder, then time `rasa train` there from scratch."""
    with tempfile.TemporaryDirectory(prefix="rasa-init-") as folder:
        run_timed(
            [RASA, "init", "--no-prompt", "--init-dir", folder], results_dir / "starter_init.log", env, cwd=folder
        )
        shutil.rmtree(Path(folder, "models"), ignore_errors=True)
        shutil.rmtree(Path(folder, ".rasa"), ignore_errors=True)
        return run_timed(
            [RASA, "train", "--force", "--out", "models"], results_dir / "starter_train.log", env, cwd=folder
        )


def project_training_seconds(results_dir: Path, env: dict[str, str]) -> float:
    """A full `rasa train` of this project (config.yml, domain.yml, data/) from scratch, into a temp folder."""
    with tempfile.TemporaryDirectory(prefix="leadqual-train-") as model_dir:
        return run_timed(
            [
                RASA,
                "train",
                "--force",
                "--config",
                "config.yml",
                "--domain",
                "domain.yml",
                "--data",
                "data",
                "--out",
                model_dir,
                "--fixed-model-name",
                "leadqual",
            ],
            results_dir / "project_train.log",
            env,
        )


def run_timed(command: list[str], log_path: Path, env: dict[str, str], cwd: str | None = None) -> float:
    try:
        return run_logged(command, log_path, env, cwd=cwd).seconds
    except StepFailed as failure:
        raise SystemExit(f"error: {failure}") from None


def format_table(rows: list[dict[str, object]], training: dict[str, float] | None = None) -> str:
    """A Markdown table, one row a candidate; then the training-time comparison and the targets."""
    lines = [
        "| candidate | intent macro-F1 (CV) | off-topic -> sales | held-out in-scope macro-F1 "
        "| entity F1 | one training | p50 / p95 parse |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        entities = ", ".join(f"{f1:.3f} ({name})" for name, f1 in row["entity_macro_f1"].items()) or "n/a"
        off_topic = off_topic_rate(row["off_topic_to_sales"], row["off_topic_n"])
        lines.append(
            f"| {row['candidate']} | {row['intent_macro_f1']:.3f} "
            f"| {off_topic:.1%} ({row['off_topic_to_sales']}/{row['off_topic_n']}) "
            f"| {row['heldout_macro_f1']:.3f} | {entities} | {row['train_seconds']:.0f} s "
            f"| {row['p50_ms']:.0f} / {row['p95_ms']:.0f} ms |"
        )
    if training:
        ratio = training["project_seconds"] / training["starter_seconds"]
        lines += [
            "",
            f"Full `rasa train` of this project (config.yml, NLU + core): {training['project_seconds']:.0f} s; "
            f"Rasa's starter bot (`rasa init`): {training['starter_seconds']:.0f} s; "
            f"ratio {ratio:.1f}x (target <= {TARGET_TRAINING_RATIO:.0f}x: {'met' if ratio <= TARGET_TRAINING_RATIO else 'NOT met'})",
        ]
    for row in rows:
        off_topic = off_topic_rate(row["off_topic_to_sales"], row["off_topic_n"])
        met = off_topic <= TARGET_OFF_TOPIC and row["heldout_macro_f1"] >= TARGET_F1
        lines.append(
            f"{row['candidate']}: off-topic <= {TARGET_OFF_TOPIC:.0%} and held-out F1 >= {TARGET_F1}: "
            + ("met" if met else "NOT met")
        )
    return "\n".join(lines)


def off_topic_rate(to_sales: int, n: int) -> float:
    return to_sales / n if n else 0.0


if __name__ == "__main__":
    sys.exit(main())
