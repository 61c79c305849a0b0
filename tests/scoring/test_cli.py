"""`python -m scoring train / evaluate` run as a user would, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest


def run_scoring(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # One OpenMP thread: gradient boosting's threads crawl on a busy 2-core machine.
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "scoring", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def write_leads(path: Path, rows: int = 150, seed: int = 1) -> Path:
    """CRLF lines ending in a comma, like a real CRM export; conversion follows pricing visits."""
    rng = np.random.default_rng(seed)
    lines = ["Lead Id,Pricing Views,Industry,Notes (sales),Won,"]
    for i in range(rows):
        views = int(rng.integers(0, 10))
        industry = str(rng.choice(["SaaS", "Retail", "Select"]))
        won = int(views + rng.normal(0, 2) > 5)
        lines.append(f"{9000 + i},{views},{industry},{'called' if won else ''},{won},")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def test_train_then_evaluate(tmp_path):
    data = write_leads(tmp_path / "leads.csv")
    trained = run_scoring(
        "train",
        "--data",
        str(data),
        "--target",
        "Won",
        "--exclude",
        "Notes (sales)",
        "Not There",
        "--out",
        "model.zip",
        "--folds",
        "3",
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout)
    assert summary["features"] == ["Pricing Views", "Industry"]
    assert summary["excluded"] == ["Notes (sales)"]
    assert summary["dropped"]["Lead Id"].startswith("identifier-like")
    assert summary["auc"] > 0.75
    assert "warning: --exclude 'Not There': no such column" in trained.stderr

    fresh = write_leads(tmp_path / "fresh.csv", seed=2)
    evaluated = run_scoring("evaluate", "--model", "model.zip", "--data", str(fresh), "--target", "Won", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert len(evaluated.stdout.strip().splitlines()) == 1
    result = json.loads(evaluated.stdout)
    assert {"auc", "n", "positives", "brier", "log_loss", "base_rate"} <= set(result)
    assert result["n"] == 150
    assert result["auc"] > 0.75
    assert 0 < result["positives"] < 150


def header_and_rows(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


TWO_CLASSES = [f"{i},{i % 2}" for i in range(30)]


@pytest.mark.parametrize(
    "content, target, message",
    [
        (None, "Won", "no such file"),
        ("", "Won", "the file is empty"),
        ("Visits,Won\n", "Won", "header but no data rows"),
        (header_and_rows("Visits,Won", TWO_CLASSES), "Converted", "no column named 'Converted'"),
        (
            header_and_rows("Visits,Won", [f"{i},{'won' if i % 2 else 'lost'}" for i in range(30)]),
            "Won",
            "must hold 0/1 (or true/false, yes/no); found 'lost', 'won'",
        ),
        (header_and_rows("Visits,Won", [f"{i},1" for i in range(30)]), "Won", "only one class"),
        (header_and_rows("Visits,Won", TWO_CLASSES[:8]), "Won", "at least 20 are needed"),
        ("Visits,Won\n1,0\n2,\x001\n", "Won", "not a readable CSV file (line 3: line contains NUL)"),
    ],
    ids=["missing", "empty", "header-only", "no-target", "non-binary", "one-class", "too-few", "binary"],
)
def test_bad_training_data_gives_one_clear_line_and_exit_code_2(tmp_path, content, target, message):
    data = tmp_path / "leads.csv"
    if content is not None:
        data.write_text(content, encoding="utf-8")
    result = run_scoring("train", "--data", str(data), "--target", target, "--out", "model.zip", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr
    assert not (tmp_path / "model.zip").exists()


@pytest.mark.parametrize(
    "model_content, message",
    [(None, "no such model file"), ("not a zip", "not a model file written by 'scoring train'")],
    ids=["missing", "not-a-zip"],
)
def test_evaluate_with_a_bad_model_file(tmp_path, model_content, message):
    data = write_leads(tmp_path / "leads.csv", rows=40)
    if model_content is not None:
        (tmp_path / "model.zip").write_text(model_content)
    result = run_scoring("evaluate", "--model", "model.zip", "--data", str(data), "--target", "Won", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr


def test_output_folder_must_exist(tmp_path):
    data = write_leads(tmp_path / "leads.csv", rows=40)
    result = run_scoring("train", "--data", str(data), "--target", "Won", "--out", "no/such/dir/m.zip", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "error: no/such/dir/m.zip: its folder does not exist\n"


def test_missing_arguments_are_usage_errors(tmp_path):
    result = run_scoring("train", "--data", "leads.csv", cwd=tmp_path)
    assert result.returncode == 2
    assert "the following arguments are required: --target, --out" in result.stderr
    assert "Traceback" not in result.stderr


def test_repeated_and_multi_valued_exclude_flags_add_up(tmp_path):
    data = write_leads(tmp_path / "leads.csv")
    trained = run_scoring(
        "train",
        "--data",
        str(data),
        "--target",
        "Won",
        "--exclude",
        "Notes (sales)",
        "Lead Id",
        "--exclude",
        "Industry",
        "--exclude",
        "Not There",
        "--out",
        "model.zip",
        "--folds",
        "3",
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout)
    assert summary["excluded"] == ["Notes (sales)", "Lead Id", "Industry"]
    assert summary["features"] == ["Pricing Views"]
    assert "Lead Id" not in summary["dropped"]
    warnings = [line for line in trained.stderr.splitlines() if line.startswith("warning: --exclude")]
    assert warnings == [f"warning: --exclude 'Not There': no such column in {data}"]
