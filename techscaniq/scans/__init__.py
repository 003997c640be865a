"""Scan commands and queries shared by the API, the UI and the CLI (handlers parse, call and serialise)."""
