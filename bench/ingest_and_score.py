"""Benchmark: ingest behavioural events in batches, then score single visitors.

    PYTHONPATH=src:. python bench/ingest_and_score.py --events 1000000 --visitors 100000 --backend both

Ingest: synthetic events (types, pages and times over the last 90 days) are stored through
`leaddb.events.ingest_events`, the library's bulk path that /track uses, in batches; events/s
counts the time spent inside ingest_events (building the batches is not timed). The spread is
skewed as on a real site: `--heavy-share` of the events belong to the 1% "heavy" visitors
(hundreds of events each), the rest spread over everyone (a handful each).

Scoring: `visitor_events` (the indexed DB read) plus `score_behaviour` with
config/behaviour.yml, timed together, as the assistant does when a visitor starts to chat; for
random visitors, and separately for heavy ones.

Both databases get the migrated schema (`LeadStore.from_url`), as the application has it:
SQLite on a temporary file, PostgreSQL in a schema of its own, dropped at the end.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from leaddb import LeadStore
from leaddb.events import TrackedEvent, ingest_events, visitor_events
from scoring.behaviour import load_behaviour_rules, score_behaviour

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# (event type, path, weight): roughly what a B2B site sees.
EVENT_MIX = [
    ("page_view", "/", 25),
    ("page_view", "/blog/how-to-qualify-leads", 20),
    ("page_view", "/product", 12),
    ("page_view", "/pricing", 10),
    ("page_view", "/customers/acme", 5),
    ("page_view", "/careers", 3),
    ("pricing_view", "/pricing", 3),
    ("content_download", "/resources/roi-guide", 6),
    ("webinar_registration", "/webinars/q3", 2),
    ("webinar_attendance", None, 1),
    ("form_submit", "/contact", 2),
    ("demo_request", "/demo", 1),
    ("email_open", None, 5),
    ("email_click", "/pricing", 4),
    ("unsubscribe", None, 1),
]


def heavy_visitors(visitors: int) -> int:
    """How many of the visitors are heavy: the first 1% of the ids."""
    return max(1, visitors // 100)


def synthetic_batches(
    events: int, visitors: int, batch_size: int, now: datetime, heavy_share: float, seed: int = 7
) -> Iterator[list[TrackedEvent]]:
    rng = random.Random(seed)
    heavy = heavy_visitors(visitors)
    kinds = [(kind, path) for kind, path, _ in EVENT_MIX]
    weights = [weight for _, _, weight in EVENT_MIX]
    batch: list[TrackedEvent] = []
    for _ in range(events):
        kind, path = rng.choices(kinds, weights)[0]
        properties = {"title": "ROI guide"} if kind == "content_download" else {}
        if rng.random() < 0.002:
            properties["email_domain"] = "rivalcrm.com"
        batch.append(
            TrackedEvent(
                event_id=f"{rng.getrandbits(128):032x}",
                visitor_id=f"bench-{rng.randrange(heavy) if rng.random() < heavy_share else rng.randrange(visitors):08d}",
                type=kind,
                occurred_at=now - timedelta(seconds=rng.uniform(0, 90 * 86400)),
                url=f"https://www.example.com{path}" if path else None,
                referrer="https://www.google.com/" if rng.random() < 0.3 else None,
                utm={"source": "newsletter", "medium": "email"} if kind == "email_click" else {},
                properties=properties,
            )
        )
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def server_process(engine) -> int | None:
    """The PostgreSQL backend's process id (the pool hands ingest the same connection each time)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar()


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU of a local process, from /proc (0 when it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(backend: str, url: str, args) -> None:
    store = LeadStore.from_url(url)  # applies the migrations
    try:
        _run(backend, store.engine, args)
    finally:
        store.engine.dispose()


def _run(backend: str, engine, args) -> None:
    now = datetime.now(timezone.utc)

    ingest_seconds, client_cpu, accepted, duplicates = 0.0, 0.0, 0, 0
    server = server_process(engine)
    server_cpu = cpu_seconds(server)
    wall_start = time.perf_counter()
    for batch in synthetic_batches(args.events, args.visitors, args.batch_size, now, args.heavy_share):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = ingest_events(engine, batch)
        ingest_seconds += time.perf_counter() - started
        client_cpu += time.process_time() - started_cpu
        accepted += result.accepted
        duplicates += result.duplicates
    wall = time.perf_counter() - wall_start
    print(
        f"[{backend}] ingested {accepted:,} events ({duplicates:,} duplicates) for {args.visitors:,} visitors "
        f"in batches of {args.batch_size}: {accepted / ingest_seconds:,.0f} events/s inside ingest_events "
        f"({ingest_seconds:.1f} s; {wall:.1f} s wall including generating the events)"
    )
    # The machine may be shared: CPU time per event says what the wall clock cannot.
    server_part = ""
    if server is not None and server == server_process(engine):
        server_part = f", PostgreSQL backend {(cpu_seconds(server) - server_cpu) / accepted * 1e6:.1f} us"
    print(
        f"[{backend}] CPU per event stored: Python {client_cpu / accepted * 1e6:.1f} us{server_part}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )

    # Resending a batch must cost little too: every event in it is a duplicate.
    first_batch = next(synthetic_batches(args.batch_size, args.visitors, args.batch_size, now, args.heavy_share))
    started = time.perf_counter()
    resend = ingest_events(engine, first_batch)
    print(
        f"[{backend}] resending one batch of {args.batch_size}: {resend.duplicates} duplicates in {(time.perf_counter() - started) * 1000:.1f} ms"
    )

    rules = load_behaviour_rules(PROJECT_ROOT / "config" / "behaviour.yml")
    rng = random.Random(11)
    heavy = heavy_visitors(args.visitors)
    for label, pick in [
        ("random visitors", lambda: rng.randrange(args.visitors)),
        ("heavy visitors", lambda: rng.randrange(heavy)),
    ]:
        score_visitors(backend, engine, rules, now, label, pick, args.samples)


def score_visitors(backend, engine, rules, now, label, pick, samples) -> None:
    reads, scores, totals, cpu, event_counts = [], [], [], [], []
    server = server_process(engine)
    server_cpu = 0.0
    for sample in range(samples + 20):
        visitor = f"bench-{pick():08d}"
        if sample == 20:  # the first lookups warm the connection pool and caches
            server_cpu = cpu_seconds(server)
        started, started_cpu = time.perf_counter(), time.process_time()
        events = visitor_events(engine, visitor, since=rules.window_start(now))
        read = time.perf_counter()
        score_behaviour(rules, events, now)
        done = time.perf_counter()
        if sample >= 20:
            reads.append((read - started) * 1000)
            scores.append((done - read) * 1000)
            totals.append((done - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            event_counts.append(len(events))
    server_part = ""
    if server is not None and server == server_process(engine):
        server_part = f", PostgreSQL backend {(cpu_seconds(server) - server_cpu) / len(totals) * 1000:.2f} ms"
    print(
        f"[{backend}] score one visitor, {len(totals)} {label}, events each: mean {statistics.mean(event_counts):.1f}, "
        f"max {max(event_counts)}; CPU per visitor: Python {statistics.mean(cpu):.2f} ms{server_part}; "
        f"load average {os.getloadavg()[0]:.1f}:"
    )
    for name, values in [("DB read + score", totals), ("  DB read", reads), ("  score", scores)]:
        print(
            f"[{backend}]   {name:<16} p50 {percentile(values, 0.50):.2f} ms, p95 {percentile(values, 0.95):.2f} ms, "
            f"p99 {percentile(values, 0.99):.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--visitors", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=2000, help="visitors to score, of each kind")
    parser.add_argument(
        "--heavy-share", type=float, default=0.2, help="share of the events that belong to the 1%% heavy visitors"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"ingest_and_score: {vars(args)}", flush=True)

    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="bench-events-") as folder:
            run("sqlite", f"sqlite:///{folder}/leads.db", args)

    if args.backend in ("postgres", "both"):
        schema = f"bench_events_{random.randrange(16**8):08x}"
        admin = create_engine(args.postgres_url, future=True)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        separator = "&" if "?" in args.postgres_url else "?"
        try:
            run("postgres", f"{args.postgres_url}{separator}options=-csearch_path%3D{schema}", args)
        finally:
            drop_schema(admin, schema)
            admin.dispose()


@retry(
    retry=retry_if_exception_type(OperationalError),
    stop=stop_after_delay(120),
    wait=wait_fixed(2),
    reraise=True,
)
def drop_schema(admin, schema: str) -> None:
    # Other work on the machine restarts PostgreSQL now and then: wait for it rather than leave
    # the schema behind.
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


if __name__ == "__main__":
    main()
