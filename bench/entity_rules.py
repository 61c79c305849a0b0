"""Score the project's rule-based entities (the spaCy pipeline built from config/entity_patterns.yml)
against the annotations in the NLU data, token by token, the way Rasa scores DIET.

    PYTHONPATH=$PWD/src:$PWD .venv/bin/python bench/entity_rules.py [--nlu data/nlu] [--spacy-model build/spacy-en-leads]

Rasa's `rasa test nlu` leaves SpacyEntityExtractor out (it counts as "pretrained"), and rules learn
nothing, so cross-validation folds would all give this same figure. Prints one JSON object:
macro-F1 and precision / recall / F1 / support per entity label. Used by
bench/compare_nlu_pipelines.py and `make nlu-report`.
"""

from __future__ import annotations

import argparse
import json


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nlu", default="data/nlu", help="NLU training data with entity annotations")
    parser.add_argument("--spacy-model", default="build/spacy-en-leads", help="the built spaCy pipeline")
    args = parser.parse_args()
    print(json.dumps(rule_entity_scores(args.nlu, args.spacy_model), indent=2))
    return 0


def rule_entity_scores(nlu_path: str, spacy_model: str) -> dict:
    """Token-level figures of the rule pipeline's entities against the annotated data."""
    import spacy
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.metrics import classification_report, f1_score

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
    if not labels:
        return {"macro_f1": None, "per_entity": {}}
    report = classification_report(gold_tags, predicted_tags, labels=labels, output_dict=True, zero_division=0)
    return {
        "macro_f1": round(
            float(f1_score(gold_tags, predicted_tags, labels=labels, average="macro", zero_division=0)), 3
        ),
        "per_entity": {
            label: {
                "precision": round(report[label]["precision"], 3),
                "recall": round(report[label]["recall"], 3),
                "f1": round(report[label]["f1-score"], 3),
                "support": int(report[label]["support"]),
            }
            for label in labels
        },
    }


def rule_entity_macro_f1(nlu_path: str, spacy_model: str) -> float:
    """Token-level macro-F1 of the rule pipeline's entities against the annotated data."""
    return rule_entity_scores(nlu_path, spacy_model)["macro_f1"] or 0.0


def _tag_of(token, spans: list[tuple[int, int, str]]) -> str:
    for start, end, label in spans:
        if start <= token.idx < end:
            return label
    return "no_entity"


if __name__ == "__main__":
    raise SystemExit(main())
