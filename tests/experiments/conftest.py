"""Experiment tests: configs written as operators write them, a real SQLite lead database."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from experiments import ExperimentsConfig, load_experiments
from leaddb import LeadStore


def write_config(folder: Path, text: str) -> Path:
    path = folder / "experiments.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def config_of(folder: Path, text: str) -> ExperimentsConfig:
    return load_experiments(write_config(folder, text))


@pytest.fixture
def store(tmp_path) -> LeadStore:
    return LeadStore.from_url(f"sqlite:///{tmp_path / 'leads.db'}")
