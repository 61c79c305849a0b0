"""Training, cross-validating, saving and loading the lead-conversion model.

Two candidate models learn from the features of `features.plan_features`:
- gradient boosting (scikit-learn's HistGradientBoostingClassifier, native categorical and
  missing-value support), with sigmoid calibration fitted on cross-validated predictions;
- logistic regression on one-hot categoricals and standardised numerics (median-imputed, with
  missing-value indicators). It is also the baseline the benchmark compares against.

`train` cross-validates both (boosting only on larger exports) on the same stratified folds
(features planned on each training part only, so no fold sees its test rows), keeps the one
with the higher mean ROC AUC and fits it on all rows. The artefact is a zip file:
`metadata.json` (format version, features, dropped columns, metrics, library versions) and
`pipeline.skops` (the fitted scikit-learn pipeline in skops format, loaded without pickle and
only with the object types listed below).
"""

from __future__ import annotations

import json
import platform
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import sklearn
import skops
import skops.io
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .features import Feature, encode, parse_date, plan_features
from .leakage import DEFAULT_LEAK_AUC, MIN_OPEN_LEADS, fill_rates, find_leaks, single_column_aucs, too_good
from .table import DataError, Table, is_missing, read_target

FORMAT = "leadqual-predictive-model"
FORMAT_VERSION = 1
# Object types inside our pipelines that skops does not trust by default; loading refuses others.
TRUSTED_TYPES = [
    "numpy.dtype",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]
RANDOM_SEED = 0
# Below this, boosted trees barely split and the calibration fitted on their cross-validated
# scores can even invert them; logistic regression is the sound choice for small exports.
MIN_ROWS_FOR_GRADIENT_BOOSTING = 500


class Classifier(Protocol):
    """What is used of a scikit-learn classifier (a Pipeline or a CalibratedClassifierCV)."""

    def fit(self, matrix: np.ndarray, y: np.ndarray) -> Any: ...

    def predict_proba(self, matrix: np.ndarray) -> np.ndarray: ...


class ModelFileError(Exception):
    """A model file cannot be used; the message is meant for the user as it is."""


def gradient_boosting(features: list[Feature], y: np.ndarray) -> CalibratedClassifierCV:
    # Fixed, conservative settings (slow learning rate, small trees, early stopping on an
    # inner validation split): chosen once, not tuned per data set.
    boosting = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=300,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        early_stopping=True,
        n_iter_no_change=20,
        categorical_features=np.array([f.kind == "categorical" for f in features]),
        random_state=RANDOM_SEED,
    )
    # ensemble=False: one booster fitted on all rows, its scores mapped to probabilities by a
    # sigmoid fitted on cross-validated scores (keeps the booster's ranking).
    return CalibratedClassifierCV(boosting, method="sigmoid", cv=_fold_count(y, 5), ensemble=False)


def logistic_regression(features: list[Feature], y: np.ndarray) -> Pipeline:
    numeric = [i for i, f in enumerate(features) if f.kind == "numeric"]
    categorical = [i for i, f in enumerate(features) if f.kind == "categorical"]
    columns = ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()),
                numeric,
            ),
            (
                "categorical",
                # a missing category (NaN) becomes a category of its own (-1)
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value=-1),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ]
    )
    return make_pipeline(columns, LogisticRegression(max_iter=2000))


ModelBuilder = Callable[[list[Feature], np.ndarray], Classifier]
MODEL_KINDS: dict[str, ModelBuilder] = {
    "gradient_boosting": gradient_boosting,
    "logistic_regression": logistic_regression,
}


def _fold_count(y: np.ndarray, wanted: int) -> int:
    """At most `wanted` folds, and no more than the rarer class has rows."""
    return max(2, min(wanted, int(np.bincount(y, minlength=2).min())))


@dataclass
class LeadModel:
    """A fitted model with what is needed to use and explain it."""

    pipeline: Classifier
    features: list[Feature]
    metadata: dict = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """The CSV columns the model reads (a record's other keys are ignored)."""
        return list(dict.fromkeys(f.source for f in self.features))

    def predict_proba(self, records: Sequence[Mapping[str, object]]) -> list[float]:
        """Conversion probability per record (keys: CSV column names; a missing key is a
        missing value)."""
        if not records:
            return []
        matrix = encode(self.features, records)
        return [float(p) for p in self.pipeline.predict_proba(matrix)[:, 1]]

    def save_metadata(self) -> dict:
        """metadata.json as `save` writes it."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            **self.metadata,
            "features": [f.to_dict() for f in self.features],
        }

    def save(self, path: str | Path) -> None:
        metadata = self.save_metadata()
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("metadata.json", json.dumps(metadata, indent=2))
            archive.writestr("pipeline.skops", skops.io.dumps(self.pipeline))


def read_metadata(path: str | Path) -> dict:
    """The metadata of a model file, without loading its pipeline (readable whatever
    scikit-learn is installed)."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        with zipfile.ZipFile(path) as archive:
            metadata = json.loads(archive.read("metadata.json"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{path}: not a model file written by 'scoring train' ({error})") from None
    if not isinstance(metadata, dict):
        raise ModelFileError(f"{path}: not a model file written by 'scoring train'")
    if metadata.get("format") != FORMAT or metadata.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format {metadata.get('format')!r} version "
            f"{metadata.get('format_version')!r}, this program reads {FORMAT!r} version "
            f"{FORMAT_VERSION}; train the model again"
        )
    return metadata


def load_model(path: str | Path) -> LeadModel:
    """Load a model file; refuses files of another format version or scikit-learn version."""
    path = Path(path)
    metadata = read_metadata(path)
    try:
        with zipfile.ZipFile(path) as archive:
            pipeline_bytes = archive.read("pipeline.skops")
    except KeyError as error:
        raise ModelFileError(f"{path}: not a model file written by 'scoring train' ({error})") from None
    trained_with = metadata.get("requires", {}).get("scikit-learn")
    if trained_with != sklearn.__version__:
        raise ModelFileError(
            f"{path}: trained with scikit-learn {trained_with}, installed is "
            f"{sklearn.__version__}; train the model again or install scikit-learn=={trained_with}"
        )
    unexpected = set(skops.io.get_untrusted_types(data=pipeline_bytes)) - set(TRUSTED_TYPES)
    if unexpected:
        raise ModelFileError(f"{path}: refusing to load unexpected types {sorted(unexpected)}")
    try:
        features = [Feature.from_dict(item) for item in metadata.pop("features")]
    except (KeyError, TypeError) as error:
        raise ModelFileError(f"{path}: damaged feature list in the model file ({error})") from None
    pipeline = skops.io.loads(pipeline_bytes, trusted=TRUSTED_TYPES)
    return LeadModel(pipeline, features, metadata)


def fit_model(
    kind: str, table: Table, y: np.ndarray, target: str, exclude: Iterable[str]
) -> tuple[Classifier, list[Feature], dict[str, str]]:
    """Plan the features on `table` and fit a model of `kind`: (pipeline, features, dropped)."""
    features, dropped = plan_features(table, target, exclude)
    if not features:
        raise DataError(f"{table.source}: no usable feature columns (dropped: {dropped})")
    pipeline = MODEL_KINDS[kind](features, y)
    pipeline.fit(encode(features, table.records()), y)
    return pipeline, features, dropped


def cross_validated_probabilities(
    kind: str,
    table: Table,
    y: np.ndarray,
    target: str,
    exclude: Iterable[str],
    folds: list[tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Out-of-fold probabilities: each fold's rows scored by a model that never saw them."""
    exclude = list(exclude)
    probabilities = np.zeros(len(y))
    for train_rows, test_rows in folds:
        pipeline, features, _ = fit_model(kind, table.take(train_rows), y[train_rows], target, exclude)
        test_records = table.take(test_rows).records()
        probabilities[test_rows] = pipeline.predict_proba(encode(features, test_records))[:, 1]
    return probabilities


def stratified_folds(y: np.ndarray, count: int, seed: int = RANDOM_SEED) -> list[tuple[np.ndarray, np.ndarray]]:
    splitter = StratifiedKFold(n_splits=_fold_count(y, count), shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y))


def metrics(y: np.ndarray, probabilities: np.ndarray) -> dict:
    return {
        "auc": round(float(roc_auc_score(y, probabilities)), 4),
        "brier": round(float(brier_score_loss(y, probabilities)), 4),
        "log_loss": round(float(log_loss(y, probabilities, labels=[0, 1])), 4),
        "base_rate": round(float(y.mean()), 4),
        "n": int(len(y)),
        "positives": int(y.sum()),
    }


def cross_validated_metrics(
    y: np.ndarray, probabilities: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]
) -> dict:
    """Metrics of out-of-fold predictions, with the mean and spread of per-fold AUC."""
    fold_aucs = [roc_auc_score(y[test], probabilities[test]) for _, test in folds]
    return {
        **metrics(y, probabilities),
        "auc": round(float(np.mean(fold_aucs)), 4),
        "auc_sd": round(float(np.std(fold_aucs)), 4),
        "fold_aucs": [round(float(auc), 4) for auc in fold_aucs],
        "folds": len(folds),
    }


def leakage_report(
    table: Table,
    labelled: np.ndarray,
    y: np.ndarray,
    target: str,
    exclude: list[str],
    folds: list[tuple[np.ndarray, np.ndarray]],
    leak_auc: float,
) -> dict:
    """The leakage checks (see `leakage`) on the columns training would use. `table` holds all
    rows, open leads included; `y` and `folds` are of its labelled rows."""
    closed = table.take(np.flatnonzero(labelled))
    features, _ = plan_features(closed, target, exclude)
    aucs = single_column_aucs(closed, y, features, folds)
    open_leads = int((~labelled).sum())
    findings = find_leaks(aucs, fill_rates(table, labelled, list(aucs)), open_leads, leak_auc)
    return {
        "leak_auc": leak_auc,
        "open_leads": open_leads,
        "after_contact_check": open_leads >= MIN_OPEN_LEADS,
        "findings": [finding.to_dict() for finding in findings],
        "single_column_auc": dict(sorted(aucs.items(), key=lambda item: -item[1])),
    }


def data_period(table: Table, features: list[Feature]) -> dict[str, dict[str, str]]:
    """First and last date of each date column the model reads."""
    period = {}
    for feature in features:
        if feature.date_part != "days":
            continue
        moments = [
            parse_date(text.strip(), feature.date_format)
            for text in table.cells[feature.source]
            if not is_missing(text)
        ]
        period[feature.source] = {"first": min(moments).date().isoformat(), "last": max(moments).date().isoformat()}
    return period


def train(
    table: Table,
    target: str,
    exclude: Iterable[str] = (),
    folds: int = 5,
    kinds: Iterable[str] | None = None,
    guard: bool = False,
    leak_auc: float = DEFAULT_LEAK_AUC,
) -> LeadModel:
    """Cross-validate each model kind, keep the best by mean ROC AUC (the first listed on a
    tie), fit it on all rows. By default gradient boosting is tried from
    MIN_ROWS_FOR_GRADIENT_BOOSTING labelled rows on. Columns that look leaky are reported in
    the metadata, and with `guard` left out."""
    exclude = list(dict.fromkeys(column for column in exclude if column in table.cells and column != target))
    y, labelled = read_target(table, target)
    if kinds is None:
        kinds = ["logistic_regression"]
        if len(y) >= MIN_ROWS_FOR_GRADIENT_BOOSTING:
            kinds.append("gradient_boosting")
    split = stratified_folds(y, folds)
    leakage = {"guard": guard, **leakage_report(table, labelled, y, target, exclude, split, leak_auc)}
    reasons: dict[str, list[str]] = {}
    for finding in leakage["findings"]:
        finding["action"] = "dropped" if guard else "kept"
        reasons.setdefault(finding["column"], []).append(f"{finding['reason']} ({finding['detail']})")
    guarded = {column: "leak guard: " + "; ".join(texts) for column, texts in reasons.items()} if guard else {}
    source = table.source
    table = table.take(np.flatnonzero(labelled))
    model_exclude = exclude + list(guarded)
    candidates = {
        kind: cross_validated_metrics(
            y, cross_validated_probabilities(kind, table, y, target, model_exclude, split), split
        )
        for kind in kinds
    }
    chosen = max(candidates, key=lambda kind: candidates[kind]["auc"])
    leakage["too_good"] = too_good(candidates[chosen]["auc"], leakage["single_column_auc"])
    pipeline, features, dropped = fit_model(chosen, table, y, target, model_exclude)
    metadata = {
        "model": chosen,
        "target": target,
        "excluded": exclude,
        "dropped": {**guarded, **dropped},
        "unlabelled_rows_skipped": int((~labelled).sum()),
        "data": {
            "source": Path(source).name,
            "rows": int(len(y)),
            "positives": int(y.sum()),
            "target_rate": round(float(y.mean()), 4),
            "period": data_period(table, features),
        },
        "leakage": leakage,
        "cross_validation": candidates,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "requires": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "skops": skops.__version__,
        },
    }
    return LeadModel(pipeline, features, metadata)


def evaluate(model: LeadModel, table: Table, target: str) -> dict:
    """Metrics of `model` on the labelled rows of `table`."""
    y, labelled = read_target(table, target)
    records = table.take(np.flatnonzero(labelled)).records()
    return metrics(y, np.array(model.predict_proba(records)))
