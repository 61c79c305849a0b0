"""The patterns file is checked on load; a broken file names the file, the key/index and the problem."""

from pathlib import Path

import pytest

from entity_pipeline import LABELS, PatternFileError, load_patterns

PROJECT_PATTERNS = Path(__file__).resolve().parents[2] / "config" / "entity_patterns.yml"

BROKEN_FILES = [
    # (file content, pieces the error message must contain)
    ("", ["the file is empty"]),
    ("# only a comment\n", ["the file is empty"]),
    ("- amount\n- email\n", ["at the top level"]),
    ("amount: [unclosed\n", ["not valid YAML"]),
    ("budget:\n  phrases: [no budget]\n", ["budget", "unknown label", "amount, timeframe"]),
    ("amount:\n", ["amount", "expected 'phrases:' and/or 'patterns:'"]),
    ("amount:\n  phrase: [no budget]\n", ["amount", "unknown key 'phrase'"]),
    ("amount:\n  phrases: no budget\n", ["amount.phrases", "expected a list"]),
    ("amount:\n  phrases: [no budget, 42]\n", ["amount.phrases[1]", "non-empty phrase", "42"]),
    ("timeframe:\n  phrases: [asap, '  ']\n", ["timeframe.phrases[1]", "non-empty phrase"]),
    ("email:\n  patterns: [LIKE_EMAIL]\n", ["email.patterns[0]", "list of token mappings"]),
    ("email:\n  patterns: [[]]\n", ["email.patterns[0]", "list of token mappings"]),
    (
        "headcount:\n  patterns:\n    - [{LIKE_NUM: true}]\n    - [{LOWR: staff}]\n",
        ["headcount.patterns[1]", "malformed token pattern"],
    ),
    (
        "headcount:\n  patterns:\n    - [{LOWER: staff, OP: '*?!'}]\n",
        ["headcount.patterns[0]", "malformed token pattern"],
    ),
    ("amount:\n  patterns:\n    - [{TEXT: {REGEX: '^\\d+(k$'}}]\n", ["amount.patterns[0], token 0", "bad REGEX"]),
    (
        "amount:\n  patterns:\n    - [{LOWER: per}, {ENT_TYPE: amount}]\n",
        ["amount.patterns[0], token 1", "ENT_TYPE may only start"],
    ),
    (
        "amount:\n  patterns:\n    - [{ENT_TYPE: money}, {LOWER: monthly}]\n",
        ["amount.patterns[0]", "'money' is not one of"],
    ),
]


@pytest.mark.parametrize("content, expected_pieces", BROKEN_FILES)
def test_broken_file_gives_an_error_naming_file_key_and_problem(tmp_path, content, expected_pieces):
    path = tmp_path / "entity_patterns.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PatternFileError) as raised:
        load_patterns(path)
    message = str(raised.value)
    assert message.startswith(str(path))
    for piece in expected_pieces:
        assert piece in message


def test_missing_file_is_named(tmp_path):
    with pytest.raises(PatternFileError, match="nowhere.yml: file not found"):
        load_patterns(tmp_path / "nowhere.yml")


def test_phrases_and_token_patterns_become_ruler_patterns(tmp_path):
    path = tmp_path / "entity_patterns.yml"
    path.write_text("timeframe:\n  phrases: [' asap ']\n  patterns:\n    - [{LOWER: next}, {LOWER: week}]\n")
    assert load_patterns(path) == [
        {"label": "timeframe", "pattern": "asap"},
        {"label": "timeframe", "pattern": [{"LOWER": "next"}, {"LOWER": "week"}]},
    ]


def test_project_patterns_file_loads_and_covers_every_label():
    labels = {entry["label"] for entry in load_patterns(PROJECT_PATTERNS)}
    assert labels == set(LABELS)
