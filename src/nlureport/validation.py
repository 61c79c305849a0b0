"""Reading the findings of `rasa data validate` from its output."""

from __future__ import annotations

import re
from typing import Any

# Rasa reports through Python warnings raised in its own code ("/.../rasa/validator.py:99:
# UserWarning: message", a message may run over several lines) and through its log ("2026-12-03
# 14:00:00 ERROR    rasa.validator  - message"). Warnings from other packages (deprecations in
# setuptools, jax, ...) say nothing about the data and are left out.
WARNING_LINE = re.compile(r"^\S*/rasa/\S*:\d+: (?P<category>UserWarning|FutureWarning): (?P<message>.*)$")
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # Rasa colours its warnings on a terminal and in logs
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d+)?\s+(?P<level>WARNING|ERROR|CRITICAL)\s+\S+\s+-\s+(?P<message>.*)$"
)
ANY_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
# Responses that custom actions send by name look unused to the validator: expected, shown apart.
EXPECTED = re.compile(r"^The utterance '[^']*' is not used in any story or rule")


def read_findings(output: str, returncode: int) -> dict[str, Any]:
    """Errors and warnings in the validator's output; a non-zero exit is an error of its own."""
    findings: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for line in ANSI_COLOUR.sub("", output).splitlines():
        warning, logged = WARNING_LINE.match(line), LOG_LINE.match(line)
        if warning or logged:
            if warning:
                level, message = "warning", warning.group("message")
            else:
                assert logged is not None
                level = "warning" if logged.group("level") == "WARNING" else "error"
                message = logged.group("message")
            current = {"level": level, "message": message.strip()}
            findings.append(current)
        elif current is not None and line.strip() and not ANY_LOG_LINE.match(line) and line.startswith(" "):
            current["message"] += "\n" + line.strip()  # the rest of a message that spans lines
        else:
            current = None
    for finding in findings:
        finding["expected"] = bool(EXPECTED.match(finding["message"]))
    if returncode != 0:
        findings.insert(
            0,
            {
                "level": "error",
                "message": f"rasa data validate failed (exit {returncode}); see the log beside the report",
                "expected": False,
            },
        )
    unique: list[dict[str, Any]] = []
    for finding in findings:
        if finding not in unique:
            unique.append(finding)
    return {
        "returncode": returncode,
        "errors": sum(f["level"] == "error" for f in unique),
        "warnings": sum(f["level"] == "warning" and not f["expected"] for f in unique),
        "expected": sum(f["expected"] for f in unique),
        "findings": unique,
    }
