"""Cross-validated ROC AUC of the predictive model next to a plain logistic-regression baseline.

    .venv/bin/python bench/predictive_cv.py [--data CSV] [--target COLUMN] [--exclude COL ...]

Defaults: the X Education export in ../shared/data with the columns its README marks as leaky
excluded. Both rows use the same stratified outer folds and the same feature planning, done on
each training part only. "model" is the whole `scoring train` procedure run inside every outer
fold (its own inner cross-validation picks gradient boosting or logistic regression), so the
figure is nested: no test fold influences any choice. "baseline" is the logistic regression alone.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from scoring.predictive import read_csv, train
from scoring.predictive.model import cross_validated_probabilities, stratified_folds
from scoring.predictive.table import read_target

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/x_education/Leads.csv"
X_EDUCATION_LEAKY_COLUMNS = [
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Asymmetrique Activity Index",
    "Asymmetrique Profile Index",
    "Asymmetrique Activity Score",
    "Asymmetrique Profile Score",
    "Last Activity",
    "Last Notable Activity",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--target", default="Converted")
    # extend: repeated flags add up; None until given, as extend would add to a default list
    parser.add_argument(
        "--exclude", nargs="*", action="extend", default=None, help="default: X Education's leaky columns"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1, help="seed of the outer fold split")
    args = parser.parse_args()
    if args.exclude is None:
        args.exclude = X_EDUCATION_LEAKY_COLUMNS

    table = read_csv(args.data)
    y, labelled = read_target(table, args.target)
    table = table.take(np.flatnonzero(labelled))
    folds = stratified_folds(y, args.folds, seed=args.seed)
    print(f"{args.data}: {len(y)} rows, {int(y.sum())} positive; {len(folds)} stratified folds")

    model_aucs, chosen, train_seconds = [], [], []
    for train_rows, test_rows in folds:
        started = time.perf_counter()
        model = train(table.take(train_rows), args.target, args.exclude, folds=args.folds)
        train_seconds.append(time.perf_counter() - started)
        scores = model.predict_proba(table.take(test_rows).records())
        model_aucs.append(roc_auc_score(y[test_rows], scores))
        chosen.append(model.metadata["model"])

    baseline = cross_validated_probabilities("logistic_regression", table, y, args.target, args.exclude, folds)
    baseline_aucs = [roc_auc_score(y[test], baseline[test]) for _, test in folds]

    print(
        f"model     ROC AUC {np.mean(model_aucs):.4f} ± {np.std(model_aucs):.4f}  "
        f"(picked per fold: {', '.join(chosen)})"
    )
    print(
        f"baseline  ROC AUC {np.mean(baseline_aucs):.4f} ± {np.std(baseline_aucs):.4f}  "
        "(logistic regression, one-hot categoricals, standardised numerics)"
    )
    print(
        "per fold  model "
        + " ".join(f"{a:.4f}" for a in model_aucs)
        + " | baseline "
        + " ".join(f"{a:.4f}" for a in baseline_aucs)
    )
    print(f"train time per fold (inner CV + final fit): {np.mean(train_seconds):.1f} s")


if __name__ == "__main__":
    main()
