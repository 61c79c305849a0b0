"""all-MiniLM-L6-v2 in TensorFlow: tokenize, run BERT, mean-pool over real tokens, L2-normalise.

This reproduces sentence-transformers' pipeline for this model (modules.json: Transformer, mean
Pooling, Normalize) without PyTorch: transformers' TFBertModel reads model.safetensors directly.
"""

from __future__ import annotations

import functools
import json
import os
from collections import OrderedDict
from pathlib import Path

import numpy as np

from sentence_encoder.model_files import model_dir, verify_checksums

BATCH_SIZE = 32
RECENT_TEXTS = 1024  # embeddings kept per process: the featurizer and the gate encode each message


class SentenceEncoder:
    """Turns texts into unit-length 384-dimensional vectors; cosine similarity is a dot product."""

    def __init__(self, folder: Path) -> None:
        verify_checksums(folder)
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf  # imported late: it takes seconds
        from tokenizers import Tokenizer
        from transformers import TFBertModel
        from transformers.utils import logging as transformers_logging

        # The folder has only model.safetensors (saved from PyTorch); transformers converts it to TF
        # without PyTorch. It warns about one unused buffer (embeddings.position_ids), not a weight.
        transformers_logging.set_verbosity_error()
        self._model = TFBertModel.from_pretrained(str(folder), local_files_only=True)
        max_length = json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"]
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of a batch
        self.dimension = self._model.config.hidden_size

        # A fixed signature with free batch and length dimensions: one graph, traced once.
        token_ids = tf.TensorSpec(shape=(None, None), dtype=tf.int32)
        self._embed = tf.function(self._mean_pooled, input_signature=[token_ids, token_ids])
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def _mean_pooled(self, input_ids, attention_mask):
        import tensorflow as tf

        hidden = self._model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=tf.zeros_like(input_ids),
            training=False,
        ).last_hidden_state
        mask = tf.cast(attention_mask, hidden.dtype)[:, :, tf.newaxis]
        mean = tf.reduce_sum(hidden * mask, axis=1) / tf.maximum(tf.reduce_sum(mask, axis=1), 1e-9)
        return tf.math.l2_normalize(mean, axis=1)

    def encode(self, texts: list[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
        """One row per text, float32, each of length 1.

        A message is encoded once, though both the featurizer and the off-topic gate ask for it
        (and short replies such as "yes" recur): the latest texts' rows are remembered."""
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for index, text in enumerate(texts):
            known = self._recent.get(text)
            if known is None:
                missing.setdefault(text, []).append(index)
            else:
                rows[index] = known
                self._recent.move_to_end(text)
        unique = list(missing)
        for text, row in zip(unique, self._encode_uncached(unique, batch_size)):
            rows[missing[text]] = row
            self._recent[text] = row
            if len(self._recent) > RECENT_TEXTS:
                self._recent.popitem(last=False)
        return rows

    def _encode_uncached(self, texts: list[str], batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Batches of similar length waste little on padding; the rows go back in the caller's order.
        order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            encodings = self._tokenizer.encode_batch([texts[index] for index in batch])
            input_ids = np.array([encoding.ids for encoding in encodings], dtype=np.int32)
            attention_mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int32)
            rows[batch] = self._embed(input_ids, attention_mask).numpy()
        return rows


@functools.lru_cache(maxsize=1)
def load_encoder() -> SentenceEncoder:
    """The packaged encoder, loaded once per process (a featurizer and the gate share it)."""
    return SentenceEncoder(model_dir())
