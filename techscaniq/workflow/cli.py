"""The workflow's commands: `techscaniq diff` and `techscaniq compare` (added to the main parser by cli.py)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from techscaniq.config import Settings
from techscaniq.workflow import service
from techscaniq.workflow.text import compare_text, diff_markdown


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as error:
        raise SystemExit(f"techscaniq: bad setting: {error}") from error


def cmd_diff(args: argparse.Namespace) -> int:
    """Print what changed since the previous completed scan of the company (or since --against)."""
    body = service.scan_diff(_settings(), args.scan_id, org_id=None, against=args.against)
    print(
        json.dumps(body, indent=2) if args.json else diff_markdown(body, heading="#"),
        end="\n" if args.json else "",
    )
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Print 2 to 6 completed scans side by side."""
    ids = service.parse_scan_ids(",".join(args.scan_ids))
    body = service.compare_scans(_settings(), ids, org_id=None)
    print(json.dumps(body, indent=2) if args.json else compare_text(body), end="\n" if args.json else "")
    return 0


def add_workflow_commands(commands: Any) -> None:
    """Register `diff` and `compare` on the main parser's subcommands."""
    diff = commands.add_parser("diff", help="what changed since the company's previous completed scan")
    diff.add_argument("scan_id")
    diff.add_argument("--against", default=None, help="compare with this completed scan instead")
    diff.add_argument("--json", action="store_true", help="print the API's JSON")
    diff.set_defaults(func=cmd_diff)
    compare = commands.add_parser("compare", help="2 to 6 completed scans side by side")
    compare.add_argument("scan_ids", nargs="+", metavar="SCAN_ID")
    compare.add_argument("--json", action="store_true", help="print the API's JSON")
    compare.set_defaults(func=cmd_compare)
