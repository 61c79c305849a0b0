"""Builds what the assistant needs (spaCy pipeline, trained model) and starts every process."""
