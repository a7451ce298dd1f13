"""A Griffe extension for the docs build: docstrings in the project's style, read as Markdown.

traceable's docstrings are Google style with two habits of Sphinx's, which Griffe's Google
parser and Markdown do not share, so the reference would read badly without this:

- the doctests' section is titled ``Example:``, which Griffe renders as an admonition of
  Markdown (doctest lines as plain paragraphs, and ``x["key"]`` as a link) rather than as
  the examples section it calls ``Examples:``;
- cross-references are Sphinx roles (``:func:`dump```), which Markdown would print as they
  are; they become inline code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:$", re.MULTILINE)
_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|exc|data|obj):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    target = match.group(2)
    # `~a.b.c` shows `c`, as in Sphinx.
    return f"`{target.rsplit('.', 1)[-1] if match.group(1) else target}`"


class ExampleSections(griffe.Extension):
    """Rename ``Example:`` to ``Examples:`` and turn Sphinx roles into code, in every docstring."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the docstring of each object as it is loaded."""
        if obj.docstring is not None:
            value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
            obj.docstring.value = _ROLE.sub(_code, value)
