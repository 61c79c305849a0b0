"""Writing the report: the JSON summary and one self-contained HTML page (Jinja2, autoescaped,
styles inline, no outside requests), with the previous summary kept for the next comparison."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from appconfig.settings import PROJECT_ROOT

HTML_NAME, JSON_NAME, PREVIOUS_JSON_NAME = "latest.html", "latest.json", "previous.json"

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def report_dir(configured: Path) -> Path:
    """NLU_REPORT_DIR, a relative one taken from the project folder (as `make nlu-report` runs)."""
    return configured if configured.is_absolute() else PROJECT_ROOT / configured


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


_templates.filters["signed"] = _signed
_templates.filters["figure"] = _figure


def read_previous(out_dir: Path) -> dict[str, Any] | None:
    """The summary of the last report in `out_dir`, or None when there is none (or it is unreadable:
    a broken file must not stop a new report)."""
    path = out_dir / JSON_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def render_html(summary: dict[str, Any]) -> str:
    return _templates.get_template("report.html").render(report=summary)


def write_report(summary: dict[str, Any], out_dir: Path) -> Path:
    """latest.json and latest.html in `out_dir`; the summary they replace becomes previous.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    latest_json = out_dir / JSON_NAME
    page = render_html(summary)  # rendered first: a template error leaves the last report intact
    if latest_json.exists():
        os.replace(latest_json, out_dir / PREVIOUS_JSON_NAME)
    _write_atomically(latest_json, json.dumps(summary, indent=2, ensure_ascii=False))
    html_path = out_dir / HTML_NAME
    _write_atomically(html_path, page)
    return html_path


def _write_atomically(path: Path, text: str) -> None:
    # The console may serve the page while it is written: replace it whole.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
