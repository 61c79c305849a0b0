"""Loading operator-edited YAML files with errors that name the file, the key and the problem.

Every config loader in the project reads through `load_yaml` and checks values with
`Section`, so a marketer who breaks a file is told exactly where, e.g.
`config/scoring.yml: thresholds.sql: must be a number, got 'high'`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Optional

import yaml

_MISSING = object()


class ConfigError(ValueError):
    def __init__(self, path: Path | str, key: str, problem: str):
        self.path, self.key, self.problem = str(path), key, problem
        where = f"{self.path}: {key}" if key else self.path
        super().__init__(f"{where}: {problem}")


def load_yaml(path: Path | str) -> "Section":
    """Parse a YAML file whose top level is a mapping."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found") from None
    except OSError as exc:
        raise ConfigError(path, "", f"cannot be read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(path, "", f"is not valid YAML{at}: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        raise ConfigError(path, "", "is empty")
    if not isinstance(data, dict):
        raise ConfigError(path, "", f"must be a mapping of keys to values, got {_kind(data)}")
    return Section(data, path, "")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__
    )


class Section:
    """A mapping inside a config file that knows where it is, for error messages."""

    def __init__(self, data: dict, path: Path | str, key: str):
        self.data, self.path, self.key = data, path, key

    def where(self, name: str | int) -> str:
        if isinstance(name, int):
            return f"{self.key}[{name}]"
        return f"{self.key}.{name}" if self.key else str(name)

    def error(self, name: str | int, problem: str) -> ConfigError:
        return ConfigError(self.path, self.where(name), problem)

    def keys(self) -> Iterable[str]:
        return self.data.keys()

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def check_keys(self, allowed: Iterable[str]) -> None:
        """Reject unknown keys: a misspelt key silently ignored is worse than an error."""
        allowed = set(allowed)
        for name in self.data:
            if name not in allowed:
                raise self.error(name, f"unknown key (expected one of: {', '.join(sorted(allowed))})")

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        if name not in self.data:
            if default is _MISSING:
                raise self.error(name, "is required")
            return default
        return self.data[name]

    def section(self, name: str, default: Any = _MISSING) -> "Section":
        value = self.raw(name, {} if default is _MISSING else default)
        if value is None and default is not _MISSING:
            value = {}
        if not isinstance(value, dict):
            raise self.error(name, f"must be a mapping, got {_kind(value)}")
        return Section(value, self.path, self.where(name))

    def sections(self, name: str, default: Any = _MISSING) -> list["Section"]:
        """A list of mappings."""
        values = self.list(name, default)
        key = self.where(name)
        out = []
        for index, value in enumerate(values):
            if not isinstance(value, dict):
                raise ConfigError(self.path, f"{key}[{index}]", f"must be a mapping, got {_kind(value)}")
            out.append(Section(value, self.path, f"{key}[{index}]"))
        return out

    def list(self, name: str, default: Any = _MISSING) -> list:
        value = self.raw(name, default)
        if not isinstance(value, list):
            raise self.error(name, f"must be a list, got {_kind(value)}")
        return value

    def str(self, name: str, default: Any = _MISSING, choices: Optional[Iterable[str]] = None) -> str:
        value = self.raw(name, default)
        if value is None and default is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, f"must be non-empty text, got {_kind(value)}")
        if choices is not None and value not in set(choices):
            raise self.error(name, f"must be one of {', '.join(sorted(choices))}, got {value!r}")
        return value

    def number(self, name: str, default: Any = _MISSING, minimum: float | None = None, maximum: float | None = None) -> float:
        value = self.raw(name, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(name, f"must be a number, got {_kind(value)} {value!r}")
        if minimum is not None and value < minimum:
            raise self.error(name, f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise self.error(name, f"must be at most {maximum}, got {value}")
        return value

    def integer(self, name: str, default: Any = _MISSING, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self.number(name, default, minimum, maximum)
        if value is not None and int(value) != value:
            raise self.error(name, f"must be a whole number, got {value}")
        return None if value is None else int(value)

    def bool(self, name: str, default: Any = _MISSING) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise self.error(name, f"must be true or false, got {_kind(value)} {value!r}")
        return value
