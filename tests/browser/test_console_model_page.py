"""The model card page in Chromium: a marketer follows the nav link and reads the card.
The screenshot goes to test-artifacts/ (docs/console-model.png is a copy of it)."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_limits

from scoring.predictive import read_csv, train
from tests.scoring.test_model_trust import LEAKY, POST_CONTACT, write_export
from tests.webapp.test_console_model import PASSWORD, console_with

from .test_console_pages import ARTIFACTS


@pytest.fixture(scope="module")
def console_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    with threadpool_limits(limits=1, user_api="openmp"):
        model = train(read_csv(write_export(folder / "crm-export.csv")), "Converted", folds=5)  # leaks kept
    model.save(folder / "lead-model.zip")
    with console_with(tmp_path_factory, folder / "lead-model.zip") as server:
        yield server.url


def test_a_marketer_opens_the_model_card_from_the_nav(browser, console_url):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        page.goto(f"{console_url}/console/login")
        page.fill("input[name=username]", "max")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{console_url}/console")
        page.click("nav >> text=Model")
        page.wait_for_url(f"{console_url}/console/model")
        leaks = page.locator("#model-leaks tbody tr").all_inner_texts()
        assert [row.split("\t")[:2] for row in leaks] == [
            [POST_CONTACT, "filled after contact"],
            [LEAKY, "predicts alone"],
        ]
        assert page.locator("#model-figures tbody tr").count() == 1  # under 500 rows: logistic regression only
        assert page.inner_text("#too-good").startswith("cross-validated ROC AUC")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "console-model.png"), full_page=True)
    finally:
        page.close()
