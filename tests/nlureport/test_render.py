"""The report page and its files: hostile training text stays text, the previous summary is kept."""

from __future__ import annotations

import json

from nlureport.delta import compare
from nlureport.render import read_previous, render_html, write_report

from .samples import summary

HOSTILE = '<script>alert("owned")</script><img src=x onerror=alert(1)> & "quotes"'


def test_hostile_training_text_is_escaped_everywhere_it_is_shown():
    report = summary(HOSTILE)
    report["delta"] = compare(report, {**summary(), "generated_at": "2026-11-30T10:00:00+00:00"})
    page = render_html(report)
    assert "<script>" not in page and "<img" not in page
    escaped = (
        "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34;"
    )
    # Shown in the validation finding, the misread table, the new misreads, the failed
    # conversation's name, reason, transcript and details.
    assert page.count(escaped) >= 7


def test_the_page_is_self_contained():
    page = render_html(summary())
    for outside in ("http://", "https://", "<script", "<link", "@import", "src="):
        assert outside not in page


def test_a_new_report_keeps_the_previous_summary_and_reads_it_back(tmp_path):
    assert read_previous(tmp_path) is None
    first = summary(generated_at="2026-12-01T10:00:00+00:00")
    write_report(first, tmp_path)
    assert read_previous(tmp_path) == first
    second = summary(generated_at="2026-12-02T10:00:00+00:00")
    page = write_report(second, tmp_path)
    assert json.loads((tmp_path / "previous.json").read_text()) == first
    assert read_previous(tmp_path) == second
    assert page == tmp_path / "latest.html" and "2026-12-02T10:00:00+00:00" in page.read_text()


def test_an_unreadable_previous_summary_does_not_stop_a_report(tmp_path):
    (tmp_path / "latest.json").write_text("{ not json")
    assert read_previous(tmp_path) is None


def test_rule_entities_and_trained_extractors_are_shown_per_entity():
    report = summary()
    figures = {"precision": 0.946, "recall": 1.0, "f1": 0.972, "support": 120}
    report["entities"] = {
        "rules": {"macro_f1": 0.972, "per_entity": {"timeframe": figures}},
        "extractors": {"DIETClassifier": {"macro_f1": 0.5, "per_entity": {"amount": {**figures, "f1": 0.5}}}},
    }
    page = render_html(report)
    assert 'id="entity-rules"' in page and "macro-F1 0.972" in page
    assert '<td>timeframe</td><td class="num">0.946</td><td class="num">1.000</td><td class="num">0.972</td>' in page
    assert "DIETClassifier (cross-validation), macro-F1 0.500" in page
    assert "The pipeline extracts no entities" not in page
    assert "The pipeline extracts no entities" in render_html(summary())
