"""`techscaniq webhooks secret --org NAME [--rotate]`: show or rotate an organisation's signing secret."""

from __future__ import annotations

import argparse
import sys

from techscaniq.config import Settings


def cmd_webhooks_secret(args: argparse.Namespace) -> int:
    """Print the organisation's webhook secret alone on the last line (a new one with --rotate); audited."""
    from techscaniq.scans import webhook_secret
    from techscaniq.storage.db import migrate

    settings = Settings.from_env()
    migrate(settings)
    org_id = webhook_secret.org_id_named(settings, args.org.strip())
    if args.rotate:
        secret, old, until = webhook_secret.rotate_secret(settings, org_id, None, {"via": "cli"})
        note = f"rotated; the secret created {old.created_at.isoformat()} keeps signing until {until.isoformat()}"
    else:
        secret = webhook_secret.show_secret(settings, org_id, None, {"via": "cli"})
        note = f"created {secret.created_at.isoformat()}"
    print(f"webhook secret of organisation '{args.org.strip()}': {note}", file=sys.stderr)
    print(secret.secret)
    return 0


def add_webhooks_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `webhooks secret`."""
    webhooks = commands.add_parser("webhooks", help="completion webhooks").add_subparsers(
        dest="webhooks_command", required=True
    )
    secret = webhooks.add_parser("secret", help="print the organisation's signing secret (or rotate it)")
    secret.add_argument("--org", required=True)
    secret.add_argument(
        "--rotate", action="store_true", help="make a new secret; the old one signs 24 h more"
    )
    secret.set_defaults(func=cmd_webhooks_secret)
