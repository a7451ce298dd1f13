"""Run every code block of the README and the docs, and check what each one shows.

Sybil collects ``README.md`` and ``docs/**/*.md`` (both are in pytest's ``testpaths``). In a page:

- a ``python`` block that starts with ``>>>`` is a doctest: its shown output is checked;
- any other ``python`` block runs as a script, and a ``bash`` block runs in ``bash`` in a
  temporary directory of its own (one per page), failing on a non-zero exit status;
- a ``text title="Output"`` block right after one of those (with at most one short sentence
  between) is what it prints, stdout and stderr together, compared exactly (but for trailing
  blank lines, which a rendered block does not show);
- a block that cannot run here says so where the reader sees it (a sentence or an admonition),
  and is preceded by ``<!-- skip: next "why" -->``, which pytest reports as a skip with that reason;
- a fence in any other language fails: nothing is shown to the reader that the tests do not run.

The blocks of one page share a namespace, which is the module ``mymod`` (so that classes defined
in a page have an import path, as they would in a user's module), or ``__main__`` for pages that
show whole programs.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any

try:
    from sybil import Document, Example, Region, Sybil
    from sybil.evaluators.doctest import DocTestEvaluator
    from sybil.parsers.abstract.doctest import DocTestStringParser
    from sybil.parsers.markdown import SkipParser
    from sybil.parsers.markdown.lexers import FencedCodeBlockLexer
except ImportError as err:  # not skipped: the README's and the docs' blocks would go untested
    message = "the code blocks of README.md and docs/ run with Sybil: pip install -e '.[test]' installs it"
    raise ImportError(message) from err

ROOT = Path(__file__).resolve().parent
OUTPUT = 'text title="Output"'
# Between a block and its output: nothing, or one sentence such as "prints (errors go to stderr):".
BETWEEN = re.compile(r"\s*(?:[^\n`]{1,200}:\n\s*)?")
# Pages that show whole programs, with an `if __name__ == "__main__":` guard.
PROGRAM_PAGES = ["docs/integrations/dask.md"]
DOCTEST = DocTestStringParser(DocTestEvaluator(doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE))


def _run_python(source: str, example: Example) -> str:
    code = compile("\n" * example.line + source, example.path, "exec", dont_inherit=True)
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        exec(code, example.namespace)
    example.namespace.pop("__builtins__", None)
    return captured.getvalue()


def _run_bash(source: str, example: Example) -> str:
    # `python` and `traceable` as a user's shell finds them in this environment, with this
    # checkout's sources first.
    environment = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "PYTHONPATH")}
    environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environment.get("PATH", "")])
    result = subprocess.run(
        ["bash", "-e", "-c", source],
        cwd=example.namespace["__docs_directory__"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=300,
        check=False,
    )
    printed = result.stdout.decode()
    if result.returncode != 0:
        raise AssertionError(f"the bash block exited with status {result.returncode}; it printed:\n{printed}")
    return printed


class _Block:
    """A fenced block to run, with the output shown after it, if any."""

    def __init__(self, language: str, source: str, expected: str | None) -> None:
        self.language, self.source, self.expected = language, source, expected

    def __call__(self, example: Example) -> str | None:
        run = _run_python if self.language == "python" else _run_bash
        printed = run(self.source, example)
        # Trailing blank lines do not show in a rendered block: `print(yaml_text)` ends in two newlines.
        if self.expected is not None and printed.rstrip("\n") != self.expected.rstrip("\n"):
            return f"the block printed:\n{printed}\nbut its Output block shows:\n{self.expected}"
        return None


def _refuse(message: str) -> Any:
    def evaluate(example: Example) -> str:
        return f"{example.path}, line {example.line}: {message}"

    return evaluate


class FenceParser:
    """Turn every fenced block of a page into an example (see the module docstring)."""

    def __init__(self) -> None:
        self.lexer = FencedCodeBlockLexer(language=r".+", mapping={"language": "arguments", "source": "source"})

    def __call__(self, document: Document) -> Iterable[Region]:
        regions = list(self.lexer(document))
        outputs: set[int] = set()
        for index, region in enumerate(regions):
            language = region.lexemes["arguments"].strip()
            source = region.lexemes["source"]
            if index in outputs:
                continue
            if language == OUTPUT:
                yield Region(region.start, region.end, None, _refuse("an Output block follows no code block"))
            elif language == "python" and source.startswith(">>>"):
                for doctest_region in DOCTEST(source, document.path):
                    doctest_region.adjust(region, source)
                    yield doctest_region
            elif language in ("python", "bash"):
                expected = None
                following = regions[index + 1] if index + 1 < len(regions) else None
                if (
                    following is not None
                    and following.lexemes["arguments"].strip() == OUTPUT
                    and BETWEEN.fullmatch(document.text[region.end : following.start])
                ):
                    expected = str(following.lexemes["source"])
                    outputs.add(index + 1)
                yield Region(region.start, region.end, None, _Block(language, str(source), expected))
            else:
                why = f"a {language!r} block is not run by the tests: write it as python, bash or an Output block"
                yield Region(region.start, region.end, None, _refuse(why))


def _setup(name: str) -> Any:
    def setup(namespace: dict[str, Any]) -> None:
        namespace["__name__"] = name
        namespace["__docs_directory__"] = tempfile.mkdtemp(prefix="traceable-docs-")
        if name != "__main__":
            # Classes and functions a page defines import as `mymod.Name`.
            module = types.ModuleType(name)

            def lookup(attribute: str) -> Any:
                try:
                    return namespace[attribute]
                except KeyError:
                    message = f"module {name!r} has no attribute {attribute!r}"
                    raise AttributeError(message) from None

            module.__getattr__ = lookup
            sys.modules[name] = module

    return setup


def _teardown(namespace: dict[str, Any]) -> None:
    shutil.rmtree(namespace["__docs_directory__"], ignore_errors=True)
    name = namespace["__name__"]
    if name != "__main__":
        sys.modules.pop(name, None)
        # traceable caches imports by dotted name for the life of the process, as modules
        # are never unloaded; the next page's `mymod.Net` is another class.
        from traceable import _symbols

        for path in [path for path in _symbols._IMPORT_CACHE if path.startswith(f"{name}.")]:
            del _symbols._IMPORT_CACHE[path]


PARSERS = [FenceParser(), SkipParser()]
PAGES = Sybil(
    PARSERS,
    patterns=["README.md", "docs/*.md", "docs/*/*.md"],
    excludes=PROGRAM_PAGES,
    setup=_setup("mymod"),
    teardown=_teardown,
    name="docs",
)
PROGRAMS = Sybil(PARSERS, patterns=PROGRAM_PAGES, setup=_setup("__main__"), teardown=_teardown, name="programs")
pytest_collect_file = (PAGES + PROGRAMS).pytest()

# The docs build's Griffe extension imports griffe, which only the docs need.
collect_ignore = ["docs/griffe_examples.py"]
