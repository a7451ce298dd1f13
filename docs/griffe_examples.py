"""A Griffe extension for the docs build: read a Google ``Example:`` section as examples.

traceable's docstrings title their doctests ``Example:`` (the project's style). Griffe's
Google parser knows ``Examples:`` as the section of ``>>>`` examples and renders any other
title as an admonition of Markdown, where doctest lines would show as plain paragraphs (and
``x["key"]`` would read as a link). This renames the section before the docstring is parsed.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rename ``Example:`` to ``Examples:`` in every docstring that Griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the docstring of each object as it is loaded."""
        if obj.docstring is not None:
            obj.docstring.value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
