"""Running the commands the report is made of, each one a child process with its log kept."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class StepFailed(RuntimeError):
    """A command the report needs exited with an error; the message names it and its log."""


@dataclass(frozen=True)
class Completed:
    returncode: int
    output: str  # the log: stdout and stderr, or stderr alone when stdout went to its own file
    stdout: str  # what went to stdout_path, when one was given
    seconds: float


def run_logged(
    command: list[str],
    log_path: Path,
    env: dict[str, str],
    cwd: str | Path | None = None,
    check: bool = True,
    stdout_path: Path | None = None,
) -> Completed:
    """Run `command` with its output in `log_path` (stdout apart in `stdout_path` when given, for
    commands that print JSON); with `check`, a non-zero exit raises StepFailed naming the log."""
    log_path = log_path.resolve()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        if stdout_path is None:
            completed = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        else:
            with stdout_path.open("w", encoding="utf-8") as stdout:
                completed = subprocess.run(command, stdout=stdout, stderr=log, env=env, cwd=cwd)
    seconds = time.monotonic() - started
    if check and completed.returncode != 0:
        raise StepFailed(f"{' '.join(command)} failed (exit {completed.returncode}); see {log_path}")
    return Completed(
        returncode=completed.returncode,
        output=log_path.read_text(encoding="utf-8", errors="replace"),
        stdout=stdout_path.read_text(encoding="utf-8") if stdout_path else "",
        seconds=seconds,
    )
