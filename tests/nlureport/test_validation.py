"""Reading `rasa data validate` output: Rasa's findings, not other packages' noise."""

from __future__ import annotations

from nlureport.validation import read_findings

SITE = "/venv/lib/python3.10/site-packages"
OUTPUT = f"""{SITE}/rasa/shared/utils/validation.py:134: DeprecationWarning: pkg_resources is deprecated as an API.
  import pkg_resources
2026-12-03 13:55:37 INFO     rasa.validator  - Validating intents...
\x1b[93m{SITE}/rasa/shared/utils/io.py:100: UserWarning: The intent 'stop' is not used in any story or rule.
\x1b[0m2026-12-03 13:55:37 INFO     rasa.validator  - Validating utterances...
\x1b[93m{SITE}/rasa/shared/utils/io.py:100: UserWarning: The utterance 'utter_bye' is not used in any story or rule.
\x1b[0m2026-12-03 13:55:38 ERROR    rasa.validator  - Story structure conflict after intent 'greet':
  utter_greet predicted in 'happy path'
  utter_hello predicted in 'other path'
2026-12-03 13:55:38 INFO     rasa.validator  - Done.
"""


def test_rasa_findings_with_their_level_and_whole_message():
    validation = read_findings(OUTPUT, 1)
    assert [(f["level"], f["message"], f["expected"]) for f in validation["findings"]] == [
        ("error", "rasa data validate failed (exit 1); see the log beside the report", False),
        ("warning", "The intent 'stop' is not used in any story or rule.", False),
        ("warning", "The utterance 'utter_bye' is not used in any story or rule.", True),
        (
            "error",
            "Story structure conflict after intent 'greet':\nutter_greet predicted in 'happy path'\n"
            "utter_hello predicted in 'other path'",
            False,
        ),
    ]
    assert (validation["errors"], validation["warnings"], validation["expected"]) == (2, 1, 1)


def test_a_clean_run_has_no_findings():
    assert read_findings("2026-12-03 13:55:37 INFO     rasa.validator  - Validating intents...\n", 0)["findings"] == []
