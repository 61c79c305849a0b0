"""The pipeline component that gives a question in config/faq.yml's words the intent ask_product."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from faq import load_faq
from nlu_components.product_questions import ProductQuestions


def _message(text: str, intent: str) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": 0.4})
    message.set("intent_ranking", [{"name": intent, "confidence": 0.4}])
    return message


@pytest.fixture(scope="module")
def component():
    return ProductQuestions(load_faq("config/faq.yml"))


@pytest.mark.parametrize(
    "text, intent, expected",
    [
        ("do you integrate with pipedrive?", "nlu_fallback", "ask_product"),
        ("can we self host it", "out_of_scope", "ask_product"),
        ("does it work with google calendar", "inform", "ask_product"),
        # Not a question: an answer that mentions the CRM stays an answer.
        ("we want leads pushed into salesforce automatically", "inform", "inform"),
        # A question the FAQ has no words for is left to the classifier.
        ("does it run on a raspberry pi?", "out_of_scope", "out_of_scope"),
        # A demo request naming a feature is a demo request; "how do I" is a customer's question.
        ("could we get a demo of the salesforce sync?", "request_demo", "request_demo"),
        ("how do we connect salesforce to it?", "inform", "inform"),
        # Pricing, support and a person keep their own answers.
        ("how much is the salesforce integration?", "ask_pricing", "ask_pricing"),
        ("how do i reconnect our hubspot integration?", "support_request", "support_request"),
    ],
)
def test_a_question_in_the_faqs_words_becomes_a_product_question(component, text, intent, expected):
    (message,) = component.process([_message(text, intent)])
    assert message.get("intent")["name"] == expected
    if expected == "ask_product":
        assert message.get("intent")["confidence"] == 1.0
        assert message.get("intent_ranking")[1]["name"] == intent  # the classifier's view is kept below
