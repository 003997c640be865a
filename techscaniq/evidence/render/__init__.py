"""Rendering with the system's headless Chromium: every request through the guarded fetch (browser.py)."""
