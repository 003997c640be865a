"""Browser-test helpers shared by the UI tests: screenshots, the basic accessibility check and signing in."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.server import Live

# Basic accessibility: labelled controls, named buttons and links, alt text, one h1, and text contrast >= 4.5:1.
A11Y_PROBLEMS = """() => {
  const problems = [];
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  if (!document.documentElement.lang) problems.push('html has no lang');
  if (document.querySelectorAll('h1').length !== 1) problems.push('expected one h1');
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    if (!visible(el)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!named) problems.push('unlabelled control ' + (el.id || el.name || el.outerHTML.slice(0, 60)));
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (visible(el) && !(el.textContent.trim() || el.getAttribute('aria-label'))) problems.push('unnamed ' + el.outerHTML.slice(0, 80));
  }
  for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push('img without alt');
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((acc, v, i) => acc + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== 'none') return null;  // gradients: not judged here
      const c = rgb(style.backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.9)) return c;
    }
    return [255, 255, 255];
  };
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || el.closest('svg')) continue;
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const style = getComputedStyle(el);
    if (parseFloat(style.opacity) < 1) continue;
    const bg = background(el);
    if (!bg) continue;
    const fg = rgb(style.color);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.6 && parseInt(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) problems.push('contrast ' + ratio.toFixed(2) + ' for "' + el.textContent.trim().slice(0, 40) + '"');
  }
  return problems;
}"""


def shot(page: Any, live: Live, name: str, *, full: bool = True) -> None:
    """Save a screenshot of the page under the test output."""
    page.screenshot(path=str(live.screenshots / f"{name}.png"), full_page=full)


def check_accessibility(page: Any) -> None:
    """Fail on the basic accessibility problems A11Y_PROBLEMS finds."""
    problems = page.evaluate(A11Y_PROBLEMS)
    assert not problems, problems


def sign_in(page: Any, live: Live, key: str | None = None) -> None:
    """Sign in through the form."""
    page.goto(f"{live.url}/signin")
    page.fill("#api_key", key or live.admin_key)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/scans$"))
