"""The server-rendered UI."""
