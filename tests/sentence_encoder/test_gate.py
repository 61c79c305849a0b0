"""The gate's arithmetic on hand-made unit vectors: no model needed."""

from __future__ import annotations

import numpy as np
import pytest

from sentence_encoder import choose_threshold, leave_one_out_similarity, similarity_to_reference


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


REFERENCE = np.stack([unit(1, 0, 0), unit(1, 1, 0), unit(0, 1, 0)])


def test_score_is_the_similarity_of_the_nearest_example():
    scores, nearest = similarity_to_reference(np.stack([unit(1, 0, 0), unit(0, 0, 1)]), REFERENCE)
    assert scores == pytest.approx([1.0, 0.0])
    assert nearest[0] == 0


def test_top_k_averages_the_k_nearest():
    scores, _ = similarity_to_reference(unit(1, 0, 0)[None, :], REFERENCE, top_k=2)
    assert scores == pytest.approx([(1.0 + 0.5**0.5) / 2])


def test_leave_one_out_never_counts_an_example_as_its_own_neighbour():
    scores = leave_one_out_similarity(REFERENCE)
    # (1,0,0) and (0,1,0) are nearest to (1,1,0) at cos 45 degrees; so is (1,1,0) to either.
    assert scores == pytest.approx([0.5**0.5] * 3)


def test_threshold_separates_the_groups_at_the_widest_gap():
    assert choose_threshold(np.array([0.7, 0.8, 0.9]), np.array([0.2, 0.3])) == pytest.approx(0.5)


def test_threshold_trades_off_when_the_groups_overlap():
    # One off-topic example scores like in-scope ones: catching it would lose two in-scope examples.
    threshold = choose_threshold(np.array([0.6, 0.65, 0.8, 0.9]), np.array([0.2, 0.3, 0.7]))
    assert 0.3 < threshold <= 0.6
