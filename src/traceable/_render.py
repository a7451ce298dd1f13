"""Text for people: payload trees, audit findings and diffs, coloured on a terminal.

Colour is plain ANSI escape codes (no dependency), used only when the command line
decides the output is a terminal that wants it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from traceable._audit import Finding
from traceable._diff import Change
from traceable._node import Node
from traceable._paths import IDENTIFIER
from traceable._policy import LoadPolicy

__all__ = ["Style", "audit_lines", "diff_lines", "printable", "tree_lines"]

_RESET = "\x1b[0m"
BOLD, DIM, RED, GREEN, YELLOW, MAGENTA, CYAN = "1", "2", "31", "32", "33", "35", "36"

# What a load would run stands out (cyan), pickles and broken markers alarm (red).
_KIND_COLOURS = {
    "call": CYAN,
    "symbol": CYAN,
    "instance": CYAN,
    "enum": CYAN,
    "pickle": RED,
    "invalid": RED,
    "string": GREEN,
    "number": YELLOW,
    "boolean": YELLOW,
    "null": YELLOW,
    "object": DIM,
    "array": DIM,
    "set": DIM,
    "frozenset": DIM,
}


def printable(text: str) -> str:
    """``text`` with each character a terminal would not show as itself escaped, as ``repr`` does.

    Names in a payload (symbols, keys, enum members) are printed as they are: an escape
    code in one could hide or rewrite what a terminal shows, and a lone surrogate cannot
    be written as UTF-8. Controls (C0, DEL, C1), format characters (such as bidirectional
    overrides), separators other than the space and surrogates become ``\\x..``,
    ``\\u....`` or ``\\U........``.

    Example:
        >>> printable("os.system\\x1b[8m hidden"), printable("caf\\u00e9 \\u202e")
        ('os.system\\\\x1b[8m hidden', 'café \\\\u202e')
    """
    if text.isprintable():  # the common case, at C speed
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class Style:
    """Paints text with ANSI codes, or leaves it plain.

    Example:
        >>> Style(enabled=False).paint("x", RED), Style(enabled=True).paint("x", RED)
        ('x', '\\x1b[31mx\\x1b[0m')
    """

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled

    def paint(self, text: str, *codes: str) -> str:
        """``text`` in the given colours and weights, when enabled."""
        if not self.enabled or not codes or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}{_RESET}"


def tree_lines(root: Node, style: Style, max_items: int = 20) -> Iterator[str]:
    """Draw a payload tree, one value a line.

    Args:
        root: the tree.
        style: how to colour it.
        max_items: the most items of each list or set drawn (0: all); keys and
            arguments are always all drawn.

    Example:
        >>> from traceable._tree import read_tree
        >>> text = '{"net": {"__symbol__": "path:m.Net", "__kwargs__": {"width": 8}}, "ids": [1, 2]}'
        >>> print("\\n".join(tree_lines(read_tree(text), Style(enabled=False))))
        object (2 keys)
        ├── net: call m.Net(width=8)
        └── ids: [1, 2]
    """
    yield _text(root, style)
    if not root.folded:
        yield from _children(root, "", style, max_items)


def _children(node: Node, prefix: str, style: Style, max_items: int) -> Iterator[str]:
    children = node.children or []
    positional = node.kind in ("array", "set", "frozenset")
    shown = children[:max_items] if positional and max_items else children
    hidden = len(children) - len(shown)
    for i, child in enumerate(shown):
        last = i == len(shown) - 1 and not hidden
        branch = style.paint("└── " if last else "├── ", DIM)
        yield f"{prefix}{branch}{style.paint(printable(_label(child.key)), BOLD)}: {_text(child, style)}"
        if child.children and not child.folded:
            yield from _children(child, prefix + style.paint("    " if last else "│   ", DIM), style, max_items)
    if hidden:
        yield f"{prefix}{style.paint('└── ', DIM)}{style.paint(f'… {hidden:,} more', DIM)}"


def _text(node: Node, style: Style) -> str:
    colour = _KIND_COLOURS.get(node.kind, MAGENTA)  # other kinds: natively encoded values
    summary = printable(node.summary)
    if node.folded and colour == DIM:
        return summary  # a short list or set: its items speak for themselves
    return style.paint(summary, colour)


def _label(key: str | int | None) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    if key is None or IDENTIFIER.match(key):
        return key or ""
    return json.dumps(key, ensure_ascii=False)


def audit_lines(findings: list[Finding], policy: LoadPolicy, style: Style) -> Iterator[str]:
    """One line per finding, then a summary naming the policy.

    Example:
        >>> from traceable import audit
        >>> findings = audit('[{"__nni_type__": "path:math.floor"}]', safe=True)
        >>> print("\\n".join(audit_lines(findings, LoadPolicy.safe(), Style(enabled=False))))
        $[0]: import math.floor - REFUSED (allow)
        1 finding, 1 refused, under the safe policy (allowing nothing but natively encoded values)
    """
    for finding in findings:
        if finding.allowed:
            verdict = style.paint("allowed", GREEN) + (f" ({printable(finding.reason)})" if finding.reason else "")
        else:
            verdict = style.paint(f"REFUSED ({finding.rule})", RED, BOLD)
            verdict += f": {printable(finding.reason)}" if finding.reason else ""
        yield f"{style.paint(printable(finding.path), BOLD)}: {printable(finding.detail)} - {verdict}"
    refused = sum(not finding.allowed for finding in findings)
    if not findings:
        counts = "nothing to import, call or unpickle, and within the limits"
    elif refused:
        counts = f"{_plural(len(findings), 'finding')}, {refused:,} refused"
    else:
        counts = f"{_plural(len(findings), 'finding')}, all allowed"
    yield f"{counts}, under {describe_policy(policy)}"


def describe_policy(policy: LoadPolicy) -> str:
    """The policy in a few words, as the command line chose it."""
    if policy.allow is None and policy.allow_pickle:
        return "the trusting policy (any import, any pickle)"
    allowed = ", ".join(policy.allow or ()) or "nothing but natively encoded values"
    return f"the safe policy (allowing {allowed})"


def diff_lines(changes: Iterable[Change], style: Style) -> Iterator[str]:
    """One line per change: ``+`` added, ``-`` removed, ``~`` changed.

    Example:
        >>> from traceable._tree import read_tree
        >>> from traceable._diff import diff_trees
        >>> changes = diff_trees(read_tree('{"a": 1, "b": [1]}'), read_tree('{"a": 2, "c": null}'))
        >>> print("\\n".join(diff_lines(changes, Style(enabled=False))))
        ~ $.a: 1 -> 2
        - $.b: [1]
        + $.c: null
    """
    for change in changes:
        sign, colour = _SIGNS[change.change]
        yield style.paint(printable(f"{sign} {change.path}: {change.detail}"), colour)


_SIGNS = {
    "added": ("+", GREEN),
    "item added": ("+", GREEN),
    "removed": ("-", RED),
    "item removed": ("-", RED),
    "changed": ("~", YELLOW),
}


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
