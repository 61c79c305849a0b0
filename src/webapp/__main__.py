"""python -m webapp --host 127.0.0.1 --port 8000"""

import argparse

from appconfig.logredact import install_log_redaction

from .app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m webapp", description="Run the lead-qualification web app.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--access-log", action="store_true", help="log every request")
    args = parser.parse_args()
    install_log_redaction()  # the access log has rep links' tokens in their URLs
    try:
        app = create_app()
    except ValueError as error:  # a bad setting (ConfigError is one too): say which, no traceback
        parser.exit(2, f"error: {error}\n")
    app.run(host=args.host, port=args.port, access_log=args.access_log, motd=False)


if __name__ == "__main__":
    main()
