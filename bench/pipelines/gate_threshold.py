"""Choose the off-topic gate's threshold from the training data alone and print the figures.

    /work/venv-enc/bin/python bench/pipelines/gate_threshold.py [--nlu data/nlu] [--top-k 1]

Rule: every in-scope training example is scored against all the other in-scope examples (leave one
out: how a fresh in-scope message scores); every `out_of_scope` training example is scored against
all in-scope examples; the threshold is the cut that best separates the two groups (balanced
accuracy, sentence_encoder.choose_threshold). bench/heldout/ is never read: choosing on it would
tune to the test set.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

OUT_OF_SCOPE = "out_of_scope"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nlu", default="data/nlu")
    parser.add_argument("--top-k", type=int, default=1)
    args = parser.parse_args()

    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    from rasa.shared.nlu.training_data.loading import load_data  # parses the entity markup

    from sentence_encoder import choose_threshold, leave_one_out_similarity, load_encoder, similarity_to_reference

    examples = [(example.get("text"), example.get("intent")) for example in load_data(args.nlu).intent_examples]
    in_scope = [text for text, intent in examples if intent != OUT_OF_SCOPE]
    off_topic = [text for text, intent in examples if intent == OUT_OF_SCOPE]
    encoder = load_encoder()
    reference = encoder.encode(in_scope)
    in_scope_scores = leave_one_out_similarity(reference, args.top_k)
    off_topic_scores, _ = similarity_to_reference(encoder.encode(off_topic), reference, args.top_k)
    threshold = choose_threshold(in_scope_scores, off_topic_scores)

    def quantiles(scores: np.ndarray) -> dict[str, float]:
        return {f"p{q}": round(float(np.percentile(scores, q)), 3) for q in (5, 25, 50, 75, 95)}

    print(
        json.dumps(
            {
                "top_k": args.top_k,
                "threshold": round(threshold, 3),
                "in_scope": {
                    "n": len(in_scope),
                    "below": int((in_scope_scores < threshold).sum()),
                    **quantiles(in_scope_scores),
                },
                "out_of_scope": {
                    "n": len(off_topic),
                    "below": int((off_topic_scores < threshold).sum()),
                    **quantiles(off_topic_scores),
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
