"""The off-topic gate: how close is a message to anything the assistant was trained on?

Embeddings are unit-length rows, so a matrix product gives cosine similarities. A message's score
is the mean similarity of its `top_k` nearest reference examples (top_k=1: the nearest one); a
score below the threshold means the message is unlike every in-scope example: off-topic.
"""

from __future__ import annotations

import numpy as np


def similarity_to_reference(
    messages: np.ndarray, reference: np.ndarray, top_k: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Per message: its score and the index of its nearest reference example."""
    similarities = messages @ reference.T
    return _top_k_mean(similarities, top_k), similarities.argmax(axis=1)


def leave_one_out_similarity(reference: np.ndarray, top_k: int = 1) -> np.ndarray:
    """Each reference example's score against all the others: how in-scope messages score."""
    similarities = reference @ reference.T
    np.fill_diagonal(similarities, -np.inf)  # an example is not its own neighbour
    return _top_k_mean(similarities, top_k)


def _top_k_mean(similarities: np.ndarray, top_k: int) -> np.ndarray:
    k = min(top_k, similarities.shape[1])
    return np.sort(similarities, axis=1)[:, -k:].mean(axis=1)


def choose_threshold(in_scope_scores: np.ndarray, off_topic_scores: np.ndarray) -> float:
    """The threshold that best separates in-scope from off-topic training scores.

    Maximises balanced accuracy (share of off-topic below plus share of in-scope at or above,
    halved); among equally good cut points it takes the midpoint of the widest gap, so the
    threshold does not sit on one example's score.
    """
    in_scope = np.sort(np.asarray(in_scope_scores, dtype=float))
    off_topic = np.asarray(off_topic_scores, dtype=float)
    scores = np.unique(np.concatenate([in_scope, off_topic]))
    candidates = (scores[:-1] + scores[1:]) / 2
    off_topic_caught = (off_topic[:, None] < candidates).mean(axis=0)
    in_scope_kept = (in_scope[:, None] >= candidates).mean(axis=0)
    balanced = (off_topic_caught + in_scope_kept) / 2
    best = np.flatnonzero(np.isclose(balanced, balanced.max()))
    gaps = scores[best + 1] - scores[best]
    return float(candidates[best[gaps.argmax()]])
