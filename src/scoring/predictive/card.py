"""The model card: what a marketer needs to judge a model before trusting its scores.

Built from the model file's metadata (so `python -m scoring card MODEL` works on any model
file, whatever scikit-learn is installed) and written next to the model by `scoring train` as
`NAME.card.json` and `NAME.card.md`.
"""

from __future__ import annotations

import json
from pathlib import Path

from .model import ModelFileError, read_metadata

BASELINE = "logistic_regression"


def build_card(metadata: dict, model_file: str) -> dict:
    validation = metadata["cross_validation"]
    chosen = metadata["model"]
    figures = {
        "metric": "ROC AUC on stratified cross-validation folds (mean, standard deviation, per fold)",
        "model": _figures(validation[chosen]),
        "baseline": _figures(validation[BASELINE]) if BASELINE in validation else None,
        "candidates": {kind: _figures(values) for kind, values in validation.items()},
    }
    return {
        "model_file": model_file,
        "trained_at": metadata["trained_at"],
        "target": metadata["target"],
        "model": chosen,
        "data": metadata["data"],
        "figures": figures,
        "features": [
            {"name": f["name"], "column": f["source"], "kind": f["kind"]} for f in metadata.get("features", [])
        ],
        "excluded": metadata["excluded"],
        "dropped": metadata["dropped"],
        "leakage": metadata["leakage"],
        "requires": metadata.get("requires", {}),
    }


def _figures(values: dict) -> dict:
    keys = ("auc", "auc_sd", "fold_aucs", "folds", "brier", "log_loss")
    return {key: values[key] for key in keys if key in values}


def read_card(model_path: str | Path) -> dict:
    metadata = read_metadata(model_path)
    if "leakage" not in metadata or "data" not in metadata:
        raise ModelFileError(f"{model_path}: trained before model cards existed; train it again for a card")
    return build_card(metadata, Path(model_path).name)


def card_paths(model_path: str | Path) -> tuple[Path, Path]:
    base = Path(model_path).with_suffix("")
    return base.with_name(base.name + ".card.json"), base.with_name(base.name + ".card.md")


def write_card(card: dict, model_path: str | Path) -> tuple[Path, Path]:
    json_path, markdown_path = card_paths(model_path)
    json_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    markdown_path.write_text(card_markdown(card), encoding="utf-8")
    return json_path, markdown_path


def _auc_line(label: str, values: dict) -> str:
    folds = ", ".join(f"{auc:.3f}" for auc in values.get("fold_aucs", []))
    return f"- {label}: ROC AUC **{values['auc']:.3f}** ± {values['auc_sd']:.3f} (folds: {folds})"


def card_markdown(card: dict) -> str:
    data = card["data"]
    figures = card["figures"]
    leakage = card["leakage"]
    lines = [
        f"# Model card: {card['model_file']}",
        "",
        f"Predicts `{card['target']}`; {card['model'].replace('_', ' ')}, trained {card['trained_at']}.",
        "",
        "## Training data",
        "",
        f"- {data.get('source', '?')}: {data.get('rows', '?')} closed leads, {data.get('positives', '?')} "
        f"positive (target rate {data.get('target_rate', 0):.1%})",
    ]
    if leakage.get("open_leads"):
        lines.append(f"- {leakage['open_leads']} open leads (empty target) not learned from")
    period = data.get("period") or {}
    if period:
        lines += [f"- period ({column}): {span['first']} to {span['last']}" for column, span in period.items()]
    else:
        lines.append("- period: not known (the export has no date column)")
    lines += ["", f"## Figures ({figures['model'].get('folds', '?')} cross-validation folds)", ""]
    lines.append(_auc_line(f"this model ({card['model'].replace('_', ' ')})", figures["model"]))
    baseline = figures.get("baseline")
    if baseline and card["model"] != BASELINE:
        lines.append(_auc_line("baseline, plain logistic regression on the same folds", baseline))
    elif baseline:
        lines.append("- the model is the logistic-regression baseline itself")
    lines += ["", "## Leakage report", ""]
    findings = leakage.get("findings", [])
    if not findings:
        lines.append(f"No column predicts the target on its own (threshold: ROC AUC {leakage.get('leak_auc', 0):.2f}).")
    for finding in findings:
        action = (
            "dropped by --guard" if finding.get("action") == "dropped" else "KEPT: train with --guard or exclude it"
        )
        lines.append(f"- **{finding['column']}**: {finding['reason']}: {finding['detail']}; {action}")
    if not leakage.get("after_contact_check"):
        lines.append(
            "- not checked for columns filled after contact: that needs open leads (rows with an empty target)"
        )
    if leakage.get("too_good"):
        lines.append(f"- **warning**: {leakage['too_good']}")
    strongest = list(leakage.get("single_column_auc", {}).items())[:5]
    if strongest:
        shown = ", ".join(f"{column} {auc:.3f}" for column, auc in strongest)
        lines.append(f"- strongest columns on their own (ROC AUC): {shown}")
    lines += ["", "## Columns", ""]
    lines.append("- features: " + (", ".join(f["name"] for f in card["features"]) or "none"))
    if card["excluded"]:
        lines.append("- excluded by the operator: " + ", ".join(card["excluded"]))
    lines += [f"- dropped {column}: {reason}" for column, reason in card["dropped"].items()]
    return "\n".join(lines) + "\n"
