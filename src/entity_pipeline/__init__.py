"""The project's own spaCy pipeline: a blank English model plus rule-based entity patterns.

Rasa loads the saved pipeline through ``SpacyNLP`` (``model: build/spacy-en-leads``); nothing is
downloaded. Marketers edit the patterns in ``config/entity_patterns.yml``.
"""

import os

# spaCy's backend imports TensorFlow when it is installed (Rasa brings it); keep TensorFlow's
# start-up log lines out of a marketer's terminal. Must be set before spaCy is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from entity_pipeline.builder import build_pipeline, save_pipeline
from entity_pipeline.patterns import LABELS, PatternFileError, load_patterns

__all__ = ["LABELS", "PatternFileError", "build_pipeline", "load_patterns", "save_pipeline"]
