"""Predictive lead scoring: learn conversion probability from a CRM export (CSV, 0/1 target).

from scoring.predictive import load_model
model = load_model("model.zip")
model.predict_proba([{"Lead Source": "Google", "TotalVisits": "3"}])  # -> [0.41]
"""

from .features import Feature
from .model import LeadModel, ModelFileError, evaluate, load_model, train
from .table import DataError, read_csv

__all__ = [
    "DataError",
    "Feature",
    "LeadModel",
    "ModelFileError",
    "evaluate",
    "load_model",
    "read_csv",
    "train",
]
