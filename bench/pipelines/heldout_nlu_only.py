"""bench/nlu_heldout.py for an NLU-only model (`rasa train nlu`), which carries no domain.

    /work/venv-enc/bin/python bench/pipelines/heldout_nlu_only.py --model var/bench/current/current.tar.gz --json

nlu_heldout scores the intents the model's domain lists; an NLU-only model's domain is empty, so
this takes them from domain.yml instead. Everything else is nlu_heldout's own code and output.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import nlu_heldout

_load_model_parser = nlu_heldout.load_parser


def load_parser(model: str):
    from rasa.shared.core.domain import Domain

    _, parse = _load_model_parser(model)
    return set(Domain.load("domain.yml").intents), parse


nlu_heldout.load_parser = load_parser

if __name__ == "__main__":
    raise SystemExit(nlu_heldout.main())
