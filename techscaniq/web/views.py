"""Server-rendered pages of the UI."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from techscaniq import theses

web = Blueprint("web", __name__)


@web.get("/")
def home() -> ResponseReturnValue:
    """The home page: what the service does and how to submit a scan."""
    return render_template("home.html", theses=theses.list_theses())
