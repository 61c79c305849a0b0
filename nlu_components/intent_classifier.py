"""Rasa's logistic-regression intent classifier, safe for a message with no features at all.

An empty or whitespace-only message has no tokens, so neither featurizer adds anything and
scikit-learn refuses a row with no columns: the whole message would be lost with an error. Such
a message gets no intent here (confidence 0), and the FallbackClassifier turns it into
`nlu_fallback`, which the dialogue answers like any other unreadable message.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FeaturelessSafeLogisticRegression(LogisticRegressionClassifier):
    def process(self, messages: list[Message]) -> list[Message]:
        featured = [m for m in messages if m.get_sparse_features(TEXT)[1] or m.get_dense_features(TEXT)[1]]
        if featured:
            super().process(featured)
        featured_ids = {id(m) for m in featured}
        for message in messages:
            if id(message) not in featured_ids:
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        return messages
