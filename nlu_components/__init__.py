"""Custom Rasa NLU components; referenced from a pipeline as nlu_components.<module>.<Class>."""
