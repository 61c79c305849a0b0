"""The environment every process of the stack runs with: the environment, then `.env`, then
the defaults of `appconfig.settings.Settings` (the embedded profile: SQLite files under var/,
in-memory lock store, so a new user needs no outside service). `.env.example` documents every
variable. Development also gets the action server's shared secret and LEADQUAL_SECRET_KEY,
generated on first start."""

from __future__ import annotations

import os

from dotenv import dotenv_values

from appconfig.settings import PROJECT_ROOT, action_server_token, secret_key, settings_from

# Not settings: Rasa must not try to reach the internet (telemetry), TensorFlow need not chatter.
QUIET_CHILD_PROCESSES = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
}


def stack_environment(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Raises appconfig.settings.SettingsError naming each bad variable."""
    merged = {key: value for key, value in dotenv_values(PROJECT_ROOT / ".env").items() if value is not None}
    merged.update(os.environ)
    merged.update(overrides or {})
    # Every setting spelled out, so endpoints.yml (${TRACKER_STORE_URL}, ...) and each child read the same values.
    settings = settings_from(merged)
    merged.update(settings.as_environment())
    if settings.is_development:
        # Rasa (endpoints.yml) and the action server must hold the same secret; development
        # generates one on first start and keeps it in var/action_server_token (0600).
        merged["ACTION_SERVER_TOKEN"] = action_server_token(settings)
        # The web app signs visitor ids with it and Rasa's channels check them: one key for both.
        merged["LEADQUAL_SECRET_KEY"] = secret_key(settings)
    for key, value in QUIET_CHILD_PROCESSES.items():
        merged.setdefault(key, value)
    # Rasa imports the project's own modules by path (actions, channels, nlu_components).
    merged["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), merged.get("PYTHONPATH")]))
    return merged
