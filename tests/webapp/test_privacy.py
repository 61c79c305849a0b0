"""Do-Not-Track, Global Privacy Control and the visitor's consent on /track, against
`python -m webapp` over real HTTP, and config/privacy.yml validation."""

from __future__ import annotations

import shutil

import pytest

from appconfig.settings import PROJECT_ROOT
from appconfig.yamlfile import ConfigError
from tests.support.servers import SITE_ORIGIN, config_with, running_webapp
from tests.webapp.test_tracking import an_event, new_visitor, post, stored
from webapp.privacy import load_privacy


@pytest.mark.parametrize("header", [{"DNT": "1"}, {"Sec-GPC": "1"}])
def test_a_visitor_asking_not_to_be_tracked_has_no_events_stored(webapp, header):
    visitor = new_visitor()
    response = post(webapp, {"visitor_id": visitor, "events": [an_event()]}, Origin=SITE_ORIGIN, consent=True, **header)
    assert response.status_code == 200
    assert response.json()["stored"] is False
    assert stored(webapp, visitor) == []


def test_other_visitors_are_still_tracked(webapp):
    visitor = new_visitor()
    response = post(webapp, {"visitor_id": visitor, "events": [an_event()]}, Origin=SITE_ORIGIN, DNT="0", consent=True)
    assert response.status_code == 200
    assert len(stored(webapp, visitor)) == 1


def test_the_operator_can_choose_not_to_honour_the_headers(tmp_path):
    config_dir = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", config_dir)
    (config_dir / "privacy.yml").write_text("honour_do_not_track: false\n")
    with running_webapp(f"sqlite:///{tmp_path / 'leads.db'}", LEADQUAL_CONFIG_DIR=str(config_dir)) as server:
        visitor = new_visitor()
        post(server, {"visitor_id": visitor, "events": [an_event()]}, Origin=SITE_ORIGIN, DNT="1", consent=True)
        assert len(stored(server, visitor)) == 1


@pytest.mark.parametrize("cookie", [None, "lq_consent=denied", "lq_consent=granted-not", "other=granted"])
def test_a_browser_page_without_consent_has_no_events_stored(webapp, cookie):
    """The script waits for the banner; /track holds even for a script that does not."""
    visitor = new_visitor()
    headers = {"Origin": SITE_ORIGIN, **({"Cookie": cookie} if cookie else {})}
    response = post(webapp, {"visitor_id": visitor, "events": [an_event()]}, "text/plain", **headers)
    assert response.status_code == 200
    assert response.json() == {"accepted": 0, "duplicates": 0, "stored": False}
    assert stored(webapp, visitor) == []


def test_a_visitor_who_accepted_is_tracked(webapp):
    visitor = new_visitor()
    response = post(
        webapp, {"visitor_id": visitor, "events": [an_event()]}, "text/plain", Origin=SITE_ORIGIN, consent=True
    )
    assert response.json() == {"accepted": 1, "duplicates": 0}
    assert len(stored(webapp, visitor)) == 1


def test_without_waiting_for_consent_a_page_is_tracked_at_once(tmp_path):
    config_dir = config_with(tmp_path, privacy="tracking_waits_for_consent: false\n")
    with running_webapp(f"sqlite:///{tmp_path / 'leads.db'}", LEADQUAL_CONFIG_DIR=str(config_dir)) as server:
        visitor = new_visitor()
        post(server, {"visitor_id": visitor, "events": [an_event()]}, Origin=SITE_ORIGIN)
        assert len(stored(server, visitor)) == 1


def test_a_bad_retention_period_names_file_and_key(tmp_path):
    path = tmp_path / "privacy.yml"
    path.write_text("retention_days: 0\n")
    with pytest.raises(ConfigError) as error:
        load_privacy(path)
    assert "retention_days" in str(error.value) and str(path) in str(error.value)
