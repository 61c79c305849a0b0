"""The conversation corpus (tests/conversations/) through pytest, read back from its JUnit XML:
which scripted visitors failed, why, and what was said (the corpus test prints each turn as
`visitor: ...` / `bot: ...`, which pytest keeps for failed tests with junit_logging=system-out)."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

TRANSCRIPT_LINE = re.compile(r"^(visitor|bot): (.*)$")
MAX_DETAIL = 4000  # characters of a failure's traceback kept in the report


def pytest_command(tests: str, junit_path: Path, extra: list[str] | None = None) -> list[str]:
    """pytest over `tests`, writing a JUnit file that keeps the captured output of failed tests."""
    return [
        sys.executable,
        "-m",
        "pytest",
        tests,
        f"--junitxml={junit_path}",
        "-o",
        "junit_logging=system-out",
        "-o",
        "junit_log_passing_tests=false",
        "-o",
        "junit_family=xunit1",
        "-p",
        "no:cacheprovider",
        "-q",
        *(extra or []),
    ]


def _visitor_name(test_name: str) -> str:
    """`test_visitor[basics: terse CTO]` -> `basics: terse CTO`; other tests keep their name."""
    match = re.fullmatch(r"[^\[]+\[(.*)\]", test_name)
    return match.group(1) if match else test_name


def _transcript(captured: str) -> list[dict[str, str]]:
    turns = []
    for line in captured.splitlines():
        match = TRANSCRIPT_LINE.match(line)
        if match:
            turns.append({"speaker": match.group(1), "text": match.group(2)})
    return turns


def read_junit(path: Path) -> dict[str, Any]:
    """Passed, failed (with reason, detail and transcript), known failures and skipped tests."""
    root = ElementTree.parse(path).getroot()
    passed, failed, known, skipped = [], [], [], []
    for case in root.iter("testcase"):
        name = _visitor_name(case.get("name", ""))
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        skip = case.find("skipped")
        if problem is not None:
            captured = "\n".join(node.text or "" for node in case.iter("system-out"))
            failed.append(
                {
                    "name": name,
                    "test": f"{case.get('classname', '')}::{case.get('name', '')}",
                    "reason": (problem.get("message") or "").strip()[:MAX_DETAIL],
                    "detail": (problem.text or "").strip()[-MAX_DETAIL:],
                    "transcript": _transcript(captured),
                }
            )
        elif skip is not None and skip.get("type") == "pytest.xfail":
            known.append({"name": name, "reason": (skip.get("message") or "").strip()})
        elif skip is not None:
            skipped.append({"name": name, "reason": (skip.get("message") or "").strip()})
        else:
            passed.append(name)
    return {
        "total": len(passed) + len(failed) + len(known) + len(skipped),
        "passed": len(passed),
        "failed": failed,
        "known_failures": known,
        "skipped": skipped,
    }
