"""Process settings: every environment variable the assistant reads, with its default, in one place.

`load_settings()` reads the environment (and a `.env` file beside the project, which never
overrides a variable already set). Every variable is documented in `.env.example`. Defaults are
the embedded development profile: SQLite files under `var/`, everything on localhost.

A bad value stops with one line per problem naming the variable, e.g.
`SMTP_PORT: must be a whole number, got 'abc'`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from pydantic import BaseModel, Extra, Field, ValidationError, conint, validator

from .yamlfile import Checked

PROJECT_ROOT = Path(__file__).resolve().parents[2]

Port = Checked[int, conint(ge=1, le=65535)]
PositiveInt = Checked[int, conint(ge=1)]
DatabaseNumber = Checked[int, conint(ge=0)]
LifetimeDays = Checked[int, conint(ge=1, le=400)]


PROFILES = ("embedded", "production")
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


class SettingsError(ValueError):
    """Bad environment variables; the message has one `NAME: problem, got 'value'` line each."""


class Settings(BaseModel):
    """Each field is read from the environment variable named by its alias. A field whose
    default is "" is derived from the others (see `_derived_defaults`)."""

    # --- Profile
    environment: str = Field("development", alias="LEADQUAL_ENV")
    # embedded: SQLite, one process of each kind; production: PostgreSQL, Redis, RabbitMQ,
    # replicas behind nginx (`make start-production`, deploy/).
    profile: str = Field("embedded", alias="LEADQUAL_PROFILE")
    var_dir: Path = Field(PROJECT_ROOT / "var", alias="LEADQUAL_VAR_DIR")
    config_dir: Path = Field(PROJECT_ROOT / "config", alias="LEADQUAL_CONFIG_DIR")
    # Where `make nlu-report` writes latest.html / latest.json and the console reads them.
    nlu_report_dir: Path = Field(PROJECT_ROOT / "reports" / "nlu", alias="NLU_REPORT_DIR")
    # --- Databases
    database_url: str = Field("", alias="DATABASE_URL")
    tracker_store_url: str = Field("", alias="TRACKER_STORE_URL")
    lock_store_type: str = Field("", alias="LOCK_STORE_TYPE")
    redis_host: str = Field("127.0.0.1", alias="REDIS_HOST")
    redis_port: Port = Field(6379, alias="REDIS_PORT")
    redis_lock_db: DatabaseNumber = Field(1, alias="REDIS_LOCK_DB")
    # Production profile: the rate limits' buckets, shared by every replica (webapp/limits.py).
    redis_rate_limit_db: DatabaseNumber = Field(2, alias="REDIS_RATE_LIMIT_DB")
    event_broker_url: str = Field("amqp://guest:guest@127.0.0.1:5672/%2F", alias="EVENT_BROKER_URL")
    event_broker_queue: str = Field("leadqual_events", alias="EVENT_BROKER_QUEUE")
    # --- Production profile: processes of each kind behind the proxy
    rasa_replicas: PositiveInt = Field(2, alias="RASA_REPLICAS")
    action_replicas: PositiveInt = Field(2, alias="ACTION_REPLICAS")
    outbox_workers: PositiveInt = Field(2, alias="OUTBOX_WORKERS")
    # --- Processes and ports
    rasa_port: Port = Field(5005, alias="RASA_PORT")
    rasa_host: str = Field("127.0.0.1", alias="RASA_HOST")
    action_server_port: Port = Field(5055, alias="ACTION_SERVER_PORT")
    action_server_host: str = Field("127.0.0.1", alias="ACTION_SERVER_HOST")
    action_server_token: str | None = Field(None, alias="ACTION_SERVER_TOKEN")  # use action_server_token()
    action_endpoint_url: str = Field("", alias="ACTION_ENDPOINT_URL")
    web_port: Port = Field(8000, alias="WEB_PORT")
    web_host: str = Field("127.0.0.1", alias="WEB_HOST")
    rasa_enable_api: bool = Field(False, alias="RASA_ENABLE_API")
    rasa_api_token: str | None = Field(None, alias="RASA_API_TOKEN")
    signing_key: str | None = Field(None, alias="LEADQUAL_SECRET_KEY")  # use secret_key(settings)
    console_api_token: str | None = Field(None, alias="CONSOLE_API_TOKEN")
    # --- Website
    allowed_origins: tuple[str, ...] = Field((), alias="ALLOWED_ORIGINS")
    public_base_url: str = Field("", alias="PUBLIC_BASE_URL")
    chat_socket_url: str | None = Field(None, alias="CHAT_SOCKET_URL")
    track_max_body_bytes: PositiveInt = Field(64 * 1024, alias="TRACK_MAX_BODY_BYTES")
    track_max_events: PositiveInt = Field(100, alias="TRACK_MAX_EVENTS")
    track_max_event_age_days: PositiveInt = Field(30, alias="TRACK_MAX_EVENT_AGE_DAYS")
    # How long a visitor id's proof (the lq_vid cookie) is valid; browsers keep cookies 400 days at most.
    visitor_id_lifetime_days: LifetimeDays = Field(60, alias="VISITOR_ID_LIFETIME_DAYS")
    # Signs server-to-server /track requests (X-Track-Signature); unset: such requests are refused.
    track_server_secret: str | None = Field(None, alias="TRACK_SERVER_SECRET")
    # --- Outbound messages
    smtp_host: str | None = Field(None, alias="SMTP_HOST")
    smtp_port: Port = Field(587, alias="SMTP_PORT")
    smtp_user: str | None = Field(None, alias="SMTP_USER")
    smtp_password: str | None = Field(None, alias="SMTP_PASSWORD")
    smtp_from: str = Field("leadqual@localhost", alias="SMTP_FROM")
    smtp_starttls: bool = Field(True, alias="SMTP_STARTTLS")
    email_reps: bool = Field(True, alias="EMAIL_REPS")
    slack_webhook_url: str | None = Field(None, alias="SLACK_WEBHOOK_URL")
    crm_webhook_url: str | None = Field(None, alias="CRM_WEBHOOK_URL")
    marketing_webhook_url: str | None = Field(None, alias="MARKETING_WEBHOOK_URL")

    class Config:
        allow_mutation = False
        allow_population_by_field_name = True  # tests build Settings(database_url=...)
        extra = Extra.ignore  # the environment holds much more than our variables
        error_msg_templates = {
            "type_error.integer": "must be a whole number",
            "type_error.bool": "must be true or false",
            "value_error.number.not_ge": "must be at least {limit_value}",
            "value_error.number.not_le": "must be at most {limit_value}",
        }

    @validator("profile")
    def _known_profile(cls, value: str) -> str:
        if value not in PROFILES:
            raise ValueError(f"must be one of {', '.join(PROFILES)}")
        return value

    @validator("allowed_origins", pre=True)
    def _comma_separated(cls, value: Any) -> Any:
        return tuple(item.strip() for item in value.split(",") if item.strip()) if isinstance(value, str) else value

    @validator("public_base_url", "chat_socket_url")
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @validator(
        "database_url",
        "tracker_store_url",
        "lock_store_type",
        "action_endpoint_url",
        "allowed_origins",
        "public_base_url",
        always=True,
    )
    def _derived_defaults(cls, value: Any, values: dict, field: Any) -> Any:
        if value:
            return value
        var_dir, web = values.get("var_dir", PROJECT_ROOT / "var"), values.get("web_port", 8000)
        production = values.get("profile") == "production"
        return {
            # Production defaults: the local PostgreSQL server's `test` database (trust auth on
            # the development and CI machines), one schema for the leads, one for Rasa.
            "database_url": f"{LOCAL_POSTGRES}?options=-csearch_path%3Dleadqual"
            if production
            else f"sqlite:///{var_dir / 'leads.db'}",
            "tracker_store_url": f"{LOCAL_POSTGRES}?options=-csearch_path%3Dleadqual_conversations"
            if production
            else f"sqlite:///{var_dir / 'conversations.db'}",
            "lock_store_type": "redis" if production else "in_memory",
            "action_endpoint_url": f"http://127.0.0.1:{values.get('action_server_port', 5055)}/webhook",
            "allowed_origins": (f"http://localhost:{web}", f"http://127.0.0.1:{web}"),
            "public_base_url": f"http://localhost:{web}",
        }[field.name]

    @property
    def is_production_profile(self) -> bool:
        return self.profile == "production"

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def visitor_id_lifetime_seconds(self) -> int:
        return self.visitor_id_lifetime_days * 86400

    def as_environment(self) -> dict[str, str]:
        """Every set variable as the text a child process reads back (unset optionals left out)."""
        environment = {}
        for field in self.__fields__.values():
            value = getattr(self, field.name)
            if value is None:
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, tuple):
                value = ",".join(value)
            environment[field.alias] = str(value)
        return environment


def variable_names() -> list[str]:
    """The environment variables Settings reads, in declaration order."""
    return [field.alias for field in Settings.__fields__.values()]


def settings_from(environ: Mapping[str, str]) -> Settings:
    """The one reader: Settings from environment variables. An unset or blank variable takes
    its default; values are stripped of surrounding spaces."""
    raw = {name: environ[name].strip() for name in variable_names() if (environ.get(name) or "").strip()}
    try:
        return Settings.parse_obj(raw)
    except ValidationError as error:
        problems = [f"{item['loc'][0]}: {item['msg']}, got {raw.get(str(item['loc'][0]))!r}" for item in error.errors()]
        raise SettingsError("\n".join(problems)) from None


def load_settings() -> Settings:
    """Read settings now (so tests can change the environment between calls)."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    return settings_from(os.environ)


# What the code falls back to with no variable set; view classes (SmtpSettings, ...) take their
# defaults from here so each default is written once.
DEFAULTS = settings_from({})


def _generated_secret(settings: Settings, filename: str) -> str:
    """A random secret kept in var/<filename> (0600), made on first use: development only."""
    path = settings.var_dir / filename
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # created 0600 in one step, never readable by others even for a moment
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def secret_key(settings: Settings) -> str:
    """The key that signs calendar-feed and invite links. Production sets LEADQUAL_SECRET_KEY;
    development keeps a generated one under var/ so links survive a restart."""
    if settings.signing_key:
        return settings.signing_key
    if not settings.is_development:
        raise RuntimeError("LEADQUAL_SECRET_KEY must be set outside development (see .env.example)")
    return _generated_secret(settings, "secret_key")


def action_server_token(settings: Settings) -> str:
    """The secret Rasa sends the action server (`Authorization: Bearer ...`, see endpoints.yml)
    and the action server requires. Production sets ACTION_SERVER_TOKEN; development keeps a
    generated one in var/action_server_token."""
    if settings.action_server_token:
        return settings.action_server_token
    if not settings.is_development:
        raise RuntimeError("ACTION_SERVER_TOKEN must be set outside development (see .env.example)")
    return _generated_secret(settings, "action_server_token")
