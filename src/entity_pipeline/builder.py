"""Builds and saves the blank English pipeline with the project's entity rulers."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import cast

import spacy
from spacy.language import Language
from spacy.pipeline import EntityRuler

from entity_pipeline.patterns import extends_found_entity, load_patterns

PIPELINE_NAME = "leads_entities"


def build_pipeline(patterns_path: str | Path) -> Language:
    """A blank English pipeline whose entity rulers follow the patterns file.

    Patterns that extend an entity already found ({ENT_TYPE: ...}) go into a second ruler,
    because a ruler only sees the entities set by the components before it.
    """
    patterns = load_patterns(patterns_path)
    nlp = spacy.blank("en")
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["description"] = f"Blank English + rule-based entities from {Path(patterns_path).name}"
    ruler_config = {"phrase_matcher_attr": "LOWER", "validate": True}
    # add_pipe is typed as returning any Pipe; "entity_ruler" makes an EntityRuler.
    ruler = cast(EntityRuler, nlp.add_pipe("entity_ruler", name="entity_ruler", config=ruler_config))
    ruler.add_patterns([p for p in patterns if not extends_found_entity(p["pattern"])])
    extensions = [p for p in patterns if extends_found_entity(p["pattern"])]
    if extensions:
        extender_config = {**ruler_config, "overwrite_ents": True}
        extender = cast(EntityRuler, nlp.add_pipe("entity_ruler", name="entity_extender", config=extender_config))
        extender.add_patterns(extensions)
    return nlp


def save_pipeline(patterns_path: str | Path, out_dir: str | Path, force: bool = False) -> bool:
    """Build the pipeline and save it to ``out_dir``; return False when it was already up to date.

    Up to date means ``out_dir/meta.json`` is newer than the patterns file.
    """
    patterns_path, out_dir = Path(patterns_path), Path(out_dir)
    meta = out_dir / "meta.json"
    if (
        not force
        and meta.is_file()
        and patterns_path.is_file()
        and meta.stat().st_mtime > patterns_path.stat().st_mtime
    ):
        return False
    nlp = build_pipeline(patterns_path)
    # Write next to the target first so a failed save never leaves half a pipeline behind.
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(staging)
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return True
