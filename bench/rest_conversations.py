"""20 concurrent conversations through Rasa's REST channel, each a full qualification, against
this assistant in each profile and, in the same run, against Rasa's starter bot (`rasa init`,
same version).

    .venv/bin/python bench/rest_conversations.py [--conversations 20] [--rounds 3] [--skip-baseline]
        [--profiles embedded,production] [--turn-cost [--turns 40]]

Prints messages/s and p50/p95 reply latency for each. The production profile (replicas behind
nginx, PostgreSQL, Redis, RabbitMQ) is started as `make start-production` starts it, with its
own schemas and queue. `--turn-cost` also prints the cost of one message at turns 5, 20 and 40
(60, 80 with --turns 80) of a long conversation (embedded profile, one visitor at a time), and the
mean of five turns in a row (the same five messages) up to turns 20, 40 (60, 80). Figures only; nothing is
asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from launcher.build import ensure_model
from launcher.environment import stack_environment
from launcher.stack import Stack
from tests.support.identity import proof_headers
from tests.support.production_stack import running_production_profile
from tests.support.servers import config_without_rate_limits

QUALIFICATION = [
    "hi there",
    "we need a faster way to route inbound leads to the right rep",
    "within two months",
    "I'm VP of sales, it's my call",
    "around 25k a year",
    "Tailspin Toys",
    "about 600 people",
    "Morgan Lee",
    "morgan.lee@tailspin-toys.com",
]
# What the website's widget sends with every message (the starter bot ignores it).
WIDGET_METADATA = {"timezone": "Europe/Berlin"}
# The starter bot knows greet / mood / bot challenge / goodbye; same number of messages.
STARTER = ["hello", "i am great", "are you a bot?", "I'm sad", "yes", "no", "are you human?", "perfect", "bye"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _conversation(
    client: httpx.AsyncClient, url: str, env: dict[str, str], script: list[str], latencies: list[float]
) -> None:
    sender = f"bench-{uuid.uuid4().hex[:10]}"
    headers = proof_headers(sender, env)  # the channel takes a sender only with its proof
    for text in script:
        started = time.perf_counter()
        response = await client.post(
            url, json={"sender": sender, "message": text, "metadata": WIDGET_METADATA}, headers=headers
        )
        response.raise_for_status()
        latencies.append(time.perf_counter() - started)


async def _load(url: str, env: dict[str, str], script: list[str], conversations: int, rounds: int) -> dict:
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=120) as client:
        # Warm-up, not counted: each replica's first model call and first action are slow, so
        # every conversation's first two messages go in at once, reaching every replica.
        await asyncio.gather(*(_conversation(client, url, env, script[:2], []) for _ in range(conversations)))
        started = time.perf_counter()
        for _ in range(rounds):
            await asyncio.gather(*(_conversation(client, url, env, script, latencies) for _ in range(conversations)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "messages": len(latencies),
        "seconds": elapsed,
        "messages_per_s": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
    }


def _report(name: str, figures: dict) -> None:
    print(
        f"{name:<22} {figures['messages']:>6} msgs {figures['seconds']:>7.1f} s "
        f"{figures['messages_per_s']:>8.1f} msg/s  p50 {figures['p50_ms']:>7.0f} ms  p95 {figures['p95_ms']:>7.0f} ms",
        flush=True,
    )


def _embedded_environment(var_dir: Path) -> dict[str, str]:
    """The embedded profile in its own folder, on free ports."""
    env = stack_environment(
        {
            "LEADQUAL_VAR_DIR": str(var_dir),
            # One bench client sends far more than the shipped per-address chat limits.
            "LEADQUAL_CONFIG_DIR": str(config_without_rate_limits(var_dir)),
            "DATABASE_URL": f"sqlite:///{var_dir}/leads.db",
            "TRACKER_STORE_URL": f"sqlite:///{var_dir}/conversations.db",
            "RASA_PORT": str(_free_port()),
            "ACTION_SERVER_PORT": str(_free_port()),
            "WEB_PORT": str(_free_port()),
        }
    )
    env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{env['ACTION_SERVER_PORT']}/webhook"
    return env


def bench_assistant(conversations: int, rounds: int) -> dict:
    var_dir = Path(tempfile.mkdtemp(prefix="bench-stack-"))
    env = _embedded_environment(var_dir)
    ensure_model(env)
    with Stack(env, only=("actions", "rasa")):
        url = f"http://127.0.0.1:{env['RASA_PORT']}/webhooks/rest/webhook"
        return asyncio.run(_load(url, env, QUALIFICATION, conversations, rounds))


def bench_production(conversations: int, rounds: int) -> dict:
    with running_production_profile() as stack:
        url = f"{stack.chat_url}/webhooks/rest/webhook"
        return asyncio.run(_load(url, stack.env, QUALIFICATION, conversations, rounds))


# After the qualification, a visitor who keeps talking: questions and small talk, up to turn 40.
CHATTER = ["what integrations do you have?", "ok thanks", "do you work with hubspot?", "cool", "how long is setup?"]


async def _turn_costs(url: str, env: dict[str, str], visitors: int, turns: int) -> dict[int, float]:
    per_turn: dict[int, list[float]] = {}
    async with httpx.AsyncClient(timeout=120) as client:
        await _conversation(client, url, env, QUALIFICATION[:1], [])  # warm-up
        for _ in range(visitors):
            sender = f"bench-long-{uuid.uuid4().hex[:10]}"
            headers = proof_headers(sender, env)
            script = (QUALIFICATION + CHATTER * turns)[:turns]
            for turn, message in enumerate(script, start=1):
                started = time.perf_counter()
                response = await client.post(
                    url, json={"sender": sender, "message": message, "metadata": WIDGET_METADATA}, headers=headers
                )
                response.raise_for_status()
                per_turn.setdefault(turn, []).append(time.perf_counter() - started)
    return {turn: 1000 * statistics.median(values) for turn, values in per_turn.items()}


def bench_turn_cost(visitors: int = 5, turns: int = 40) -> dict[int, float]:
    var_dir = Path(tempfile.mkdtemp(prefix="bench-long-"))
    env = _embedded_environment(var_dir)
    with Stack(env, only=("actions", "rasa")):
        url = f"http://127.0.0.1:{env['RASA_PORT']}/webhooks/rest/webhook"
        return asyncio.run(_turn_costs(url, env, visitors, turns))


def bench_starter_bot(conversations: int, rounds: int) -> dict:
    rasa = str(Path(sys.executable).with_name("rasa"))
    env = stack_environment()
    folder = Path(tempfile.mkdtemp(prefix="rasa-init-"))
    print("Training Rasa's starter bot (rasa init) for the baseline...", flush=True)
    subprocess.run(
        [rasa, "init", "--no-prompt", "--init-dir", str(folder)],
        cwd=folder,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = _free_port()
    log = open(folder / "rasa.log", "wb")
    server = subprocess.Popen(
        [rasa, "run", "--interface", "127.0.0.1", "--port", str(port), "--model", "models"],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"starter bot did not start; see {folder / 'rasa.log'}")
            time.sleep(0.5)
        # Stock Rasa ignores the proof header the bench sends.
        url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
        return asyncio.run(_load(url, env, STARTER, conversations, rounds))
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--profiles", default="embedded,production", help="comma separated: embedded, production")
    parser.add_argument("--turn-cost", action="store_true", help="also: cost per message at turns 5, 20, 40")
    parser.add_argument("--turns", type=int, default=40, help="with --turn-cost: the long conversation's length")
    args = parser.parse_args()
    print(
        f"{args.conversations} concurrent conversations x {args.rounds} rounds, {len(QUALIFICATION)} messages each",
        flush=True,
    )
    ensure_model(stack_environment())
    results = {}
    for profile in [name.strip() for name in args.profiles.split(",") if name.strip()]:
        run = {"embedded": bench_assistant, "production": bench_production}[profile]
        results[profile] = run(args.conversations, args.rounds)
        _report(f"this assistant, {profile}", results[profile])
    if not args.skip_baseline:
        starter = bench_starter_bot(args.conversations, args.rounds)
        _report("rasa init starter bot", starter)
        for profile, figures in results.items():
            print(
                f"throughput ratio ({profile} / starter): {figures['messages_per_s'] / starter['messages_per_s']:.2f}"
            )
    if args.turn_cost:
        costs = bench_turn_cost(turns=args.turns)
        shown = [t for t in (5, 20, 40, 60, 80) if t <= args.turns]
        print("cost per message (median of 5 visitors): " + ", ".join(f"turn {t}: {costs[t]:.0f} ms" for t in shown))
        # From turn 10 on the visitor repeats CHATTER's five messages: five turns in a row are the
        # same mix wherever they fall, so their mean compares turn 20 with turn 40 or 80 fairly.
        windows = [t for t in shown if t >= 10 + len(CHATTER)]
        window_means = {t: statistics.mean(costs[u] for u in range(t - len(CHATTER) + 1, t + 1)) for t in windows}
        print(
            f"mean of the {len(CHATTER)} messages up to: "
            + ", ".join(f"turn {t}: {window_means[t]:.0f} ms" for t in windows)
        )


if __name__ == "__main__":
    main()
