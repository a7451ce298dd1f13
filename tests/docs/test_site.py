"""The docs site builds with `mkdocs build --strict`, and its reference has every public name.

The build runs once, into a temporary directory, and the built pages are served on
127.0.0.1 and fetched as a reader's browser would.
"""

from __future__ import annotations

import ast
import functools
import html
import http.server
import importlib
import inspect
import itertools
import os
import re
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_MODULES = ["traceable", "traceable.typehint", "traceable.interop", "traceable.contrib.dask"]
REFERENCE_PAGES = ["reference/api/", "reference/exceptions/"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for module, package in [("mkdocs", "mkdocs"), ("material", "mkdocs-material"), ("mkdocstrings", "mkdocstrings")]:
        pytest.importorskip(
            module, reason=f"{package} is not installed: pip install -e '.[test]' installs the docs tools"
        )
    directory = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            "mkdocs.yml",
            "--site-dir",
            str(directory),
        ],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    assert "WARNING" not in result.stderr, result.stderr
    return directory


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def fetch(base: str, page: str) -> str:
    with urllib.request.urlopen(base + page, timeout=30) as response:
        assert response.status == 200
        return response.read().decode("utf-8")


def text_of(page: str) -> str:
    """The characters a reader sees, without whitespace: tags dropped, entities decoded.

    Whitespace is dropped altogether because inline tags (``<code>``) sit between words and
    punctuation, and block tags between words.
    """
    return squeeze(html.unescape(re.sub(r"<[^>]+>", " ", page)))


def squeeze(text: str) -> str:
    return "".join(text.split())


def attribute_docstrings(module: ModuleType) -> dict[str, str]:
    """The docstrings that follow module-level assignments (``FAMILY = ...`` then a string)."""
    assert module.__file__ is not None
    body = ast.parse(Path(module.__file__).read_text(encoding="utf-8")).body
    docstrings = {}
    for node, following in itertools.pairwise(body):
        if not (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)):
            continue
        if not isinstance(following.value.value, str):
            continue
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        for target in targets:
            if isinstance(target, ast.Name):
                docstrings[target.id] = inspect.cleandoc(following.value.value)
    return docstrings


def summary(docstring: str) -> str:
    """The first line of a docstring as it reads rendered: no backticks, roles as their target."""
    line = docstring.strip().splitlines()[0]
    line = re.sub(r":(?:func|class|mod|meth|attr|exc|data|obj):`~?([^`]+)`", r"\1", line)
    return squeeze(line.replace("``", "").replace("`", ""))


def public_names() -> Iterator[tuple[str, str, str]]:
    """Each public name's module, name and docstring."""
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        attributes = attribute_docstrings(module)
        for name in module.__all__:
            obj = getattr(module, name)
            doc = inspect.getdoc(obj) if inspect.isclass(obj) or callable(obj) else None
            yield module_name, name, attributes.get(name) or doc or ""


def test_the_docs_build_strictly_without_the_network(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis.com" not in index  # theme.font is off: nothing fetched to show a page
    for page in ["quickstart", "guide/untrusted", "cli", "reference/api", "reference/json-formats", "changelog"]:
        assert (site / page / "index.html").is_file(), page
    for schema in ["show", "audit", "diff"]:
        assert (site / "reference" / "schemas" / f"{schema}.schema.json").is_file()


def test_every_public_name_has_a_reference_entry_with_its_docstring(served: str) -> None:
    pages = {page: fetch(served, page) for page in REFERENCE_PAGES}
    texts = {page: text_of(content) for page, content in pages.items()}
    missing = []
    for module_name, name, docstring in public_names():
        anchor = f'id="{module_name}.{name}"'
        where = [page for page, content in pages.items() if anchor in content]
        if not where:
            missing.append(f"{module_name}.{name}: no entry")
        elif not docstring:
            missing.append(f"{module_name}.{name}: no docstring to render")
        elif summary(docstring) not in texts[where[0]]:
            missing.append(f"{module_name}.{name}: its docstring ({summary(docstring)!r}) is not on {where[0]}")
    assert missing == []


def test_the_changelog_page_is_the_changelog(site: Path) -> None:
    page = text_of((site / "changelog" / "index.html").read_text(encoding="utf-8"))
    first_entry = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").split("\n- ", 1)[1].split("\n")[0]
    assert squeeze(first_entry.replace("`", "")) in page
