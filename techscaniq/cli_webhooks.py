"""`techscaniq webhooks secret --org NAME [--rotate]`: show or rotate an organisation's signing secret."""

from __future__ import annotations

import argparse
import sys

from techscaniq.config import Settings


def cmd_webhooks_secret(args: argparse.Namespace) -> int:
    """Print the organisation's webhook secret alone on the last line (a new one with --rotate); audited."""
    from techscaniq.storage import security_repo, webhook_secrets
    from techscaniq.storage.db import migrate, session_scope

    settings = Settings.from_env()
    migrate(settings)
    with session_scope(settings) as session:
        org_id = webhook_secrets.org_id_by_name(session, args.org.strip())
        if args.rotate:
            secret, old = webhook_secrets.rotate_secret(session, org_id)
            until = secret.created_at + webhook_secrets.ROTATION_OVERLAP
            note = f"rotated; the secret created {old.created_at.isoformat()} keeps signing until {until.isoformat()}"
        else:
            secret = webhook_secrets.current_secret(session, org_id)
            note = f"created {secret.created_at.isoformat()}"
        security_repo.record_audit(
            session,
            action="webhook_secret.rotate" if args.rotate else "webhook_secret.view",
            org_id=org_id,
            key_id=None,
            detail={"created_at": secret.created_at.isoformat(), "via": "cli"},
        )
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
