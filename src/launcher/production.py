"""The production profile on one machine, wired as an operator runs it across several:
PostgreSQL (lead database and Rasa's tracker store), the Redis lock store, Rasa's event broker
to RabbitMQ with the analytics consumer, RASA_REPLICAS Rasa processes and ACTION_REPLICAS action
servers behind nginx, one web app and OUTBOX_WORKERS outbox workers.

The public ports stay those of the embedded profile (WEB_PORT, RASA_PORT) and belong to the
proxy, as does ACTION_SERVER_PORT on loopback (Rasa's action endpoint). Replica n of a kind
listens on loopback at that kind's port + n: Rasa on RASA_PORT+1.., action servers on
ACTION_SERVER_PORT+1.., the web app on WEB_PORT+1. The proxy's configuration is rendered from
deploy/nginx.conf.j2, Rasa reads deploy/endpoints.yml.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from appconfig.settings import PROJECT_ROOT, Settings, settings_from

DEPLOY_DIR = PROJECT_ROOT / "deploy"
ENDPOINTS = DEPLOY_DIR / "endpoints.yml"
PROXY_TEMPLATE = "nginx.conf.j2"


def replica_ports(base: int, count: int) -> list[int]:
    return [base + n for n in range(1, count + 1)]


def proxy_config(settings: Settings, run_dir: Path, log_dir: Path) -> str:
    """deploy/nginx.conf.j2 filled with this machine's replicas."""
    environment = Environment(
        loader=FileSystemLoader(DEPLOY_DIR), undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    return environment.get_template(PROXY_TEMPLATE).render(
        listen_host=settings.web_host,
        web_port=settings.web_port,
        rasa_port=settings.rasa_port,
        action_port=settings.action_server_port,
        web_internal_port=settings.web_port + 1,
        rasa_ports=replica_ports(settings.rasa_port, settings.rasa_replicas),
        action_ports=replica_ports(settings.action_server_port, settings.action_replicas),
        run_dir=run_dir,
        log_dir=log_dir,
    )


def write_proxy_config(env: dict[str, str]) -> Path:
    """var/proxy/nginx.conf (and nginx's temp folders), rendered for this start."""
    settings = settings_from(env)
    run_dir = settings.var_dir / "proxy"
    log_dir = settings.var_dir / "logs"
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "nginx.conf"
    path.write_text(proxy_config(settings, run_dir, log_dir))
    return path


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def postgres_schema(url: str) -> str | None:
    """The schema a `?options=-csearch_path%3Dname` URL works in, if any."""
    options = make_url(url).query.get("options", "")
    if isinstance(options, tuple):
        options = " ".join(options)
    for option in options.split():
        if option.startswith("-csearch_path="):
            return option.split("=", 1)[1].split(",")[0].strip('"') or None
    return None


def ensure_postgres_schema(url: str) -> None:
    """Create the URL's schema when it names one (PostgreSQL creates tables only in one that exists)."""
    parsed = make_url(url)
    schema = postgres_schema(url)
    if not parsed.drivername.startswith("postgresql") or not schema:
        return
    engine = create_engine(parsed.set(query={}), future=True)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        engine.dispose()


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def check_production(env: dict[str, str]) -> list[str]:
    """What the production profile cannot start without, one line each, naming the variable."""
    settings = settings_from(env)
    problems = []
    if nginx_binary() is None:
        problems.append("the production profile's proxy is nginx, which is not installed (apt-get install nginx-light)")
    for name, url in (("DATABASE_URL", settings.database_url), ("TRACKER_STORE_URL", settings.tracker_store_url)):
        if not make_url(url).drivername.startswith("postgresql"):
            problems.append(f"{name}: the production profile needs PostgreSQL, got {make_url(url).drivername}")
            continue
        try:
            ensure_postgres_schema(url)
        except SQLAlchemyError as error:
            problems.append(
                f"{name}: cannot reach PostgreSQL ({type(error).__name__}: {str(error.orig or error)[:200]})"
            )
    if settings.lock_store_type != "redis":
        problems.append(
            f"LOCK_STORE_TYPE: several Rasa processes need the redis lock store, got {settings.lock_store_type!r}"
        )
    if not _reachable(settings.redis_host, settings.redis_port):
        problems.append(f"REDIS_HOST / REDIS_PORT: no Redis answers at {settings.redis_host}:{settings.redis_port}")
    broker = urlsplit(settings.event_broker_url)
    if broker.scheme not in ("amqp", "amqps") or not broker.hostname:
        problems.append(f"EVENT_BROKER_URL: must be an amqp:// URL, got {settings.event_broker_url!r}")
    elif not _reachable(broker.hostname, broker.port or 5672):
        problems.append(f"EVENT_BROKER_URL: no RabbitMQ answers at {broker.hostname}:{broker.port or 5672}")
    return problems


def prepare_tracker_store(url: str) -> None:
    """Rasa's events table made once, before the replicas start (they would race to make it)."""
    from leaddb.privacy import TRACKER_EVENTS

    engine = create_engine(url, future=True)
    try:
        TRACKER_EVENTS.metadata.create_all(engine)
    finally:
        engine.dispose()
