"""Process settings, read from the environment (and a `.env` file beside the project).

Every variable is documented in `.env.example`. Defaults are the embedded development
profile: SQLite files under `var/`, everything on localhost.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


@dataclass(frozen=True)
class Settings:
    database_url: str
    config_dir: Path
    var_dir: Path
    allowed_origins: list[str] = field(default_factory=list)
    environment: str = "development"
    public_base_url: str = "http://localhost:8000"

    @property
    def is_development(self) -> bool:
        return self.environment == "development"


def secret_key(settings: Settings) -> str:
    """The key that signs calendar-feed and invite links. Production sets LEADQUAL_SECRET_KEY;
    development keeps a generated one under var/ so links survive a restart."""
    configured = os.getenv("LEADQUAL_SECRET_KEY")
    if configured:
        return configured
    if not settings.is_development:
        raise RuntimeError("LEADQUAL_SECRET_KEY must be set outside development (see .env.example)")
    path = settings.var_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_settings() -> Settings:
    """Read settings now (so tests can change the environment between calls)."""
    load_dotenv(PROJECT_ROOT / ".env", override=False)
    var_dir = Path(os.getenv("LEADQUAL_VAR_DIR", PROJECT_ROOT / "var"))
    return Settings(
        database_url=os.getenv("DATABASE_URL", f"sqlite:///{var_dir / 'leads.db'}"),
        config_dir=Path(os.getenv("LEADQUAL_CONFIG_DIR", PROJECT_ROOT / "config")),
        var_dir=var_dir,
        allowed_origins=_env_list("ALLOWED_ORIGINS", "http://localhost:8000,http://127.0.0.1:8000"),
        environment=os.getenv("LEADQUAL_ENV", "development"),
        public_base_url=os.getenv("PUBLIC_BASE_URL", "http://localhost:8000").rstrip("/"),
    )
