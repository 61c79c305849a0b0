"""Choose the sentence embedding's `scale` (nlu_components/sentence_featurizer.py) by 5-fold
cross-validation on data/nlu alone, and print the figures.

    PYTHONPATH=$PWD/src:$PWD .venv/bin/python bench/pipelines/embedding_scale.py [--scales 1,3,5,8]

Each fold rebuilds what config.yml's pipeline does, in scikit-learn: word counts beside the
embedding times `scale`, Rasa's logistic regression settings (class_weight balanced, lbfgs, C=1),
then the off-topic gate with config.yml's threshold against the fold's in-scope training
examples. It prints intent macro-F1 with and without the gate and the share of out_of_scope
examples that land in a sales intent. bench/heldout/ is never read.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import scipy.sparse as sparse

SALES_INTENTS = {"inform", "ask_pricing", "request_demo", "human_handoff", "affirm"}
GATE_THRESHOLD = 0.477  # config.yml's OffTopicGate threshold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nlu", default="data/nlu")
    parser.add_argument("--scales", default="1,3,4,5,8")
    args = parser.parse_args()

    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    from sentence_encoder import load_encoder

    examples = [(example.get("text"), example.get("intent")) for example in load_data(args.nlu).intent_examples]
    texts, intents = [text for text, _ in examples], np.array([intent for _, intent in examples])
    embeddings = load_encoder().encode(texts)
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    off_topic = intents == "out_of_scope"
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(texts, intents))
    print(f"{len(texts)} examples, {int(off_topic.sum())} out_of_scope; 5 folds")
    print("| scale | macro-F1, no gate | macro-F1, gate | out_of_scope -> sales, gate |")
    print("|---|---|---|---|")
    for scale in (float(value) for value in args.scales.split(",")):
        predicted = np.empty(len(texts), dtype=object)
        similarity = np.zeros(len(texts))
        for train, test in folds:
            counts = CountVectorizer().fit([texts[i] for i in train])

            def features(rows: np.ndarray, counts: CountVectorizer = counts, scale: float = scale) -> sparse.csr_matrix:
                words = counts.transform([texts[i] for i in rows])
                return sparse.hstack([words, sparse.csr_matrix(scale * embeddings[rows])]).tocsr()

            classifier = LogisticRegression(max_iter=1000, class_weight="balanced", random_state=42)
            classifier.fit(features(train), intents[train])
            predicted[test] = classifier.predict(features(test))
            in_scope_train = unit[train][~off_topic[train]]
            similarity[test] = (unit[test] @ in_scope_train.T).max(axis=1)
        gated = np.where(similarity < GATE_THRESHOLD, "out_of_scope", predicted)
        to_sales = np.isin(gated[off_topic], list(SALES_INTENTS)).mean()
        print(
            f"| {scale:g} | {f1_score(intents, predicted, average='macro'):.3f} "
            f"| {f1_score(intents, gated, average='macro'):.3f} | {to_sales:.1%} |"
        )


if __name__ == "__main__":
    main()
