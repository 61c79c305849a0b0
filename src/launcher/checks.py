"""Load every operator-edited config file once, so a broken one stops start-up with a message
naming the file, the key and the problem instead of failing in the middle of a conversation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from appconfig.yamlfile import ConfigError


def _loaders() -> list[tuple[str, Callable[[Path], object]]]:
    from entity_pipeline import load_patterns
    from handoff import load_nurture, load_roster
    from scoring.behaviour import load_behaviour_rules
    from scoring.qualification import load_qualification_rules
    from webapp.console.users import load_users_file
    from webapp.privacy import load_privacy

    return [
        ("scoring.yml", load_qualification_rules),
        ("behaviour.yml", load_behaviour_rules),
        ("roster.yml", load_roster),
        ("nurture.yml", load_nurture),
        ("entity_patterns.yml", load_patterns),
        ("users.yml", load_users_file),
        ("privacy.yml", load_privacy),
    ]


def config_files() -> list[str]:
    """The names of the files under the config folder that `check_configs` validates."""
    return [filename for filename, _ in _loaders()]


def check_configs(config_dir: Path) -> list[str]:
    """Every problem found, one line each; empty when all files are valid."""
    problems = []
    for filename, load in _loaders():
        try:
            load(config_dir / filename)
        except ConfigError as error:
            problems.append(str(error))
        except ValueError as error:  # loaders of other libraries raise their own ValueError subclasses
            problems.append(f"{config_dir / filename}: {error}")
    return problems


def check_environment(env: dict[str, str]) -> list[str]:
    """Settings production must not run without (development has safe defaults)."""
    if env.get("LEADQUAL_ENV", "development") == "development":
        return []
    required = {
        "RASA_API_TOKEN": "protects Rasa's HTTP API (conversations, model management)",
        "LEADQUAL_SECRET_KEY": "signs calendar-feed and invite links",
    }
    return [
        f"{name} must be set when LEADQUAL_ENV={env['LEADQUAL_ENV']}: it {why}"
        for name, why in required.items()
        if not env.get(name)
    ]
