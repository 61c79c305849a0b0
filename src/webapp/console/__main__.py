"""python -m webapp.console add-user USERNAME --role ROLE [--rep-id ID] (asks for the password)"""

from __future__ import annotations

import argparse
import getpass
import os

from appconfig.settings import load_settings

from .users import ROLES, add_user


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m webapp.console", description="Manage console users.")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-user", help="add a user, or set a new password and role for one")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--rep-id", help="for a sales_rep: the roster id whose leads they see")
    add.add_argument(
        "--password-env", metavar="VAR", help="read the password from this environment variable instead of asking"
    )
    args = parser.parse_args()
    password = os.environ.get(args.password_env, "") if args.password_env else getpass.getpass("Password: ")
    try:
        user = add_user(load_settings(), args.username, args.role, password, args.rep_id)
    except ValueError as error:
        parser.exit(2, f"error: {error}\n")
    print(f"{user.username} ({user.role}) can now log in at /console/login")


if __name__ == "__main__":
    main()
