"""Rasa glue: a question that uses config/faq.yml's words is a product question (ask_product).

Place it last in the pipeline. No training examples: a product question reads like many other
intents' messages ("can it ...", "does it work with ..."), and an intent trained on such
questions drew confidence from them, so more visitors' answers fell below the fallback threshold
(measured on the conversation corpus). The FAQ's own words say what the assistant can answer.
Only messages read as inform, a demo request, off-topic or unclear are relabelled (not a demo
request in demo words, nor "how do I ...", which is a customer's); pricing, support, a request for
a person and the other requests keep their own answers.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from appconfig.settings import load_settings
from faq import Faq, load_faq
from scoring.in_form import is_question, says_its_intent

PRODUCT_QUESTION = "ask_product"
RELABELLED = frozenset({"inform", "request_demo", "out_of_scope", "nlu_fallback"})


# "How do I connect HubSpot?": someone who uses the product already asks how, a prospect asks
# whether ("does it connect to HubSpot?").
_HOW_DO_I = re.compile(r"^\W*how (do|can|should) (i|we)\b", re.IGNORECASE)


def _another_request(text: str, intent: str) -> bool:
    """A demo request that names a feature ("a demo of the lead routing?"), or a usage question."""
    return (intent == "request_demo" and says_its_intent(text, intent)) or bool(_HOW_DO_I.search(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ProductQuestions(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> list[type]:
        return []

    def __init__(self, faq: Faq) -> None:
        self._faq = faq

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ProductQuestions:
        return cls(load_faq(load_settings().config_dir / "faq.yml"))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            text = message.get(TEXT) or ""
            if intent not in RELABELLED or not is_question(text) or _another_request(text, intent):
                continue
            entry = self._faq.match(text)
            if entry is None:
                continue
            # A rule, not a probability: confidence 1 so no later threshold undoes it.
            product = {INTENT_NAME_KEY: PRODUCT_QUESTION, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, product, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [product, *(message.get(INTENT_RANKING_KEY) or [])], add_to_output=True)
            message.set("product_question", {"about": entry.about}, add_to_output=True)
        return messages
