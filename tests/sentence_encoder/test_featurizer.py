"""nlu_components.sentence_featurizer: the embedding as Rasa's dense sentence feature, times
config.yml's `scale` (so the classifier weighs meaning against word counts)."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.sentence_featurizer import SentenceEncoderFeaturizer
from sentence_encoder import load_encoder


def featurized(config: dict) -> np.ndarray:
    featurizer = SentenceEncoderFeaturizer("encoder", {**SentenceEncoderFeaturizer.get_default_config(), **config})
    (message,) = featurizer.process([Message(data={TEXT: "we need our inbound leads routed faster"})])
    _, sentence = message.get_dense_features(TEXT)
    return sentence.features[0]


def test_the_feature_is_the_embedding_times_the_scale():
    embedding = load_encoder().encode(["we need our inbound leads routed faster"])[0]
    assert np.allclose(featurized({}), embedding)  # default 1: the unit vector itself
    assert np.allclose(featurized({"scale": 4.0}), 4.0 * embedding)


@pytest.mark.parametrize("scale", [0, -1, "4", True])
def test_a_scale_that_is_not_a_positive_number_is_refused(scale):
    with pytest.raises(ValueError, match="scale must be a positive number"):
        SentenceEncoderFeaturizer.validate_config({"scale": scale})
