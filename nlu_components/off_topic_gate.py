"""Rasa glue for the off-topic gate in src/sentence_encoder/.

Place it after the intent classifiers (and after FallbackClassifier). Training embeds every
in-scope training example (all intents but out_of_scope) and stores the vectors with the model.
At inference a message whose score (mean cosine similarity to its `top_k` nearest in-scope
examples) is below `threshold` gets the intent out_of_scope; the classifier's ranking stays
below it, and the figures behind the decision are in the parse result under `off_topic_gate`.
Choose the threshold on the training data: bench/pipelines/gate_threshold.py.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from sentence_encoder import load_encoder, similarity_to_reference

OUT_OF_SCOPE = "out_of_scope"
EMBEDDINGS_FILE = "in_scope_embeddings.npy"
EXAMPLES_FILE = "in_scope_examples.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class OffTopicGate(GraphComponent, IntentClassifier):
    """Overrides the intent with out_of_scope when a message is unlike every in-scope example."""

    @classmethod
    def required_components(cls) -> list[type]:
        # Not [IntentClassifier]: Rasa checks this in the training graph too, where no classifier
        # feeds a trainable one. It still runs after the classifiers: the pipeline order decides.
        return []

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # threshold: from bench/pipelines/gate_threshold.py on data/nlu (see bench/pipelines/README.md).
        return {"threshold": 0.477, "top_k": 1}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        reference: np.ndarray | None = None,
        examples: list[dict[str, str]] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._reference = reference
        self._examples = examples or []  # text and intent per row of the reference embeddings

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OffTopicGate:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        self._examples = [
            {"text": example.get(TEXT), "intent": example.get(INTENT)}
            for example in training_data.intent_examples
            if example.get(TEXT) and example.get(INTENT) != OUT_OF_SCOPE
        ]
        self._reference = load_encoder().encode([example["text"] for example in self._examples])
        with self._model_storage.write_to(self._resource) as folder:
            np.save(folder / EMBEDDINGS_FILE, self._reference)
            (folder / EXAMPLES_FILE).write_text(json.dumps(self._examples), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> OffTopicGate:
        with model_storage.read_from(resource) as folder:
            reference = np.load(folder / EMBEDDINGS_FILE)
            examples = json.loads((folder / EXAMPLES_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, reference, examples)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._reference is None or not len(self._reference) or not messages:
            return messages  # trained on no in-scope examples: nothing to compare with
        embeddings = load_encoder().encode([message.get(TEXT) or "" for message in messages])
        scores, nearest = similarity_to_reference(embeddings, self._reference, self._config["top_k"])
        for message, score, index in zip(messages, scores, nearest, strict=True):
            off_topic = bool(score < self._config["threshold"])
            message.set(
                "off_topic_gate",
                {
                    "score": round(float(score), 4),
                    "threshold": self._config["threshold"],
                    "off_topic": off_topic,
                    "nearest_example": self._examples[index],
                },
                add_to_output=True,
            )
            if off_topic:
                # A rule, not a probability: confidence 1 so no later threshold undoes it.
                gated = {INTENT_NAME_KEY: OUT_OF_SCOPE, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.set(INTENT, gated, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [gated, *(message.get(INTENT_RANKING_KEY) or [])], add_to_output=True)
        return messages
