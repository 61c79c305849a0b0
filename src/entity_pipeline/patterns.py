"""Reads and checks the entity patterns file that marketers edit."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from spacy.schemas import validate_token_pattern

LABELS = ("amount", "timeframe", "job_title", "headcount", "email")
SECTION_KEYS = ("phrases", "patterns")


class PatternFileError(ValueError):
    """The patterns file is missing, empty or has a malformed entry; the message says where."""


def load_patterns(path: str | Path) -> list[dict[str, Any]]:
    """Return the file's entries as spaCy EntityRuler patterns: ``{"label": ..., "pattern": ...}``.

    A phrase gives a string pattern, a token pattern a list of token mappings.
    Raises PatternFileError naming the file, the key/index and the problem.
    """
    path = Path(path)
    document = _read_yaml(path)
    ruler_patterns: list[dict[str, Any]] = []
    for label, section in document.items():
        where = f"{path}: {label}"
        if label not in LABELS:
            raise PatternFileError(f"{where}: unknown label; use one of {', '.join(LABELS)}")
        if not isinstance(section, dict) or not section:
            raise PatternFileError(f"{where}: expected 'phrases:' and/or 'patterns:' lists under the label")
        for key in section:
            if key not in SECTION_KEYS:
                raise PatternFileError(f"{where}: unknown key '{key}'; use 'phrases' or 'patterns'")
        for index, phrase in enumerate(_as_list(section.get("phrases", []), f"{where}.phrases")):
            ruler_patterns.append({"label": label, "pattern": _check_phrase(phrase, f"{where}.phrases[{index}]")})
        for index, tokens in enumerate(_as_list(section.get("patterns", []), f"{where}.patterns")):
            ruler_patterns.append(
                {"label": label, "pattern": _check_token_pattern(tokens, f"{where}.patterns[{index}]")}
            )
    return ruler_patterns


def extends_found_entity(pattern: str | list[dict[str, Any]]) -> bool:
    """True for a token pattern that starts from an entity already found ({ENT_TYPE: label})."""
    return isinstance(pattern, list) and "ENT_TYPE" in pattern[0]


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise PatternFileError(f"{path}: file not found")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise PatternFileError(f"{path}: not valid YAML: {error}") from None
    if document is None:
        raise PatternFileError(f"{path}: the file is empty; expected a section per label ({', '.join(LABELS)})")
    if not isinstance(document, dict):
        raise PatternFileError(f"{path}: expected a section per label ({', '.join(LABELS)}) at the top level")
    return document


def _as_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise PatternFileError(f"{where}: expected a list")
    return value


def _check_phrase(phrase: Any, where: str) -> str:
    if not isinstance(phrase, str) or not phrase.strip():
        raise PatternFileError(f"{where}: expected a non-empty phrase, got {phrase!r}")
    return phrase.strip()


def _check_token_pattern(tokens: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(tokens, list) or not tokens or not all(isinstance(token, dict) for token in tokens):
        raise PatternFileError(f"{where}: expected a list of token mappings like [{{LOWER: team}}, {{LIKE_NUM: true}}]")
    problems = validate_token_pattern(tokens)
    if problems:
        raise PatternFileError(f"{where}: malformed token pattern: {'; '.join(problems)}")
    for position, token in enumerate(tokens):
        for regex in _regexes_in(token):
            try:
                re.compile(regex)
            except re.error as error:
                raise PatternFileError(f"{where}, token {position}: bad REGEX {regex!r}: {error}") from None
        if "ENT_TYPE" in token:
            if position != 0:
                raise PatternFileError(f"{where}, token {position}: ENT_TYPE may only start a pattern")
            if token["ENT_TYPE"] not in LABELS:
                raise PatternFileError(f"{where}: ENT_TYPE {token['ENT_TYPE']!r} is not one of {', '.join(LABELS)}")
    return tokens


def _regexes_in(token: dict[str, Any]) -> list[str]:
    """The REGEX values inside one token mapping, e.g. {TEXT: {REGEX: "^\\d+k$"}}."""
    return [value["REGEX"] for value in token.values() if isinstance(value, dict) and "REGEX" in value]
