"""Load every operator-edited config file once, so a broken one stops start-up with a message
naming the file, the key and the problem instead of failing in the middle of a conversation;
and refuse to start with secrets that protect nothing (`check_environment`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from appconfig.settings import PROJECT_ROOT, settings_from
from appconfig.yamlfile import ConfigError, load_yaml


def _loaders() -> list[tuple[str, Callable[[Path], object]]]:
    from entity_pipeline import load_patterns
    from faq import load_faq
    from handoff import load_free_mail, load_industries, load_nurture, load_roster, load_sla
    from scoring.behaviour import load_behaviour_rules
    from scoring.qualification import load_qualification_rules
    from webapp.console.users import load_users_file
    from webapp.limits import load_limits
    from webapp.privacy import load_privacy

    return [
        ("scoring.yml", load_qualification_rules),
        ("behaviour.yml", load_behaviour_rules),
        ("roster.yml", load_roster),
        ("free_mail.yml", load_free_mail),
        ("industries.yml", load_industries),
        ("nurture.yml", load_nurture),
        ("sla.yml", load_sla),
        ("entity_patterns.yml", load_patterns),
        ("users.yml", load_users_file),
        ("privacy.yml", load_privacy),
        ("limits.yml", load_limits),
        ("experiments.yml", _load_experiments),
        ("faq.yml", load_faq),
    ]


def _load_experiments(path: Path) -> object:
    """experiments.yml, with each variant's opening checked against domain.yml's responses."""
    from experiments import load_experiments

    return load_experiments(path, responses=set(load_yaml(PROJECT_ROOT / "domain.yml").get("responses") or {}))


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


# Words that mark a value copied from an example rather than generated.
PLACEHOLDER_WORDS = ("changeme", "change", "secret", "token", "password", "example", "test", "xxx", "your", "todo")
MIN_TOKEN_LENGTH = 32
GENERATE_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def token_problem(name: str, value: str | None) -> str | None:
    """Why `value` cannot protect an internal service, or None. A token must be at least 32
    characters and random: not a placeholder (change-me, secret, test, xxx, ...) nor a few
    characters repeated."""
    if not value:
        return f"{name} is not set: generate one with {GENERATE_HINT}"
    if len(value) < MIN_TOKEN_LENGTH:
        return (
            f"{name} is too short ({len(value)} characters, at least {MIN_TOKEN_LENGTH} random ones needed): "
            f"generate one with {GENERATE_HINT}"
        )
    rest = "".join(character for character in value.lower() if character.isalnum())
    for word in PLACEHOLDER_WORDS:
        rest = rest.replace(word, "")
    # A random 32-character hex token may hold only 9 distinct characters, so distinctness alone
    # cannot tell; a placeholder leaves little once its words are gone, or a handful of characters.
    if len(rest) < MIN_TOKEN_LENGTH // 2 or len(set(rest)) < 6:
        return f"{name} looks like a placeholder, not a random value: generate one with {GENERATE_HINT}"
    return None


def check_environment(env: dict[str, str]) -> list[str]:
    """Settings the stack must not start without. Development has safe defaults (a generated
    action-server secret, Rasa's HTTP API off); production must set its secrets, and wherever
    Rasa's HTTP API is on it needs a strong RASA_API_TOKEN."""
    settings = settings_from(env)
    problems = []
    if settings.rasa_enable_api or settings.rasa_api_token:
        problem = token_problem("RASA_API_TOKEN", settings.rasa_api_token)
        if problem:
            problems.append(f"{problem} (it protects Rasa's HTTP API: transcripts, tracker events, models)")
    if not settings.is_development or settings.action_server_token:
        problem = token_problem("ACTION_SERVER_TOKEN", settings.action_server_token)
        if problem:
            problems.append(f"{problem} (Rasa sends it to the action server, which refuses requests without it)")
    if not settings.is_development and not settings.signing_key:
        problems.append(
            f"LEADQUAL_SECRET_KEY must be set when LEADQUAL_ENV={settings.environment}: "
            "it signs calendar-feed and invite links"
        )
    return problems
