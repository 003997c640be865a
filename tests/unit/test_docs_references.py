"""Every Markdown document the code, tests, benchmarks and docs cite exists in this repository.

A citation is a name ending in `.md` (`docs/fetch-safety.md`, `scoring.md`); route patterns such as
`/api/reports/<id>.md` and templated names such as `{name}.md` are not documents. The project's docs stand alone,
so nothing cites `../shared`; the one exception is the fingerprint corpus under `../shared/corpus/`, which is test
data read at run time (and skipped when absent), not documentation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

THIS_FILE = Path(__file__).resolve()
REPO_ROOT = THIS_FILE.parents[2]
SCANNED = ("techscaniq", "tests", "bench", "docs", "README.md")
TEXT_SUFFIXES = frozenset({".py", ".md", ".html", ".txt", ".yaml", ".yml", ".toml", ".json", ".cfg", ".ini"})
SKIPPED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})

# A path of plain name characters ending in .md, not preceded by a character that makes it part of a URL, route,
# template or longer word.
DOCUMENT = re.compile(r"(?<![\w/.<>{}*$-])((?:[\w-]+/)*[\w-]+\.md)\b")
# `../shared/` other than the corpus of test pages (data, not documentation).
SHARED_CITATION = re.compile(r"\.\./shared(?!/corpus/)|shared/reference|shared/ARCHITECTURE")


def _files() -> Iterator[Path]:
    for name in SCANNED:
        path = REPO_ROOT / name
        if path.is_file():
            yield path
            continue
        for file in sorted(path.rglob("*")):
            # This file's own examples name missing documents on purpose.
            if file.suffix in TEXT_SUFFIXES and file != THIS_FILE and not SKIPPED_PARTS & set(file.parts):
                yield file


def cited_documents(text: str) -> set[str]:
    """The Markdown documents a text names."""
    return set(DOCUMENT.findall(text))


def resolves(name: str, citing_file: Path, markdown_names: set[str]) -> bool:
    """True when the name is a path from the repository root or the citing file, or a bare name of a file here."""
    if "/" in name:
        return (REPO_ROOT / name).is_file() or (citing_file.parent / name).is_file()
    return name in markdown_names


def _markdown_names() -> set[str]:
    names = {path.name for path in REPO_ROOT.glob("*.md")}
    for directory in ("docs", "bench", "tests", "techscaniq"):
        names |= {path.name for path in (REPO_ROOT / directory).rglob("*.md")}
    return names


def test_the_citation_pattern() -> None:
    text = (
        "see docs/fetch-safety.md §4, scoring.md and `docs/theses.md`; not /api/reports/<id>.md, "
        "/api/reports/{report_id}.md, bench/results/<name>.md, {name}.md or https://example.org/README.md"
    )
    assert cited_documents(text) == {"docs/fetch-safety.md", "scoring.md", "docs/theses.md"}
    assert SHARED_CITATION.search("the house rules live in ../shared/ARCHITECTURE.md")
    assert SHARED_CITATION.search("fetch-safety.md in ../shared/reference")
    assert not SHARED_CITATION.search("pages in ../shared/corpus/pages")


def test_a_missing_document_is_found(tmp_path: Path) -> None:
    citing = tmp_path / "module.py"
    assert not resolves("docs/no-such-document.md", citing, _markdown_names())
    assert not resolves("evidence-catalog.md", citing, _markdown_names())
    assert resolves("docs/fetch-safety.md", citing, _markdown_names())


def test_every_cited_document_exists() -> None:
    names = _markdown_names()
    missing = []
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        missing += [
            f"{path.relative_to(REPO_ROOT)}: {name}"
            for name in sorted(cited_documents(text))
            if not resolves(name, path, names)
        ]
    assert not missing, "documents cited but not in the repository:\n" + "\n".join(missing)


def test_nothing_cites_the_shared_folder() -> None:
    found = []
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{path.relative_to(REPO_ROOT)}: {m.group(0)}" for m in SHARED_CITATION.finditer(text)]
    assert not found, "cite the docs/ page instead of ../shared:\n" + "\n".join(found)
