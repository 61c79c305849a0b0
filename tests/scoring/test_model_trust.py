"""The leakage guard and the model card, through `python -m scoring` as an operator runs it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from scoring.predictive import read_csv, train
from scoring.predictive.card import build_card, card_markdown
from scoring.predictive.leakage import MIN_OPEN_LEADS, find_leaks

from .test_cli import run_scoring

LEAKY = "Deal Stage"
POST_CONTACT = "Call Outcome"


def write_export(path: Path, rows: int = 320, open_leads: int = 60, seed: int = 3) -> Path:
    """A CRM export with a genuine signal (pricing views), one planted leaky column (the deal
    stage sales sets when closing: right for 99% of leads, "Open" until then) and one planted post-contact column
    (what the call gave, written for every closed lead whatever its outcome, empty for the open
    ones). The last `open_leads` rows are open: empty target."""
    rng = np.random.default_rng(seed)
    lines = [f"Lead Id,Pricing Views,Industry,Created,{LEAKY},{POST_CONTACT},Converted"]
    for i in range(rows):
        views = int(rng.integers(0, 10))
        industry = str(rng.choice(["SaaS", "Retail", "Health"]))
        won = int(views + rng.normal(0, 2.5) > 5)
        created = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"
        is_open = i >= rows - open_leads
        stage = "Open" if is_open else ("Closed won" if won != (rng.random() < 0.01) else "Closed lost")
        call = "" if is_open else str(rng.choice(["spoke", "voicemail", "no answer"]))
        lines.append(f"{5000 + i},{views},{industry},{created},{stage},{call},{'' if is_open else won}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def train_cli(tmp_path: Path, *extra: str) -> tuple[dict, str]:
    data = write_export(tmp_path / "export.csv")
    result = run_scoring(
        "train",
        "--data",
        str(data),
        "--target",
        "Converted",
        "--out",
        "model.zip",
        "--folds",
        "3",
        *extra,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_without_guard_both_planted_columns_are_named_with_reason_and_figure_but_kept(tmp_path):
    summary, stderr = train_cli(tmp_path)
    assert [finding["column"] for finding in summary["leakage"]] == [POST_CONTACT, LEAKY]
    findings = {finding["column"]: finding for finding in summary["leakage"]}
    assert findings[LEAKY]["reason"] == "predicts alone" and findings[LEAKY]["figure"] >= 0.95
    assert findings[POST_CONTACT]["reason"] == "filled after contact"
    assert findings[POST_CONTACT]["detail"] == "filled for 100% of closed leads but 0% of the 60 open ones"
    assert {finding["action"] for finding in findings.values()} == {"kept"}
    assert {LEAKY, POST_CONTACT} <= set(summary["features"])
    assert f"warning: leak: '{LEAKY}': predicts alone: on its own it ranks the leads with cross-validated" in stderr
    assert f"warning: leak: '{POST_CONTACT}': filled after contact: filled for 100% of closed leads" in stderr
    assert "add --guard or --exclude it" in stderr
    assert summary["too_good"] and "reaches 0.92" in summary["too_good"]
    assert f"warning: leak: {summary['too_good']}\n" in stderr


def test_guard_drops_both_planted_columns_and_keeps_the_genuine_ones(tmp_path):
    summary, stderr = train_cli(tmp_path, "--guard")
    assert summary["features"] == ["Pricing Views", "Industry", "Created: days", "Created: month", "Created: weekday"]
    assert summary["dropped"][LEAKY].startswith("leak guard: predicts alone (on its own it ranks the leads")
    assert summary["dropped"][POST_CONTACT].startswith("leak guard: filled after contact (filled for 100%")
    assert {finding["action"] for finding in summary["leakage"]} == {"dropped"}
    assert "dropped (--guard)" in stderr
    # the honest figure: the signal is real but far from perfect
    assert 0.75 < summary["auc"] < 0.95
    assert summary["too_good"] is None


def test_a_lower_threshold_catches_a_weaker_column_and_a_bad_one_is_refused(tmp_path):
    summary, _ = train_cli(tmp_path, "--leak-auc", "0.8")
    assert "Pricing Views" in {finding["column"] for finding in summary["leakage"]}
    refused = run_scoring(
        "train", "--data", "x.csv", "--target", "Won", "--out", "m.zip", "--leak-auc", "2", cwd=tmp_path
    )
    assert refused.returncode == 2
    assert refused.stderr == "error: --leak-auc must be above 0.5 and at most 1\n"


def test_the_after_contact_check_needs_open_leads(tmp_path):
    data = write_export(tmp_path / "export.csv", open_leads=MIN_OPEN_LEADS - 1)
    with threadpool_limits(limits=1, user_api="openmp"):
        model = train(read_csv(data), "Converted", folds=3)
    leakage = model.metadata["leakage"]
    assert [finding["column"] for finding in leakage["findings"]] == [LEAKY]
    assert leakage["after_contact_check"] is False
    assert "not checked for columns filled after contact" in card_markdown(build_card(model.save_metadata(), "m.zip"))


def test_the_card_is_written_next_to_the_model_and_printed(tmp_path):
    summary, _ = train_cli(tmp_path, "--guard")
    assert summary["card"] == ["model.card.json", "model.card.md"]
    card = json.loads((tmp_path / "model.card.json").read_text())
    assert card["model_file"] == "model.zip" and card["target"] == "Converted"
    assert card["data"] == {
        "source": "export.csv",
        "rows": 260,
        "positives": summary["positives"],
        "target_rate": round(summary["positives"] / 260, 4),
        "period": {"Created": {"first": "2025-01-01", "last": "2025-12-28"}},
    }
    model_figures = card["figures"]["model"]
    assert model_figures["auc"] == summary["auc"] and len(model_figures["fold_aucs"]) == 3
    assert model_figures["auc"] == pytest.approx(np.mean(model_figures["fold_aucs"]), abs=1e-4)
    assert model_figures["auc_sd"] == pytest.approx(np.std(model_figures["fold_aucs"]), abs=1e-4)
    assert card["figures"]["baseline"] == model_figures  # under 500 rows the model is the baseline
    assert [feature["name"] for feature in card["features"]] == summary["features"]
    assert {finding["column"] for finding in card["leakage"]["findings"]} == {LEAKY, POST_CONTACT}
    assert card["leakage"]["open_leads"] == 60
    assert card["trained_at"].startswith("20")

    printed = run_scoring("card", "model.zip", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == (tmp_path / "model.card.md").read_text()
    for text in (
        "# Model card: model.zip",
        "- export.csv: 260 closed leads",
        "- 60 open leads (empty target) not learned from",
        "- period (Created): 2025-01-01 to 2025-12-28",
        f"ROC AUC **{summary['auc']:.3f}** ± ",
        "the model is the logistic-regression baseline itself",
        f"- **{LEAKY}**: predicts alone: on its own it ranks the leads with cross-validated ROC AUC",
        f"- **{POST_CONTACT}**: filled after contact: filled for 100% of closed leads but 0% of the 60 open ones; "
        "dropped by --guard",
        "- features: Pricing Views, Industry, Created: days",
    ):
        assert text in printed.stdout
    as_json = run_scoring("card", "model.zip", "--json", cwd=tmp_path)
    assert json.loads(as_json.stdout) == card


def test_the_card_compares_the_model_with_the_baseline_on_the_same_folds(tmp_path):
    # Buyers sit in the middle of the range: trees see it, a straight line cannot.
    rng = np.random.default_rng(5)
    visits = rng.integers(0, 20, 400)
    won = (np.abs(visits - 10 + rng.normal(0, 2, 400)) < 4).astype(int)
    data = tmp_path / "export.csv"
    data.write_text("Visits,Won\n" + "".join(f"{v},{w}\n" for v, w in zip(visits, won)), encoding="utf-8")
    with threadpool_limits(limits=1, user_api="openmp"):
        model = train(read_csv(data), "Won", folds=3, kinds=["gradient_boosting", "logistic_regression"])
    assert model.metadata["model"] == "gradient_boosting"
    card = build_card(model.save_metadata(), "m.zip")
    validation = model.metadata["cross_validation"]
    baseline = card["figures"]["baseline"]
    assert baseline["fold_aucs"] == validation["logistic_regression"]["fold_aucs"]
    assert card["figures"]["model"]["fold_aucs"] == validation["gradient_boosting"]["fold_aucs"]
    folds = ", ".join(f"{auc:.3f}" for auc in baseline["fold_aucs"])
    assert (
        f"- baseline, plain logistic regression on the same folds: ROC AUC **{baseline['auc']:.3f}** ± "
        f"{baseline['auc_sd']:.3f} (folds: {folds})"
    ) in card_markdown(card)


def model_without_a_card(path: Path) -> None:
    """A model file as `scoring train` wrote it before model cards."""
    metadata = {"format": "leadqual-predictive-model", "format_version": 1, "model": "logistic_regression"}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps(metadata))
        archive.writestr("pipeline.skops", b"")


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such model file"),
        ("not a zip", "not a model file written by 'scoring train'"),
        (model_without_a_card, "model.zip: trained before model cards existed; train it again for a card"),
    ],
    ids=["missing", "not-a-zip", "before-cards"],
)
def test_card_of_a_bad_model_file(tmp_path, content, message):
    if callable(content):
        content(tmp_path / "model.zip")
    elif content is not None:
        (tmp_path / "model.zip").write_text(content)
    result = run_scoring("card", "model.zip", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr


def test_a_leak_spread_over_columns_is_reported_as_too_good_to_be_true(tmp_path):
    """Like X Education's post-contact columns: each alone well below the threshold, together
    an implausibly good model."""
    rng = np.random.default_rng(7)
    won = rng.integers(0, 2, 300)
    notes = [np.where(rng.random(300) < 0.82, won, 1 - won) for _ in range(4)]
    lines = ["Visits,Status A,Status B,Status C,Status D,Won"]
    lines += [f"{rng.integers(0, 9)},{a},{b},{c},{d},{w}" for a, b, c, d, w in zip(*notes, won)]
    data = tmp_path / "export.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = train(read_csv(data), "Won", folds=3)
    leakage = model.metadata["leakage"]
    assert leakage["findings"] == []
    assert max(leakage["single_column_auc"].values()) < 0.9
    assert model.metadata["cross_validation"]["logistic_regression"]["auc"] > 0.92
    assert leakage["too_good"].startswith("cross-validated ROC AUC 0.9")
    assert "strongest on their own: Status" in leakage["too_good"]
    assert f"- **warning**: {leakage['too_good']}" in card_markdown(build_card(model.save_metadata(), "m.zip"))


@pytest.mark.parametrize(
    "closed, open_, open_leads, flagged",
    [
        (0.8, 0.2, 20, True),  # open at exactly a quarter of the closed rate
        (0.8, 0.21, 20, False),
        (0.19, 0.0, 20, False),  # too rarely filled to judge
        (0.8, 0.0, 19, False),  # too few open leads
    ],
)
def test_the_after_contact_rule_at_its_edges(closed, open_, open_leads, flagged):
    findings = find_leaks({}, {"Notes": (closed, open_)}, open_leads, 0.95)
    assert [finding.reason for finding in findings] == (["filled after contact"] if flagged else [])
