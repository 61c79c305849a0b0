"""Product questions answered from config/faq.yml; a broken file names the key and the problem."""

import pytest

from appconfig.yamlfile import ConfigError
from faq import load_faq


@pytest.fixture(scope="module")
def shipped():
    return load_faq("config/faq.yml")


@pytest.mark.parametrize(
    "question, about",
    [
        ("do you integrate with pipedrive?", "CRM integrations"),
        ("Any chance it syncs with HubSpot", "CRM integrations"),
        ("which calendars does it book into, outlook?", "calendars"),
        ("is it self-hosted or SaaS", "hosting"),
        ("can we self host it", "hosting"),
        # Two topics named: the one with more of its words wins ("gdpr" and "compliant").
        ("is the chat widget gdpr compliant", "security and privacy"),
        ("does it run on a raspberry pi", None),
    ],
)
def test_a_question_finds_the_entry_whose_words_it_uses(shipped, question, about):
    entry = shipped.match(question)
    assert (entry.about if entry else None) == about


def test_on_a_tie_the_first_listed_entry_wins(tmp_path):
    path = tmp_path / "faq.yml"
    path.write_text(
        "entries:\n  - {about: first, words: [api], answer: one}\n  - {about: second, words: [api], answer: two}\n"
    )
    assert load_faq(path).match("got an API?").answer == "one"


@pytest.mark.parametrize(
    "text, key, problem",
    [
        ("{}\n", "entries", "is required"),
        (
            "entries:\n  - {about: a, words: [], answer: b}\n",
            "entries[0].words",
            "give at least one word or phrase that marks the question",
        ),
        (
            "entries:\n  - {about: a, words: ['?!'], answer: b}\n",
            "entries[0].words[0]",
            "'?!' is not a word or phrase",
        ),
        ("entries:\n  - {about: a, words: [api]}\n", "entries[0].answer", "is required"),
    ],
)
def test_a_broken_faq_file_names_the_key_and_the_problem(tmp_path, text, key, problem):
    path = tmp_path / "faq.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_faq(path)
    assert (raised.value.path, raised.value.key, raised.value.problem) == (str(path), key, problem)
