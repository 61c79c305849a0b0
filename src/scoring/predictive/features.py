"""Turning CSV columns into model features, and records into a numeric matrix.

`plan_features` looks at the training columns once and decides, per column, whether it is
numeric, categorical, a date (split into numeric parts) or useless (empty, constant, an
identifier). The result is a list of `Feature`s, plain data saved with the model, so a record
keyed by CSV column names is encoded the same way at prediction time by `encode`.

Categorical values become integer codes (NaN when missing), which both the gradient-boosting
model (native categorical support) and the one-hot logistic regression take as input.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone

import numpy as np

from .table import Table, is_missing

MAX_CATEGORIES = 50  # the most frequent values keep their own code, the rest share one
MIN_CATEGORY_COUNT = 3  # rarer values share the "other" code
IDENTIFIER_DISTINCT_RATIO = 0.95  # strings or integers this unique identify rows, not kinds
SLASH_DATE_FORMATS = ("%Y/%m/%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")
TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S")
ISO = "iso"  # date_format for what datetime.fromisoformat reads
EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Feature:
    """One model input. `source` is the CSV column it comes from; date columns give several
    features, told apart by `date_part` ("days" since 1970, "month", "weekday", "hour")."""

    name: str
    source: str
    kind: str  # "numeric" | "categorical"
    date_part: str | None = None
    date_format: str | None = None
    categories: tuple[str, ...] = ()  # categorical: value -> code is its index; others share len()

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Feature:
        return cls(**{**data, "categories": tuple(data.get("categories", ()))})


def plan_features(table: Table, target: str, exclude: Iterable[str] = ()) -> tuple[list[Feature], dict[str, str]]:
    """The features to learn from, and the columns left out with the reason why."""
    excluded = set(exclude) | {target}
    features: list[Feature] = []
    dropped: dict[str, str] = {}
    for column in table.columns:
        if column in excluded:
            continue
        texts = [text.strip() for text in table.cells[column]]
        present = [text for text in texts if not is_missing(text)]
        if not present:
            dropped[column] = "empty"
            continue
        candidates, reason = _column_features(column, present)
        if reason:
            dropped[column] = reason
            continue
        any_missing = len(present) < len(texts)
        for feature in candidates:
            values = [_derived_text(feature, text) for text in present]
            if len(set(values)) <= 1 and not any_missing:
                dropped[feature.name] = "constant"
            elif feature.kind == "categorical":
                features.append(_with_categories(feature, values))
            else:
                features.append(feature)
    return features, dropped


def _column_features(column: str, present: list[str]) -> tuple[list[Feature], str | None]:
    distinct = len(set(present))
    numbers = _parse_numbers(present)
    unique_enough = distinct >= IDENTIFIER_DISTINCT_RATIO * len(present) and distinct > 1
    if numbers is not None:
        if unique_enough and all(number.is_integer() for number in numbers):
            return [], f"identifier-like ({distinct} distinct integers in {len(present)} rows)"
        return [Feature(column, column, "numeric")], None
    date_format = _date_format(present)
    if date_format:
        parsed = [parse_date(text, date_format) for text in present]
        parts = ["days", "month", "weekday"]
        if any(moment.time() != datetime.min.time() for moment in parsed):
            parts.append("hour")
        return [
            Feature(
                f"{column}: {part}",
                column,
                "numeric" if part in ("days", "hour") else "categorical",
                date_part=part,
                date_format=date_format,
            )
            for part in parts
        ], None
    if unique_enough:
        return [], f"identifier-like ({distinct} distinct values in {len(present)} rows)"
    return [Feature(column, column, "categorical")], None


def _with_categories(feature: Feature, values: list[str]) -> Feature:
    counts = Counter(values)
    kept = [value for value, count in counts.most_common(MAX_CATEGORIES) if count >= MIN_CATEGORY_COUNT]
    return Feature(**{**asdict(feature), "categories": tuple(sorted(kept))})


def encode(features: list[Feature], records: Iterable[Mapping[str, object]]) -> np.ndarray:
    """Records keyed by CSV column name -> float matrix (one column per feature, NaN = missing).
    A missing key is a missing value; a value that cannot be read as its type is missing too."""
    codes = [
        {value: code for code, value in enumerate(f.categories)} if f.kind == "categorical" else {} for f in features
    ]
    rows = [[_encode_value(f, record.get(f.source), code) for f, code in zip(features, codes)] for record in records]
    return np.array(rows, dtype=float).reshape(len(rows), len(features))


def _encode_value(feature: Feature, raw: object, codes: dict[str, int]) -> float:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return math.nan
    if feature.date_part:
        moment = _to_datetime(raw, feature.date_format)
        if moment is None:
            return math.nan
        value: object = _date_part(moment, feature.date_part)
    elif feature.kind == "numeric" and isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = raw
    else:
        text = str(raw).strip()
        if is_missing(text):
            return math.nan
        value = text.casefold() if feature.kind == "categorical" else text
    if feature.kind == "categorical":
        return float(codes.get(str(value), len(codes)))
    try:
        number = float(value)  # type: ignore[arg-type]
    except ValueError:
        return math.nan
    return number if math.isfinite(number) else math.nan


def _derived_text(feature: Feature, text: str) -> str:
    """The training value of a feature as text (what categories are counted on)."""
    if feature.date_part:
        return str(_date_part(parse_date(text, feature.date_format), feature.date_part))
    return text.casefold() if feature.kind == "categorical" else text


def _parse_numbers(texts: list[str]) -> list[float] | None:
    numbers = []
    for text in texts:
        try:
            number = float(text)
        except ValueError:
            return None
        if not math.isfinite(number):
            return None
        numbers.append(number)
    return numbers


def _date_format(texts: list[str]) -> str | None:
    """The first date format that reads every value, or None. Month-first is tried before
    day-first, so an ambiguous column (all days <= 12) is read the US way."""
    formats = [ISO] + [base + suffix for base in SLASH_DATE_FORMATS for suffix in TIME_SUFFIXES]
    for date_format in formats:
        try:
            for text in texts:
                parse_date(text, date_format)
        except ValueError:
            continue
        return date_format
    return None


def parse_date(text: str, date_format: str | None) -> datetime:
    if date_format == ISO:
        if not text[:4].isdigit() or len(text) < 10:
            raise ValueError(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    else:
        moment = datetime.strptime(text, date_format or "")
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _to_datetime(raw: object, date_format: str | None) -> datetime | None:
    if isinstance(raw, datetime):
        return parse_date(raw.isoformat(), ISO)
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day)
    text = str(raw).strip()
    if is_missing(text):
        return None
    try:
        return parse_date(text, date_format)
    except ValueError:
        return None


def _date_part(moment: datetime, part: str) -> float | int:
    if part == "days":
        return (moment - EPOCH).total_seconds() / 86400
    if part == "month":
        return moment.month
    if part == "weekday":
        return moment.weekday()
    return moment.hour
