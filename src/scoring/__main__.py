"""Command line for the predictive model.

    python -m scoring train --data leads.csv --target Converted [--exclude COL ...] [--guard] --out model.zip
    python -m scoring evaluate --model model.zip --data leads.csv --target Converted
    python -m scoring card model.zip [--json]

train and evaluate print one JSON object on stdout; train also writes the model card next to
the model. Unusable input ends with exit code 2 and a one-line `error: ...` on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scoring.predictive import DataError, ModelFileError, evaluate, load_model, read_csv, train
from scoring.predictive.card import build_card, card_markdown, read_card, write_card
from scoring.predictive.leakage import DEFAULT_LEAK_AUC


def run_train(args: argparse.Namespace) -> int:
    if not Path(args.out).resolve().parent.is_dir():
        raise DataError(f"{args.out}: its folder does not exist")
    table = read_csv(args.data)
    for column in args.exclude:
        if column not in table.cells:
            print(f"warning: --exclude {column!r}: no such column in {args.data}", file=sys.stderr)
    model = train(table, args.target, exclude=args.exclude, folds=args.folds, guard=args.guard, leak_auc=args.leak_auc)
    leakage = model.metadata["leakage"]
    for finding in leakage["findings"]:
        what = "dropped (--guard)" if args.guard else "KEPT in the model: add --guard or --exclude it"
        print(
            f"warning: leak: {finding['column']!r}: {finding['reason']}: {finding['detail']}; {what}", file=sys.stderr
        )
    if leakage["too_good"]:
        print(f"warning: leak: {leakage['too_good']}", file=sys.stderr)
    try:
        model.save(args.out)
        card_files = write_card(build_card(model.save_metadata(), Path(args.out).name), args.out)
    except OSError as error:
        raise DataError(f"{args.out}: cannot write the model ({error.strerror})") from error
    summary = {
        "model_file": args.out,
        "model": model.metadata["model"],
        **model.metadata["cross_validation"][model.metadata["model"]],
        "features": [f.name for f in model.features],
        "excluded": model.metadata["excluded"],
        "dropped": model.metadata["dropped"],
        "leakage": leakage["findings"],
        "too_good": leakage["too_good"],
        "cross_validation": model.metadata["cross_validation"],
        "card": [str(path) for path in card_files],
    }
    print(json.dumps(summary, indent=2))
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    print(json.dumps(evaluate(model, read_csv(args.data), args.target)))
    return 0


def run_card(args: argparse.Namespace) -> int:
    card = read_card(args.model)
    print(json.dumps(card, indent=2) if args.json else card_markdown(card), end="\n" if args.json else "")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scoring",
        description="Train and evaluate the predictive lead-scoring model.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    train_command = commands.add_parser(
        "train", help="learn conversion probability from a CRM export (CSV with a 0/1 column)"
    )
    train_command.add_argument("--data", required=True, help="CSV file, one lead per row")
    train_command.add_argument("--target", required=True, help="the 0/1 outcome column")
    train_command.add_argument(
        "--exclude",
        nargs="+",
        # extend: repeated flags add up (append-less nargs="+" kept only the last flag's values)
        action="extend",
        default=[],
        metavar="COLUMN",
        help="columns not to learn from (repeatable), e.g. filled in after sales contact (they leak the result)",
    )
    train_command.add_argument("--out", required=True, help="model file to write")
    train_command.add_argument("--folds", type=int, default=5, help="cross-validation folds for the reported metrics")
    train_command.add_argument(
        "--guard",
        action="store_true",
        help="leave out the columns the leakage report names (without it they are only reported)",
    )
    train_command.add_argument(
        "--leak-auc",
        type=float,
        default=DEFAULT_LEAK_AUC,
        metavar="AUC",
        help=f"a column whose own cross-validated ROC AUC reaches this leaks the outcome (default {DEFAULT_LEAK_AUC})",
    )
    train_command.set_defaults(run=run_train)

    evaluate_command = commands.add_parser("evaluate", help="score a labelled CSV with a model")
    evaluate_command.add_argument("--model", required=True, help="model file from 'train'")
    evaluate_command.add_argument("--data", required=True, help="CSV file, one lead per row")
    evaluate_command.add_argument("--target", required=True, help="the 0/1 outcome column")
    evaluate_command.set_defaults(run=run_evaluate)

    card_command = commands.add_parser("card", help="print the model card of a model file")
    card_command.add_argument("model", help="model file from 'train'")
    card_command.add_argument("--json", action="store_true", help="the card as JSON instead of Markdown")
    card_command.set_defaults(run=run_card)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "folds", 2) < 2:
        print("error: --folds must be at least 2", file=sys.stderr)
        return 2
    if not 0.5 < getattr(args, "leak_auc", 1) <= 1:
        print("error: --leak-auc must be above 0.5 and at most 1", file=sys.stderr)
        return 2
    try:
        return args.run(args)
    except (DataError, ModelFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
