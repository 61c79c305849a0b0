"""The model card page of the console over real HTTP: who sees it, and what it shows."""

from __future__ import annotations

import shutil

import httpx
import pytest
from threadpoolctl import threadpool_limits

from appconfig.settings import PROJECT_ROOT, Settings
from scoring.predictive import read_csv, train
from tests.scoring.test_model_trust import LEAKY, POST_CONTACT, write_export
from tests.support.servers import UNLIMITED, running_webapp
from webapp.console.users import add_user

from .test_console import PASSWORD, login

MODEL_RULE = """
model:
  path: {path}
  points: 20
  columns:
    "Pricing Views": pricing_views
"""


def console_with(tmp_path_factory, model_path=None):
    var_dir = tmp_path_factory.mktemp("console-var")
    config_dir = var_dir / "config"
    shutil.copytree(PROJECT_ROOT / "config", config_dir)
    (config_dir / "limits.yml").write_text(UNLIMITED)
    if model_path:
        with open(config_dir / "scoring.yml", "a", encoding="utf-8") as rules:
            rules.write(MODEL_RULE.format(path=model_path))
    settings = Settings(var_dir=var_dir, database_url=f"sqlite:///{var_dir / 'leads.db'}")
    for username, role, rep in (("max", "marketer", None), ("mia", "sales_manager", None), ("ana", "sales_rep", "ana")):
        add_user(settings, username, role, PASSWORD, rep_id=rep)
    return running_webapp(settings.database_url, LEADQUAL_VAR_DIR=str(var_dir), LEADQUAL_CONFIG_DIR=str(config_dir))


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    with threadpool_limits(limits=1, user_api="openmp"):
        model = train(read_csv(write_export(folder / "export.csv")), "Converted", folds=3)  # no guard: leaks kept
    model.save(folder / "lead-model.zip")
    with console_with(tmp_path_factory, folder / "lead-model.zip") as server:
        yield server, model


def test_a_marketer_sees_the_card_of_the_configured_model(console):
    server, model = console
    client, _ = login(server.url, "max")
    assert '<a href="/console/model">Model</a>' in client.get("/console").text
    page = client.get("/console/model")
    assert page.status_code == 200
    figures = model.metadata["cross_validation"]["logistic_regression"]
    assert "<strong>lead-model.zip</strong> predicts <code>Converted</code>" in page.text
    assert f'<td class="num">{figures["auc"]:.3f} ± {figures["auc_sd"]:.3f}</td>' in page.text
    assert "<td>Created: 2025-01-01 to 2025-12-28</td>" in page.text
    for column, reason in ((LEAKY, "predicts alone"), (POST_CONTACT, "filled after contact")):
        assert f"<tr><td>{column}</td><td>{reason}</td>" in page.text
    assert page.text.count("kept: retrain with --guard") == 2
    assert 'id="too-good"' in page.text


def test_reps_and_managers_do_not_see_the_model(console):
    server, _ = console
    assert httpx.get(f"{server.url}/console/model").headers["location"] == "/console/login"
    for username in ("ana", "mia"):
        client, _ = login(server.url, username)
        assert "/console/model" not in client.get("/console/leads").text
        refused = client.get("/console/model")
        assert refused.status_code == 403 and "Marketers and admins see the model card." in refused.text


def test_without_a_model_the_page_says_how_to_train_one(tmp_path_factory):
    with console_with(tmp_path_factory) as server:
        client, _ = login(server.url, "max")
        page = client.get("/console/model")
    assert page.status_code == 200
    assert "No predictive model is in use." in page.text and "python -m scoring train" in page.text
