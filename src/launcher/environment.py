"""The environment every process of the stack runs with: `.env` first, then these defaults.

The defaults are the embedded profile (SQLite files under var/, in-memory lock store) so a new
user needs no outside service. `.env.example` documents every variable.
"""
from __future__ import annotations

import os

from dotenv import dotenv_values

from appconfig.settings import PROJECT_ROOT

VAR_DIR = PROJECT_ROOT / "var"


def stack_environment(overrides: dict[str, str] | None = None) -> dict[str, str]:
    ports = {
        "RASA_PORT": "5005",
        "ACTION_SERVER_PORT": "5055",
        "WEB_PORT": "8000",
    }
    merged: dict[str, str] = {**ports}
    merged.update({k: v for k, v in dotenv_values(PROJECT_ROOT / ".env").items() if v is not None})
    merged.update({k: v for k, v in os.environ.items()})
    merged.update(overrides or {})
    var_dir = merged.setdefault("LEADQUAL_VAR_DIR", str(VAR_DIR))
    defaults = {
        "DATABASE_URL": f"sqlite:///{var_dir}/leads.db",
        "TRACKER_STORE_URL": f"sqlite:///{var_dir}/conversations.db",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{merged['ACTION_SERVER_PORT']}/webhook",
        "LOCK_STORE_TYPE": "in_memory",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",
        "REDIS_LOCK_DB": "1",
        "ALLOWED_ORIGINS": f"http://localhost:{merged['WEB_PORT']},http://127.0.0.1:{merged['WEB_PORT']}",
        "PUBLIC_BASE_URL": f"http://localhost:{merged['WEB_PORT']}",
        # Rasa must not try to reach the internet (telemetry) and TensorFlow need not chatter.
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }
    for key, value in defaults.items():
        merged.setdefault(key, value)
    return merged
