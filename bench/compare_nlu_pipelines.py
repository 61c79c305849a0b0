"""Compare candidate NLU pipelines by k-fold cross-validation and print a table.

For each bench/pipelines/*.yml this runs

    rasa test nlu --nlu data/nlu --config <candidate> --cross-validation --folds 5 --out <results>/<name>

then times one `rasa train nlu` of the candidate on all the data, and prints intent macro-F1,
entity macro-F1 (per entity extractor), intent accuracy and both wall times.

Rasa leaves SpacyEntityExtractor out of its evaluation (it counts as "pretrained"), so for
candidates that use it this script scores the project's rule pipeline itself: token by token
against the annotations in all the data, the way Rasa scores DIET (rules learn nothing, so every
fold would give the same figure).

    .venv/bin/python bench/compare_nlu_pipelines.py                      # all candidates, 5 folds
    .venv/bin/python bench/compare_nlu_pipelines.py --only spacy_rules_logreg --folds 3

Run it from the project root (SpacyNLP loads build/spacy-en-leads relative to it). It takes a
while: DIET candidates train five times each. Reports stay under --results for a closer look.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from entity_pipeline import LABELS, save_pipeline

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).with_name("rasa"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipelines", default="bench/pipelines", help="folder of candidate configs")
    parser.add_argument("--nlu", default="data/nlu", help="NLU training data")
    parser.add_argument("--patterns", default="config/entity_patterns.yml", help="entity patterns file")
    parser.add_argument("--spacy-model", default="build/spacy-en-leads", help="where the spaCy pipeline is built")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--only", metavar="NAME", help="run only this candidate (file name without .yml)")
    parser.add_argument("--results", default="results/nlu-pipelines", help="folder for reports and logs")
    args = parser.parse_args()

    os.chdir(ROOT)
    candidates = sorted(Path(args.pipelines).glob("*.yml"))
    if args.only:
        candidates = [c for c in candidates if c.stem == args.only]
    if not candidates:
        print(f"error: no candidate configs found in {args.pipelines}" + (f" named {args.only}" if args.only else ""))
        return 2

    save_pipeline(args.patterns, args.spacy_model)
    results_dir = Path(args.results)
    results_dir.mkdir(parents=True, exist_ok=True)
    domain = results_dir / "domain_for_nlu_test.yml"
    write_minimal_domain(Path(args.nlu), domain)
    # Rasa's training cache would make the second training of a candidate look instant.
    env = {**os.environ, "RASA_MAX_CACHE_SIZE": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}

    rows = []
    for config in candidates:
        out = results_dir / config.stem
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        print(f"== {config.stem}: {args.folds}-fold cross-validation ...", flush=True)
        cv_seconds = run_timed(
            [
                RASA,
                "test",
                "nlu",
                "--nlu",
                args.nlu,
                "--config",
                str(config),
                "--cross-validation",
                "--folds",
                str(args.folds),
                "--domain",
                str(domain),
                "--out",
                str(out),
                "--no-plot",
            ],
            out / "cv.log",
            env,
        )
        print(f"== {config.stem}: one training on all data ...", flush=True)
        with tempfile.TemporaryDirectory() as model_dir:
            train_seconds = run_timed(
                [RASA, "train", "nlu", "--nlu", args.nlu, "--config", str(config), "--out", model_dir],
                out / "train.log",
                env,
            )
        row = {"candidate": config.stem, **read_scores(out), "cv_seconds": cv_seconds, "train_seconds": train_seconds}
        if "SpacyEntityExtractor" in config.read_text():
            row["entity_macro_f1"]["SpacyEntityExtractor (rules)"] = rule_entity_macro_f1(args.nlu, args.spacy_model)
        (out / "scores.json").write_text(json.dumps(row, indent=2))
        rows.append(row)
        print(format_table([row]), flush=True)

    (results_dir / "summary.json").write_text(json.dumps(rows, indent=2))
    command = f"bench/compare_nlu_pipelines.py --folds {args.folds}" + (f" --only {args.only}" if args.only else "")
    print(f"\n{command}\n")
    print(format_table(rows))
    return 0


def write_minimal_domain(nlu_dir: Path, domain_path: Path) -> None:
    """`rasa test nlu` reads a domain; give it one that lists only what the NLU data uses."""
    intents = set()
    for path in sorted(nlu_dir.rglob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in item:
                intents.add(item["intent"])
    domain = {"version": "3.1", "intents": sorted(intents), "entities": list(LABELS)}
    domain_path.write_text(yaml.safe_dump(domain, sort_keys=False))


def run_timed(command: list[str], log_path: Path, env: dict[str, str]) -> float:
    started = time.monotonic()
    with log_path.open("w") as log:
        completed = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    if completed.returncode != 0:
        raise SystemExit(f"error: {' '.join(command)} failed (exit {completed.returncode}); see {log_path}")
    return time.monotonic() - started


def read_scores(out: Path) -> dict[str, object]:
    """Intent macro-F1 and accuracy from intent_report.json; macro-F1 of each entity extractor."""
    intent_report = json.loads((out / "intent_report.json").read_text())
    scores: dict[str, object] = {
        "intent_macro_f1": intent_report["macro avg"]["f1-score"],
        "intent_accuracy": intent_report["accuracy"],
        "entity_macro_f1": {},
    }
    for report_path in sorted(out.glob("*Extractor_report.json")) + sorted(out.glob("DIETClassifier_report.json")):
        report = json.loads(report_path.read_text())
        scores["entity_macro_f1"][report_path.stem.removesuffix("_report")] = report["macro avg"]["f1-score"]
    return scores


def rule_entity_macro_f1(nlu_path: str, spacy_model: str) -> float:
    """Token-level macro-F1 of the rule pipeline's entities against the annotated data."""
    import spacy
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.metrics import f1_score

    nlp = spacy.load(spacy_model)
    gold_tags, predicted_tags = [], []
    for message in load_data(nlu_path).intent_examples:
        doc = nlp(message.get("text"))
        gold = [(e["start"], e["end"], e["entity"]) for e in message.get("entities", [])]
        predicted = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        for token in doc:
            gold_tags.append(_tag_of(token, gold))
            predicted_tags.append(_tag_of(token, predicted))
    labels = sorted(set(gold_tags) - {"no_entity"})
    return float(f1_score(gold_tags, predicted_tags, labels=labels, average="macro", zero_division=0))


def _tag_of(token, spans: list[tuple[int, int, str]]) -> str:
    for start, end, label in spans:
        if start <= token.idx < end:
            return label
    return "no_entity"


def format_table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| candidate | intent macro-F1 | intent accuracy | entity macro-F1 | CV wall time | one training |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        entities = ", ".join(f"{f1:.3f} ({name})" for name, f1 in row["entity_macro_f1"].items()) or "n/a"
        lines.append(
            f"| {row['candidate']} | {row['intent_macro_f1']:.3f} | {row['intent_accuracy']:.3f} | {entities} "
            f"| {row['cv_seconds']:.0f} s | {row['train_seconds']:.0f} s |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
