"""Building, saving and the build command line."""

import os
from pathlib import Path

import spacy

from entity_pipeline import build_pipeline, save_pipeline
from entity_pipeline.__main__ import main

PATTERNS = (
    "timeframe:\n  phrases: [asap]\namount:\n  patterns:\n    - [{TEXT: {REGEX: '^\\d+k$'}}]\n"
    "    - [{ENT_TYPE: amount, OP: '+'}, {LOWER: a}, {LOWER: month}]\n"
)


def write_patterns(tmp_path: Path, content: str = PATTERNS) -> Path:
    path = tmp_path / "entity_patterns.yml"
    path.write_text(content, encoding="utf-8")
    return path


def test_build_pipeline_is_blank_english_with_rulers(tmp_path):
    nlp = build_pipeline(write_patterns(tmp_path))
    assert nlp.lang == "en"
    assert nlp.pipe_names == ["entity_ruler", "entity_extender"]
    doc = nlp("need it asap, we have 10k a month")
    assert [(e.text, e.label_) for e in doc.ents] == [("asap", "timeframe"), ("10k a month", "amount")]


def test_no_extender_without_ent_type_patterns(tmp_path):
    nlp = build_pipeline(write_patterns(tmp_path, "timeframe:\n  phrases: [asap]\n"))
    assert nlp.pipe_names == ["entity_ruler"]


def test_saved_pipeline_loads_from_its_folder(tmp_path):
    out = tmp_path / "build" / "spacy-en-leads"
    assert save_pipeline(write_patterns(tmp_path), out) is True
    nlp = spacy.load(out)
    assert nlp.path is not None  # Rasa's SpacyNLP refuses a pipeline that was not loaded from disk
    assert [e.text for e in nlp("ASAP please").ents] == ["ASAP"]
    assert not (tmp_path / "build" / "spacy-en-leads.partial").exists()


def test_save_skips_when_up_to_date_unless_forced_or_patterns_changed(tmp_path):
    patterns, out = write_patterns(tmp_path), tmp_path / "model"
    assert save_pipeline(patterns, out) is True
    assert save_pipeline(patterns, out) is False
    assert save_pipeline(patterns, out, force=True) is True

    meta_time = (out / "meta.json").stat().st_mtime
    os.utime(patterns, (meta_time + 10, meta_time + 10))
    assert save_pipeline(patterns, out) is True


def test_cli_builds_then_reports_up_to_date(tmp_path, capsys):
    patterns, out = write_patterns(tmp_path), tmp_path / "model"
    args = ["build", "--patterns", str(patterns), "--out", str(out)]
    assert main(args) == 0
    assert main(args) == 0
    assert main([*args, "--force"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["built", "up to date, not rebuilt", "built"]


def test_cli_reports_a_broken_file_without_a_traceback(tmp_path, capsys):
    patterns = write_patterns(tmp_path, "amount:\n  phrase: [no budget]\n")
    assert main(["build", "--patterns", str(patterns), "--out", str(tmp_path / "model")]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == f"error: {patterns}: amount: unknown key 'phrase'; use 'phrases' or 'patterns'"
    assert "Traceback" not in captured.err
    assert not (tmp_path / "model").exists()
