"""The console in Chromium: log in through the form, see the funnel chart and table, open a lead.
Screenshots go to test-artifacts/ (docs/console-*.png are copies of them)."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from appconfig.settings import Settings
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
