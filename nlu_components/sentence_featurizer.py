"""Rasa glue: all-MiniLM-L6-v2 sentence embeddings (src/sentence_encoder/) as dense features.

Adds one 384-dimensional sentence feature per message text and no sequence features, so put a
sparse featurizer (CountVectorsFeaturizer) beside it for classifiers that need sequences (DIET).
Nothing is trained: the encoder is pretrained and fixed.

`scale` multiplies the unit-length embedding. Beside raw word counts (values of 1 and more) a
unit vector spread over 384 columns weighs little in a regularised linear classifier; scaled up,
the classifier leans on meaning more than on the exact words. The value in config.yml is
chosen by cross-validation on data/nlu (bench/pipelines/README.md), never on bench/heldout/.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from sentence_encoder import load_encoder


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Featurizes each message's text with the pretrained sentence encoder."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(execution_context.node_name, config)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "scale": 1.0}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        scale = config.get("scale", 1.0)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            raise ValueError(f"SentenceEncoderFeaturizer: scale must be a positive number, got {scale!r}")

    def process(self, messages: list[Message]) -> list[Message]:
        texted = [message for message in messages if message.get(TEXT)]
        embeddings = load_encoder().encode([message.get(TEXT) for message in texted]) * float(self._config["scale"])
        for message, embedding in zip(texted, embeddings, strict=True):
            self.add_features_to_message(sequence=None, sentence=embedding[None, :], attribute=TEXT, message=message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
