"""Finding columns that leak the outcome: a model that learns from them looks excellent in
cross-validation and is useless on a new visitor, who has none of them yet.

Two checks, each naming the column, the reason and the figure:

- "predicts alone": the column on its own ranks the leads almost perfectly (cross-validated
  ROC AUC at or above a threshold, 0.95 by default). Each column is reduced to bins (its
  categories, or up to 20 quantile bins of a number, missing being a bin of its own, so a
  column whose *missingness* gives the outcome away is caught too) and every bin is scored by
  its conversion rate on the training part of each fold, never on the rows it scores. Genuine
  behaviour signals are far from perfect on their own (X Education's best pre-contact column
  reaches 0.71); a column sales fills in while closing the lead ("won", "lost: no budget") is
  the usual culprit.
- "filled after contact": needs open leads in the export (rows whose target is empty, the
  outcome not known yet). A field the visitor or the website fills is about as often present for
  an open lead as for a closed one; a field sales fills in after contacting the lead is mostly
  empty while the lead is open. Precisely: filled in at least 20% of the closed leads and in at
  most a quarter of that rate among the open ones, with at least 20 open leads to judge by.

Leaks spread over several columns pass both checks (on X Education no column reaches 0.95 on
its own, yet together they lift the model to 0.98), so a whole model at or above TOO_GOOD_AUC
is reported as too good to be true, naming its strongest columns to look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

from .features import Feature, encode
from .table import Table, is_missing

DEFAULT_LEAK_AUC = 0.95
# Published lead-scoring models that use only what is known before contact reach about 0.75 to
# 0.90 (X Education: 0.86 to 0.88); 0.92 and more from such data usually means a leak.
TOO_GOOD_AUC = 0.92
QUANTILE_BINS = 20
PRIOR_WEIGHT = 10  # a bin's rate is pulled towards the fold's base rate as if it had 10 more rows
MIN_OPEN_LEADS = 20
MIN_CLOSED_FILL = 0.2
MAX_OPEN_TO_CLOSED_FILL = 0.25


@dataclass(frozen=True)
class Finding:
    column: str
    reason: str  # "predicts alone" | "filled after contact"
    figure: float
    detail: str  # the figure in words

    def to_dict(self) -> dict:
        return asdict(self)


def single_column_aucs(
    table: Table, y: np.ndarray, features: Sequence[Feature], folds: list[tuple[np.ndarray, np.ndarray]]
) -> dict[str, float]:
    """Cross-validated ROC AUC of each source column on its own (a date column: its best part)."""
    aucs: dict[str, float] = {}
    for feature in features:
        values = encode([feature], ({feature.source: text} for text in table.cells[feature.source]))[:, 0]
        auc = _binned_auc(_bins(values, feature.kind), y, folds)
        aucs[feature.source] = max(aucs.get(feature.source, 0.0), auc)
    return {column: round(auc, 4) for column, auc in aucs.items()}


def _bins(values: np.ndarray, kind: str) -> np.ndarray:
    missing = np.isnan(values)
    bins = np.full(len(values), -1, dtype=int)
    if kind == "categorical":
        bins[~missing] = values[~missing].astype(int)
    elif (~missing).any():
        edges = np.unique(np.quantile(values[~missing], np.linspace(0, 1, QUANTILE_BINS + 1)[1:-1]))
        bins[~missing] = np.searchsorted(edges, values[~missing], side="right")
    return bins


def _binned_auc(bins: np.ndarray, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]) -> float:
    fold_aucs = []
    for train_rows, test_rows in folds:
        prior = y[train_rows].mean()
        keys, inverse = np.unique(bins[train_rows], return_inverse=True)
        positives = np.bincount(inverse, weights=y[train_rows], minlength=len(keys))
        counts = np.bincount(inverse, minlength=len(keys))
        rates = dict(zip(keys.tolist(), (positives + PRIOR_WEIGHT * prior) / (counts + PRIOR_WEIGHT)))
        scores = np.array([rates.get(b, prior) for b in bins[test_rows].tolist()])
        fold_aucs.append(roc_auc_score(y[test_rows], scores))
    return float(np.mean(fold_aucs))


def fill_rates(table: Table, labelled: np.ndarray, columns: Sequence[str]) -> dict[str, tuple[float, float]]:
    """(closed, open) fill rate per column; open is NaN when the export has no open leads."""
    rates = {}
    for column in columns:
        filled = np.array([not is_missing(text) for text in table.cells[column]])
        open_rate = float(filled[~labelled].mean()) if (~labelled).any() else float("nan")
        rates[column] = (float(filled[labelled].mean()), open_rate)
    return rates


def find_leaks(
    aucs: dict[str, float], rates: dict[str, tuple[float, float]], open_leads: int, leak_auc: float
) -> list[Finding]:
    findings = [
        Finding(
            column,
            "predicts alone",
            auc,
            f"on its own it ranks the leads with cross-validated ROC AUC {auc:.3f} (threshold {leak_auc:.2f})",
        )
        for column, auc in aucs.items()
        if auc >= leak_auc
    ]
    if open_leads >= MIN_OPEN_LEADS:
        for column, (closed, open_) in rates.items():
            if closed >= MIN_CLOSED_FILL and open_ <= MAX_OPEN_TO_CLOSED_FILL * closed:
                findings.append(
                    Finding(
                        column,
                        "filled after contact",
                        round(closed - open_, 4),
                        f"filled for {closed:.0%} of closed leads but {open_:.0%} of the {open_leads} open ones",
                    )
                )
    return sorted(findings, key=lambda finding: (finding.column, finding.reason))


def too_good(model_auc: float, aucs: dict[str, float]) -> str | None:
    """A warning when the model as a whole ranks leads better than pre-contact data allows."""
    if model_auc < TOO_GOOD_AUC:
        return None
    strongest = ", ".join(f"{column} {auc:.3f}" for column, auc in sorted(aucs.items(), key=lambda i: -i[1])[:3])
    return (
        f"cross-validated ROC AUC {model_auc:.3f} reaches {TOO_GOOD_AUC:.2f}: scores made before contact "
        f"rarely come near that, so columns filled in after contact probably leak the outcome; "
        f"exclude them (strongest on their own: {strongest})"
    )
