"""The console in Chromium: log in through the form, see the funnel chart and table, open a lead,
reassign and accept its meeting.
Screenshots go to test-artifacts/ (docs/console-*.png are copies of them)."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from appconfig.settings import Settings
from handoff import Booking, book_meeting, load_roster
from leaddb import LeadStore, utcnow
from leaddb.leads import Lead
from leaddb.meetings import LeadAssignment
from tests.support.servers import PROJECT_ROOT, running_webapp
from webapp.console.users import add_user

PASSWORD = "a browser password"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def console_url(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("console-browser")
    database_url = f"sqlite:///{var_dir / 'leads.db'}"
    settings = Settings(var_dir=var_dir, database_url=database_url)
    add_user(settings, "mia", "sales_manager", PASSWORD)
    add_user(settings, "ana", "sales_rep", PASSWORD, rep_id="ana.rep")
    store = LeadStore.from_url(database_url)
    # 20 visitors, 10 MQLs, 3 of them SQLs (30%), 2 booked, 1 accepted; spread over two weeks.
    for index in range(20):
        visitor = f"visitor-{index}"
        store.ensure_lead(visitor)
        store.record_answer(visitor, "company", f"Company {index}", {"company": f"Company {index}"})
        stages = {0: ["mql", "sql", "meeting_booked", "accepted"], 1: ["mql", "sql", "meeting_booked"]}.get(
            index, ["mql", "sql"] if index == 2 else ["mql"] if index < 10 else []
        )
        for stage in stages:
            store.change_stage(visitor, stage)
        with store.session() as session:
            lead = session.query(Lead).filter_by(visitor_id=visitor).one()
            session.execute(
                update(Lead).where(Lead.id == lead.id).values(created_at=utcnow() - timedelta(days=1 + index % 14))
            )
            if "sql" in stages:
                session.add(LeadAssignment(lead_id=lead.id, rep_id="ana.rep", rule="industry", reasons=["seeded"]))
    with running_webapp(database_url, LEADQUAL_VAR_DIR=str(var_dir)) as server:
        yield server.url


def test_a_manager_logs_in_and_sees_the_funnel_drawn_and_tabled(browser, console_url):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        page.goto(f"{console_url}/console")
        assert page.url.endswith("/console/login")
        page.fill("input[name=username]", "mia")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{console_url}/console")
        assert page.evaluate("() => Chart.getChart('funnel-chart').data.datasets[0].data") == [20, 10, 3, 2, 1, 0, 0]
        assert page.inner_text("#mql-sql-rate") == "30.0%"
        assert page.evaluate("() => Chart.getChart('benchmark-chart').data.datasets[0].data") == [30, 13, [20, 30]]
        assert page.inner_text("#funnel-table tbody tr:nth-child(3)").split("\t")[:3] == ["sql", "3", "30.0%"]
        page.screenshot(path=str(ARTIFACTS / "console-funnel.png"), full_page=True)
        page.click("text=Leads")
        page.fill("input[name=q]", "Company 0")
        page.click("text=Filter")
        page.click("text=Company 0")
        assert "meeting_booked → accepted" in page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "console-lead.png"), full_page=True)
    finally:
        page.close()


def test_a_rep_is_sent_to_their_leads_and_cannot_open_the_funnel(browser, console_url):
    page = browser.new_page()
    try:
        page.goto(f"{console_url}/console/login")
        page.fill("input[name=username]", "ana")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{console_url}/console/leads")
        assert page.locator("#leads tbody tr").count() == 3  # the three SQLs routed to ana
        page.goto(f"{console_url}/console")
        assert page.url.endswith("/console/leads")
    finally:
        page.close()


@pytest.fixture(scope="module")
def booked_console(tmp_path_factory):
    """A lead whose meeting with Priya waits for a decision (Tuesday 5 March 2030, 09:00 UTC:
    10:00 in Berlin, where Lukas is at work)."""
    var_dir = tmp_path_factory.mktemp("console-browser-meetings")
    database_url = f"sqlite:///{var_dir / 'leads.db'}"
    settings = Settings(var_dir=var_dir, database_url=database_url)
    add_user(settings, "mia", "sales_manager", PASSWORD)
    add_user(settings, "lukas", "sales_rep", PASSWORD, rep_id="lukas.weber")
    store = LeadStore.from_url(database_url)
    roster = load_roster(PROJECT_ROOT / "config" / "roster.yml")
    store.record_answer("v-booked", "company", "Booked GmbH", {"company": "Booked GmbH"})
    start, booked_at = datetime(2030, 3, 5, 9, tzinfo=timezone.utc), datetime(2030, 3, 4, 8, tzinfo=timezone.utc)
    assert isinstance(book_meeting(store, "priya.shah", "v-booked", start, roster, booked_at), Booking)
    with store.session() as session:
        lead = session.query(Lead).filter_by(visitor_id="v-booked").one()
        session.add(LeadAssignment(lead_id=lead.id, rep_id="priya.shah", rule="test", reasons=["seeded"]))
        lead_id = lead.id
    with running_webapp(database_url, LEADQUAL_VAR_DIR=str(var_dir)) as server:
        yield server.url, lead_id


def log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_manager_reassigns_and_the_new_rep_accepts_in_the_browser(browser, booked_console):
    url, lead_id = booked_console
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        log_in(page, url, "mia")
        page.goto(f"{url}/console/leads/{lead_id}")
        page.click("button[value=reject]")  # no reason: the browser keeps the form
        assert page.url.endswith(f"/console/leads/{lead_id}") and "booked" in page.inner_text("#meetings")
        page.select_option("select[name=to_rep]", "lukas.weber")
        page.fill("input[aria-label='Reason to reassign']", "Priya is ill")
        page.click("button[value=reassign]")
        page.wait_for_url(f"{url}/console/leads/{lead_id}")
        assert "lukas.weber" in page.inner_text("#meetings")
        assert "reassigned" in page.inner_text("#actions") and "Priya is ill" in page.inner_text("#actions")
        page.screenshot(path=str(ARTIFACTS / "console-meeting-actions.png"), full_page=True)
        page.click("nav button")  # log out
        log_in(page, url, "lukas")
        page.goto(f"{url}/console/leads/{lead_id}")
        assert page.locator("button[value=reassign]").count() == 0  # reps do not reassign
        page.click("button[value=accept]")
        page.wait_for_url(f"{url}/console/leads/{lead_id}")
        assert "accepted" in page.inner_text("#meetings")
    finally:
        page.close()
