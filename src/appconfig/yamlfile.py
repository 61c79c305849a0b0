"""Loading operator-edited YAML files with errors that name the file, the key and the problem.

Each config file is declared once, as a pydantic model (a `ConfigModel`), and read with
`parse_config`, so a marketer who breaks a file is told exactly where, e.g.
`config/scoring.yml: thresholds.sql: must be a number, got text 'high'`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError, validator
from pydantic.fields import SHAPE_SINGLETON

if TYPE_CHECKING:
    from pydantic.error_wrappers import ErrorDict

Model = TypeVar("Model", bound=BaseModel)
_MISSING = object()


class ConfigError(ValueError):
    def __init__(self, path: Path | str, key: str, problem: str):
        self.path, self.key, self.problem = str(path), key, problem
        where = f"{self.path}: {key}" if key else self.path
        super().__init__(f"{where}: {problem}")


def load_yaml(path: Path | str) -> dict:
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
        raise ConfigError(path, "", f"must be a mapping of keys to values, got {kind(data)}")
    return data


def parse_config(model_class: type[Model], path: Path | str) -> Model:
    """Load a YAML file and validate it with `model_class`; the first problem found becomes a
    ConfigError naming the file, the dotted key and the problem."""
    data = load_yaml(path)
    try:
        return model_class.parse_obj(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = [part for part in first["loc"] if part != "__root__"] + list(first.get("ctx", {}).get("at", ()))
        raise ConfigError(path, dotted_key(loc), _problem(first, model_class, data, loc)) from None


class ConfigModel(BaseModel):
    """A mapping in a config file: unknown keys are errors (a misspelt key silently ignored is
    worse), and the loaded rules cannot be changed by accident."""

    class Config:
        extra = "forbid"
        frozen = True


def at_least_one(field: str, what: str) -> classmethod:
    """A validator refusing an empty list: `_some_rules = at_least_one("rules", "rule")`."""

    def check(items: Any) -> Any:
        if not items:
            raise ValueError(f"must list at least one {what}")
        return items

    return validator(field, allow_reuse=True)(check)


class ProblemAt(ValueError):
    """Raised by a validator about a key below the one it validates, e.g. a top-level check
    that `rules[1].group` names a defined group: `ProblemAt(("rules", 1, "group"), "...")`."""

    def __init__(self, at: tuple, problem: str):
        super().__init__(problem)
        self.at = at


# -- value types with the project's wording ----------------------------------------------------
# pydantic's own types would read "60" as a number and "no" as false; an operator's file is
# checked strictly instead, and the messages say what was found.


if TYPE_CHECKING:
    from typing import Annotated as Checked
else:

    class Checked:
        """`Checked[int, integer(minimum=1)]`: a field holding an int, checked by `integer(minimum=1)`.
        pydantic validates with the checked type (the second argument); mypy, reading `Annotated`,
        types the field as the value the check returns (the first)."""

        def __class_getitem__(cls, types: tuple) -> type:
            _value_type, checked_type = types
            return checked_type


class CheckedValue:
    """A field type checked by its own `validate` classmethod (pydantic's hook)."""

    @classmethod
    def __get_validators__(cls):
        yield cls.validate

    @classmethod
    def validate(cls, value: Any) -> Any:
        """The loaded value, or a TypeError/ValueError saying in words what is wrong."""
        raise NotImplementedError


class Number(CheckedValue, float):
    """A YAML number (not true/false, not quoted text), optionally within bounds: `number(minimum=0)`."""

    minimum: float | None = None
    maximum: float | None = None
    whole = False

    @classmethod
    def validate(cls, value: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"must be a number, got {kind(value)} {value!r}")
        if cls.whole and int(value) != value:
            raise ValueError(f"must be a whole number, got {value}")
        if cls.minimum is not None and value < cls.minimum:
            raise ValueError(f"must be at least {cls.minimum}, got {value}")
        if cls.maximum is not None and value > cls.maximum:
            raise ValueError(f"must be at most {cls.maximum}, got {value}")
        return int(value) if cls.whole else value


def number(minimum: float | None = None, maximum: float | None = None) -> type[Number]:
    return type("Number", (Number,), {"minimum": minimum, "maximum": maximum})


def integer(minimum: int | None = None, maximum: int | None = None) -> type[Number]:
    return type("Integer", (Number,), {"minimum": minimum, "maximum": maximum, "whole": True})


class Text(CheckedValue, str):
    """Non-empty text."""

    @classmethod
    def validate(cls, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise TypeError(f"must be non-empty text, got {kind(value)}")
        return value


class Choice(CheckedValue, str):
    """Text that must be one of `options`: `choice(EVENT_TYPES, "event type")`."""

    options: tuple[str, ...] = ()
    what = "value"

    @classmethod
    def validate(cls, value: Any) -> str:
        if value not in cls.options:
            raise ValueError(f"unknown {cls.what} {value!r} (expected one of: {', '.join(cls.options)})")
        return value


def choice(options: Iterable[str], what: str) -> type[Choice]:
    return type("Choice", (Choice,), {"options": tuple(options), "what": what})


class Flag(CheckedValue, int):
    """true or false."""

    @classmethod
    def validate(cls, value: Any) -> bool:
        if not isinstance(value, bool):
            raise TypeError(f"must be true or false, got {kind(value)} {value!r}")
        return value


def kind(value: Any, *, none: str = "nothing", mapping: str = "a mapping") -> str:
    """What sort of value this is, in words for an error message (YAML's words unless told)."""
    if value is None:
        return none
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: mapping}.get(
        type(value), type(value).__name__
    )


# -- turning a pydantic error into words ----------------------------------------------------


def dotted_key(loc: Iterable[str | int]) -> str:
    """("events", 2, "occurred_at") -> "events[2].occurred_at"; "" for the top level."""
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += f".{part}" if key else str(part)
    return key


def _problem(error: ErrorDict, model_class: type[BaseModel], data: Any, loc: list) -> str:
    kind_of_error = error["type"]
    if kind_of_error == "value_error.missing":
        return "is required"
    if kind_of_error == "value_error.extra":
        return f"unknown key (expected one of: {', '.join(_keys_at(model_class, loc[:-1]))})"
    value = _value_at(data, loc)
    if kind_of_error == "type_error.none.not_allowed":
        return "must not be empty"
    if kind_of_error == "type_error.dict":
        return f"must be a mapping, got {kind(value)}"
    if kind_of_error in ("type_error.list", "type_error.tuple", "type_error.set", "type_error.frozenset"):
        return f"must be a list, got {kind(value)} {value!r}"
    return error["msg"]  # the project's own validators already say it in words


def _keys_at(model_class: type[BaseModel], loc: list) -> list[str]:
    """The keys allowed in the mapping at `loc`, found by following the models' fields."""
    current, skip_item = model_class, False
    for part in loc:
        if skip_item:  # a list index or a mapping key inside a List[...] / Dict[...] field
            skip_item = False
            continue
        field = {field.alias: field for field in current.__fields__.values()}[part]
        current, skip_item = field.type_, field.shape != SHAPE_SINGLETON
    return sorted(field.alias for field in current.__fields__.values())


def _value_at(data: Any, loc: list) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return data
