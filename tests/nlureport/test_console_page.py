"""/console/nlu-report over real HTTP: who sees the report, and the page when there is none yet."""

from __future__ import annotations

import httpx
import pytest

from appconfig.settings import Settings
from nlureport.render import write_report
from tests.support.servers import running_webapp
from tests.webapp.test_console import PASSWORD, login
from webapp.console.users import add_user

from .samples import summary

USERS = (("max", "marketer", None), ("ada", "admin", None), ("mia", "sales_manager", None), ("ana", "sales_rep", "ana"))


def _console(var_dir, report_dir):
    settings = Settings(var_dir=var_dir, database_url=f"sqlite:///{var_dir / 'leads.db'}")
    for username, role, rep in USERS:
        add_user(settings, username, role, PASSWORD, rep_id=rep)
    return running_webapp(settings.database_url, LEADQUAL_VAR_DIR=str(var_dir), NLU_REPORT_DIR=str(report_dir))


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    var_dir, report_dir = tmp_path_factory.mktemp("console-var"), tmp_path_factory.mktemp("nlu-report")
    with _console(var_dir, report_dir) as server:
        yield server, report_dir


def test_without_a_report_the_page_says_which_command_writes_one(console):
    server, report_dir = console
    assert not (report_dir / "latest.html").exists()
    client, _ = login(server.url, "max")
    page = client.get("/console/nlu-report")
    assert page.status_code == 404
    assert "No NLU report yet" in page.text and "make nlu-report" in page.text
    assert '<a href="/console/nlu-report">NLU report</a>' in page.text  # the console's nav is still there


def test_marketers_and_admins_read_the_latest_report(console):
    server, report_dir = console
    write_report(summary("the marker example"), report_dir)
    for username in ("max", "ada"):
        client, _ = login(server.url, username)
        assert '<a href="/console/nlu-report">NLU report</a>' in client.get("/console").text
        page = client.get("/console/nlu-report")
        assert page.status_code == 200
        assert page.text == (report_dir / "latest.html").read_text(encoding="utf-8")
        assert "the marker example" in page.text
        assert page.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"


def test_reps_managers_and_strangers_do_not(console):
    server, report_dir = console
    write_report(summary("the marker example"), report_dir)
    anonymous = httpx.get(f"{server.url}/console/nlu-report")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/console/login"
    for username in ("mia", "ana"):
        client, _ = login(server.url, username)
        assert "/console/nlu-report" not in client.get("/console/leads").text
        refused = client.get("/console/nlu-report")
        assert refused.status_code == 403 and "the marker example" not in refused.text
        assert "Marketers and admins see the NLU report." in refused.text
