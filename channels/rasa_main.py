"""`rasa`, with the project's log redaction installed before Rasa logs anything.

    python -m channels.rasa_main run --model ... (the same arguments as `rasa`)

The launcher starts Rasa this way, so no email address or link token reaches rasa.log at
INFO or above (appconfig.logredact), whatever Rasa, Sanic or an exception prints, and Rasa runs
without the waste channels.rasa_speedups removes."""

from __future__ import annotations

from appconfig.logredact import install_log_redaction


def main() -> None:
    install_log_redaction()
    from rasa.__main__ import main as rasa_main

    from channels import rasa_speedups

    rasa_speedups.install()

    rasa_main()


if __name__ == "__main__":
    main()
