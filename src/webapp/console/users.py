"""Console users and their roles.

Two files, same format: `config/users.yml` (edited by the operator, committed) and
`$LEADQUAL_VAR_DIR/console_users.yml` (written by `python -m webapp.console add-user` and by the
first start; under var/, which git ignores, so generated password hashes never land in the
repository). A username in both files takes the var/ entry (the newer password).

    users:
      - username: ana
        role: sales_rep
        rep_id: ana          # the roster id whose leads this user sees
        password_hash: $argon2id$...
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import constr

from appconfig.settings import Settings
from appconfig.yamlfile import ConfigModel, parse_config

Role = Literal["sales_rep", "sales_manager", "marketer", "admin"]
ROLES: tuple[str, ...] = ("sales_rep", "sales_manager", "marketer", "admin")
# Who sees every lead, and who sees the funnel and speed-to-lead figures.
SEES_ALL_LEADS = {"sales_manager", "admin"}
SEES_REPORTS = {"sales_manager", "marketer", "admin"}

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class ConsoleUser(ConfigModel):
    username: constr(regex=r"^[A-Za-z0-9_.@-]{1,64}$")  # type: ignore[valid-type]
    role: Role
    rep_id: str | None = None
    password_hash: str | None = None  # a user without one cannot log in


class UsersFile(ConfigModel):
    users: list[ConsoleUser] = []


def load_users_file(path: Path) -> UsersFile:
    return parse_config(UsersFile, path)


def config_path(settings: Settings) -> Path:
    return settings.config_dir / "users.yml"


def local_path(settings: Settings) -> Path:
    return settings.var_dir / "console_users.yml"


def load_users(settings: Settings) -> dict[str, ConsoleUser]:
    users: dict[str, ConsoleUser] = {}
    for path in (config_path(settings), local_path(settings)):
        if path.exists():
            users.update({user.username: user for user in parse_config(UsersFile, path).users})
    return users


def add_user(settings: Settings, username: str, role: str, password: str, rep_id: str | None = None) -> ConsoleUser:
    """Add or replace a user in the var/ file; the password is stored as an argon2id hash."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if role == "sales_rep" and not rep_id:
        raise ValueError("a sales_rep needs --rep-id (the roster id whose leads they see)")
    if len(password) < 8:
        raise ValueError("the password must have at least 8 characters")
    user = ConsoleUser(
        username=username,
        role=role,  # type: ignore[arg-type]  # checked against ROLES above
        rep_id=rep_id,
        password_hash=_hasher.hash(password),
    )
    path = local_path(settings)
    existing = parse_config(UsersFile, path).users if path.exists() else []
    kept = [u.dict(exclude_none=True) for u in existing if u.username != username]
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside, then renamed, so a crash never leaves half a file; 0600 as it holds hashes.
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump({"users": [*kept, user.dict(exclude_none=True)]}, sort_keys=False))
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return user


def ensure_first_admin(settings: Settings) -> str | None:
    """On a fresh install (no user anywhere) create `admin` with a random password and return
    the password, to be printed once; otherwise None."""
    if load_users(settings):
        return None
    password = secrets.token_urlsafe(12)
    add_user(settings, "admin", "admin", password)
    return password


def authenticate(users: dict[str, ConsoleUser], username: str, password: str) -> ConsoleUser | None:
    user = users.get(username)
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user if user and user.password_hash else None
