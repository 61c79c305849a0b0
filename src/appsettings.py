"""Process settings, read from the environment (and a `.env` file beside the project).

Every variable is documented in `.env.example`. Defaults are the embedded development
profile: SQLite files under `var/`, everything on localhost.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


@dataclass(frozen=True)
class Settings:
    database_url: str
    config_dir: Path
    var_dir: Path
    allowed_origins: list[str] = field(default_factory=list)
    environment: str = "development"

    @property
    def is_development(self) -> bool:
        return self.environment == "development"


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
    )
