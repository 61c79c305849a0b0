"""python -m nlureport [--folds 5] [--no-conversations] ...: write reports/nlu/latest.html (see make nlu-report)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from appconfig.settings import SettingsError, settings_from
from launcher.environment import stack_environment

from .render import report_dir
from .run import Options
from .steps import StepFailed


def main(argv: list[str] | None = None) -> int:
    defaults = Options()
    parser = argparse.ArgumentParser(
        prog="python -m nlureport",
        description="Check the dialogue's training data and write one HTML report: Rasa's data validation, "
        "NLU cross-validation, the held-out sets and the conversation corpus, compared with the previous report.",
    )
    parser.add_argument(
        "--folds", type=int, default=defaults.folds, help="cross-validation folds (default %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the fold draw (default %(default)s)")
    parser.add_argument("--out", type=Path, help="report folder (default NLU_REPORT_DIR, reports/nlu)")
    parser.add_argument("--nlu", type=Path, default=defaults.nlu, help="NLU training data (default data/nlu)")
    parser.add_argument("--data", type=Path, default=defaults.data, help="data that Rasa validates (default data)")
    parser.add_argument("--domain", type=Path, default=defaults.domain, help="domain (default domain.yml)")
    parser.add_argument("--config", type=Path, default=defaults.config, help="NLU pipeline (default config.yml)")
    parser.add_argument(
        "--model",
        type=Path,
        default=defaults.model,
        help="trained model for the held-out sets (default models/leadqual.tar.gz)",
    )
    parser.add_argument("--heldout", type=Path, default=defaults.heldout, help="held-out sets (default bench/heldout)")
    parser.add_argument(
        "--conversations", default=defaults.conversations, help="conversation tests (default %(default)s)"
    )
    parser.add_argument(
        "--no-conversations", action="store_true", help="skip the conversation corpus (it starts the servers)"
    )
    parser.add_argument("--no-validation", action="store_true", help="skip rasa data validate")
    parser.add_argument("--pytest-args", default="", help="extra pytest options for the conversations, one string")
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error("--folds: at least 2")

    try:
        env = stack_environment()
    except SettingsError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    options = Options(
        out=(args.out or report_dir(settings_from(env).nlu_report_dir)).resolve(),
        folds=args.folds,
        seed=args.seed,
        nlu=args.nlu.resolve(),
        data=args.data.resolve(),
        domain=args.domain.resolve(),
        config=args.config.resolve(),
        model=args.model.resolve(),
        heldout=args.heldout.resolve(),
        conversations=args.conversations,
        validate=not args.no_validation,
        run_conversations=not args.no_conversations,
        pytest_args=shlex.split(args.pytest_args),
    )
    from .run import make_report

    try:
        page = make_report(options, env, say=lambda line: print(line, flush=True))
    except StepFailed as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 1
    print(f"report: {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
