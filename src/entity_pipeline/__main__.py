"""Command line: python -m entity_pipeline build --patterns FILE --out FOLDER [--force]"""

from __future__ import annotations

import argparse
import sys

from entity_pipeline.builder import save_pipeline
from entity_pipeline.patterns import PatternFileError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m entity_pipeline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build the spaCy pipeline from the patterns file and save it")
    build.add_argument("--patterns", default="config/entity_patterns.yml", help="entity patterns YAML file")
    build.add_argument("--out", default="build/spacy-en-leads", help="folder to save the pipeline to")
    build.add_argument("--force", action="store_true", help="rebuild even if the saved pipeline is up to date")
    args = parser.parse_args(argv)

    try:
        built = save_pipeline(args.patterns, args.out, force=args.force)
    except PatternFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{'built' if built else 'up to date, not rebuilt'}: {args.out} (from {args.patterns})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
