"""`python -m launcher start` builds what is missing and runs the whole assistant.

Commands: start (default), build (train only), check (validate config files).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
import warnings

from appconfig.settings import PROJECT_ROOT, SettingsError, settings_from
from webapp.console.users import ensure_first_admin

from .build import BuildError, ensure_model
from .checks import check_configs, check_environment
from .environment import stack_environment
from .stack import Stack, StackError


def _check(env: dict[str, str]) -> bool:
    problems = check_configs(settings_from(env).config_dir) + check_environment(env)
    for problem in problems:
        print(f"config error: {problem}", file=sys.stderr)
    return not problems


def _check_in_a_child(env: dict[str, str]) -> bool:
    """The same check in a process of its own: loading the config files imports spaCy (and with
    it TensorFlow), several hundred MB the supervising launcher need not hold for its lifetime."""
    return (
        subprocess.run([sys.executable, "-m", "launcher", "check", "--quiet"], cwd=PROJECT_ROOT, env=env).returncode
        == 0
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m launcher", description=__doc__)
    parser.add_argument("command", nargs="?", default="start", choices=["start", "build", "check"])
    parser.add_argument("--retrain", action="store_true", help="train even if nothing changed")
    parser.add_argument("--quiet", action="store_true", help="check: print only problems")
    args = parser.parse_args(argv)
    # Rasa's and TensorFlow's imports (training, the model check) warn about their own
    # dependencies: no news for the person starting the assistant.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        env = stack_environment()
    except SettingsError as error:
        for problem in str(error).splitlines():
            print(f"config error: {problem}", file=sys.stderr)
        return 2

    if args.command == "check":
        if not _check(env):
            return 2
        if not args.quiet:
            print("All config files are valid.")
        return 0
    if not _check_in_a_child(env):
        return 2
    try:
        ensure_model(env, force=args.retrain)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.command == "build":
        return 0

    stack = Stack(env)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        print("Starting the action server, Rasa and the website (Rasa takes a minute to load)...", flush=True)
        stack.start()
        web, rasa = env["WEB_PORT"], env["RASA_PORT"]
        first_admin = ensure_first_admin(settings_from(env))
        print(
            f"\nReady.\n"
            f"  Website with the chat:  http://localhost:{web}/\n"
            f"  Rasa REST channel:      POST http://localhost:{rasa}/webhooks/rest/webhook\n"
            f'                          {{"sender": "visitor-1", "message": "hi"}}\n'
            f"  Console:                http://localhost:{web}/console\n"
            + (f"                          first start: log in as admin / {first_admin}\n" if first_admin else "")
            + f"  Logs:                   {stack.log_dir}\n"
            f"Press Ctrl+C to stop.",
            flush=True,
        )
        while True:
            for name in stack.supervise():
                print(f"{name} exited; started it again (see {stack.log_dir / (name + '.log')})", flush=True)
            time.sleep(1)
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
