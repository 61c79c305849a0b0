"""The console over real HTTP against a real server: login, CSRF, rate limit, roles, funnel API."""

import os
import re
import subprocess
import sys
from datetime import datetime, timezone

import httpx
import pytest
from sqlalchemy import update

from appconfig.settings import Settings
from leaddb import LeadStore
from leaddb.chat_events import chat_event_row, record_chat_events
from leaddb.leads import Lead
from leaddb.meetings import LeadAssignment
from tests.support.servers import running_webapp
from webapp.console.users import add_user, ensure_first_admin, load_users

TOKEN = "console-api-token-for-tests"
PASSWORD = "correct horse battery"
T0 = datetime(2026, 2, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("console-var")
    database_url = f"sqlite:///{var_dir / 'leads.db'}"
    settings = Settings(var_dir=var_dir, database_url=database_url)
    add_user(settings, "ana", "sales_rep", PASSWORD, rep_id="ana.rep")
    add_user(settings, "ben", "sales_rep", PASSWORD, rep_id="ben.rep")
    add_user(settings, "mia", "sales_manager", PASSWORD)
    add_user(settings, "max", "marketer", PASSWORD)
    store = LeadStore.from_url(database_url)
    ids = {}
    for visitor, stages, rep, company in (
        ("v1", ["mql", "sql"], "ana.rep", "Acme Corp"),
        ("v2", ["sql"], "ben.rep", "Globex"),
        ("v3", ["mql"], None, "Initech"),
        ("v4", [], None, None),
    ):
        store.ensure_lead(visitor)
        if company:
            store.record_answer(visitor, "company", company, {"company": company})
        for stage in stages:
            store.change_stage(visitor, stage)
        with store.session() as session:
            lead = session.query(Lead).filter_by(visitor_id=visitor).one()
            session.execute(update(Lead).where(Lead.id == lead.id).values(created_at=T0))
            if rep:
                session.add(LeadAssignment(lead_id=lead.id, rep_id=rep, rule="test", reasons=["seeded"]))
            ids[visitor] = lead.id
    # What the production profile's broker consumer stores (leaddb.chat_events).
    record_chat_events(
        store.engine,
        [
            chat_event_row(
                {"sender_id": "v1", "event": "user", "timestamp": 1767268800.0, "text": "we need lead routing"}
            ),
            chat_event_row(
                {"sender_id": "v1", "event": "bot", "timestamp": 1767268801.0, "text": "When do you need it?"}
            ),
        ],
    )
    with running_webapp(database_url, LEADQUAL_VAR_DIR=str(var_dir), CONSOLE_API_TOKEN=TOKEN) as server:
        yield server, ids


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def login(url: str, username: str, password: str = PASSWORD) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=url)
    form = client.get("/console/login")
    response = client.post(
        "/console/login", data={"username": username, "password": password, "csrf_token": csrf_of(form.text)}
    )
    return client, response


def test_a_manager_logs_in_and_sees_the_funnel_table(console):
    server, _ = console
    assert httpx.get(f"{server.url}/console").headers.get("location") == "/console/login"
    client, response = login(server.url, "mia")
    assert response.status_code == 303 and response.headers["location"] == "/console"
    page = client.get("/console").text
    # visitor 4, mql 2 (v2 skipped MQL), sql 2; MQL→SQL 1 of 2.
    rows = dict(re.findall(r"<tr><td>(\w+)</td><td class=\"num\">(\d+)</td>", page))
    assert rows == {"visitor": "4", "mql": "2", "sql": "2", "meeting_booked": "0", "accepted": "0"} | {
        "opportunity": "0",
        "won": "0",
    }
    assert 'id="mql-sql-rate">50.0%' in page
    by_rep = client.get("/console", params={"by": "rep"}).text
    assert re.search(r"<td>ben.rep</td>\s*<td class=\"num\">1</td><td class=\"num\">0</td>", by_rep)
    assert client.get("/console", params={"by": "colour"}).status_code == 400
    assert client.get("/console/vendor/chart.js").status_code == 200


def test_a_login_form_without_its_csrf_token_is_refused(console):
    server, _ = console
    client = httpx.Client(base_url=server.url)
    client.get("/console/login")
    refused = client.post("/console/login", data={"username": "mia", "password": PASSWORD, "csrf_token": "forged"})
    assert refused.status_code == 403 and "console_session" not in refused.cookies
    logged_in, _ = login(server.url, "mia")
    assert logged_in.post("/console/logout", data={"csrf_token": "forged"}).status_code == 403
    assert logged_in.get("/console").status_code == 200  # still logged in
    good = logged_in.post("/console/logout", data={"csrf_token": csrf_of(logged_in.get("/console").text)})
    assert good.status_code == 303


def test_login_is_rate_limited_per_username(console):
    server, _ = console
    for _ in range(5):
        assert login(server.url, "max", "wrong password")[1].status_code == 401
    _, blocked = login(server.url, "max")  # the right password, too late
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "Too many failed attempts" in blocked.text


def test_a_rep_sees_only_their_own_leads_by_page_and_by_api(console):
    server, ids = console
    ana, response = login(server.url, "ana")
    assert response.headers["location"] == "/console/leads"
    listing = ana.get("/console/leads").text
    assert "Acme Corp" in listing and "Globex" not in listing and "Initech" not in listing
    page = ana.get(f"/console/leads/{ids['v1']}")
    assert page.status_code == 200
    assert "we need lead routing" in page.text and "When do you need it?" in page.text  # the transcript
    assert ana.get(f"/console/leads/{ids['v2']}").status_code == 404
    assert ana.get(f"/api/console/leads/{ids['v2']}").status_code == 404
    assert ana.get(f"/api/console/leads/{ids['v1']}").json()["normalised"]["company"] == "Acme Corp"
    assert ana.get("/api/console/funnel").status_code == 403
    mia, _ = login(server.url, "mia")
    assert mia.get(f"/api/console/leads/{ids['v2']}").status_code == 200
    assert "Globex" in mia.get("/console/leads", params={"q": "glob"}).text
    assert "Acme" not in mia.get("/console/leads", params={"q": "glob"}).text


def test_the_funnel_api_with_a_token_groups_and_rejects_bad_parameters(console):
    server, _ = console
    assert httpx.get(f"{server.url}/api/console/funnel").status_code == 401
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = httpx.get(f"{server.url}/api/console/funnel", params={"by": "rep"}, headers=headers).json()
    assert [s["leads"] for s in body["steps"]][:3] == [4, 2, 2]
    assert body["steps"][2]["conversion"] == 0.5 and body["benchmarks"]["mql_to_sql"]["industry_average"] == 0.13
    assert {g: [s["leads"] for s in steps][:3] for g, steps in body["groups"].items()} == {
        "ana.rep": [1, 1, 1],
        "ben.rep": [1, 0, 1],
        "unassigned": [2, 1, 0],
    }
    later = httpx.get(f"{server.url}/api/console/funnel", params={"from": "2026-02-03"}, headers=headers).json()
    assert later["steps"][0]["leads"] == 0
    for params, message in (
        ({"from": "yesterday"}, "from must be a date as YYYY-MM-DD"),
        ({"from": "2026-02-05", "to": "2026-02-01"}, "from must not be after to"),
        ({"by": "colour"}, "by must be one of week, rep"),
    ):
        bad = httpx.get(f"{server.url}/api/console/funnel", params=params, headers=headers)
        assert bad.status_code == 400 and message in bad.json()["error"]
    speed = httpx.get(f"{server.url}/api/console/speed-to-lead", headers=headers)
    assert speed.status_code == 200 and speed.json()["sla_minutes"] == 5 and speed.json()["reps"] == []
    bad = httpx.get(f"{server.url}/api/console/speed-to-lead", params={"sla_minutes": "soon"}, headers=headers)
    assert bad.status_code == 400 and "sla_minutes must be a whole number" in bad.json()["error"]


def test_first_start_creates_one_admin_and_the_cli_adds_users(tmp_path):
    settings = Settings(var_dir=tmp_path, config_dir=tmp_path)
    password = ensure_first_admin(settings)
    assert password and load_users(settings)["admin"].role == "admin"
    assert ensure_first_admin(settings) is None
    env = {
        **os.environ,
        "LEADQUAL_VAR_DIR": str(tmp_path),
        "LEADQUAL_CONFIG_DIR": str(tmp_path),
        "PW": "a long password",
    }
    cli = [sys.executable, "-m", "webapp.console", "add-user", "zoe", "--role", "sales_rep", "--password-env", "PW"]
    refused = subprocess.run(cli, env=env, capture_output=True, text=True)
    assert refused.returncode == 2 and "a sales_rep needs --rep-id" in refused.stderr
    done = subprocess.run([*cli, "--rep-id", "zoe"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert load_users(settings)["zoe"].rep_id == "zoe" and "admin" in load_users(settings)
    assert "$argon2id$" in (tmp_path / "console_users.yml").read_text()


def test_the_crm_callback_and_the_console_form_move_a_lead_to_opportunity_and_won(console):
    server, ids = console
    url = f"{server.url}/api/console/crm/stage"
    body = {"visitor_id": "v1", "stage": "opportunity"}
    assert httpx.post(url, json=body).status_code == 401
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(url, content=b"not json", headers=headers).status_code == 400
    assert httpx.post(url, json={"visitor_id": "v1", "stage": "lost"}, headers=headers).status_code == 400
    assert httpx.post(url, json={"visitor_id": "nobody", "stage": "won"}, headers=headers).status_code == 404
    assert httpx.post(url, json=body, headers=headers).json() == body
    ana, _ = login(server.url, "ana")
    page = ana.get(f"/console/leads/{ids['v1']}").text
    form = f"/console/leads/{ids['v1']}/stage"
    assert ana.post(form, data={"stage": "won", "csrf_token": "forged"}).status_code == 403
    assert (
        ana.post(f"/console/leads/{ids['v2']}/stage", data={"stage": "won", "csrf_token": csrf_of(page)}).status_code
        == 404
    )
    assert ana.post(form, data={"stage": "won", "csrf_token": csrf_of(page)}).status_code == 303
    stages = [t["to"] for t in ana.get(f"/api/console/leads/{ids['v1']}").json()["stages"]]
    assert stages == ["mql", "sql", "opportunity", "won"]
    funnel = httpx.get(f"{server.url}/api/console/funnel", headers=headers).json()["steps"]
    assert [s["leads"] for s in funnel] == [4, 2, 2, 0, 0, 1, 1]


def test_a_non_ascii_bearer_token_is_a_401_not_a_server_error(console):
    server, _ = console
    # compare_digest raises TypeError on non-ASCII str; a header can carry any byte.
    headers = [(b"Authorization", "Bearer café".encode("latin-1"))]
    assert httpx.get(f"{server.url}/api/console/funnel", headers=headers).status_code == 401
    assert httpx.post(f"{server.url}/api/console/crm/stage", json={}, headers=headers).status_code == 401
