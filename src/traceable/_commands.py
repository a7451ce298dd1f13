"""What each command of the command line does, and how it fails.

Each command reads a payload from a file or ``-`` (stdin), gzipped or not. ``show`` and
``diff`` only read it; ``audit`` checks it against a load policy; ``build`` and
``convert`` load it, under the safe policy unless told to ``--trust`` it. Expected
failures raise :class:`Failure`, with a message naming the file (and the JSON path) and
an exit status from ``EXIT_STATUS``; they never end in a traceback.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import dataclasses
import json
import os
import pprint
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from traceable._api import audit, dump, load
from traceable._denylist import DENY_LIST
from traceable._diff import diff_trees
from traceable._files import payload_text
from traceable._policy import LoadPolicy
from traceable._render import Style, audit_lines, diff_lines, printable, tree_lines
from traceable._tree import Node, read_tree, to_json
from traceable.exceptions import DecodeError, EncodeError, UnsafePayloadError

__all__ = [
    "EXIT_STATUS",
    "FORMATS",
    "SOURCES",
    "Failure",
    "run_audit",
    "run_build",
    "run_convert",
    "run_diff",
    "run_show",
]

OK, DIFFERENT, UNREADABLE, MALFORMED, REFUSED, UNWRITABLE = 0, 1, 3, 4, 5, 6  # (2: argparse's usage errors)

EXIT_STATUS = """\
exit status:
  0  success (diff: the payloads are equal; audit: the policy allows everything)
  1  diff: the payloads differ
  2  usage error: unknown command, bad option or argument
  3  a file cannot be read, or the output cannot be written
  4  the payload is malformed (not JSON, bad gzip or marker), or a value in it cannot be rebuilt
  5  the load policy refuses the payload (audit: it refuses at least one finding)
  6  convert: the object cannot be written in the target format (or its library is missing)"""

_FORMAT_VERSION = 1  # of the --json outputs: a change that breaks readers bumps it


class Failure(Exception):
    """An expected failure: a message (and a hint) for stderr, and an exit status."""

    def __init__(self, status: int, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.hint = hint


def run_show(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    policy = LoadPolicy.safe(**dict(args.limit))
    tree = _read_tree(args.file, policy)
    if args.json:
        _print_json(
            {"format": "traceable.show", "version": _FORMAT_VERSION, "source": args.file, "root": to_json(tree)}
        )
    else:
        _print_lines(tree_lines(tree, _style(args), args.max_items))
    return OK


def run_audit(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    policy = _load_policy(args, parser)
    data = _payload(args.file, policy)
    with _reading(args.file):
        findings = audit(data, policy=policy)  # (a broken size limit is a finding)
    refused = any(not finding.allowed for finding in findings)
    if args.json:
        _print_json(
            {
                "format": "traceable.audit",
                "version": _FORMAT_VERSION,
                "source": args.file,
                "policy": dataclasses.asdict(policy),
                "allowed": not refused,
                "findings": [dataclasses.asdict(finding) for finding in findings],
            }
        )
    else:
        _print_lines(audit_lines(findings, policy, _style(args)))
        sys.stdout.flush()  # before the hints, on a terminal that shows both streams
        refusals = [finding for finding in findings if not finding.allowed]
        for rule in dict.fromkeys(finding.rule for finding in refusals):
            names = [finding.name for finding in refusals if finding.rule == rule and finding.name]
            hint = _hint_for(rule, names)
            if hint:
                print(f"hint: {printable(hint)}", file=sys.stderr)  # (it names symbols of the payload)
    return REFUSED if refused else OK


def run_build(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    obj = _load(args, parser)
    try:
        text = pprint.pformat(obj, width=100, compact=True, sort_dicts=False)
    except Exception as err:  # the object's own __repr__ failed: it was rebuilt all the same
        text = f"{object.__repr__(obj)}  (its repr raised {type(err).__name__}: {err})"
    _print_lines([text])
    return OK


def run_convert(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.indent is not None and args.to not in _JSON_FORMATS:
        parser.error(f"--indent applies to --to {' and '.join(_JSON_FORMATS)} (JSON), not {args.to} (YAML)")
    if args.omit and args.to in _JSON_FORMATS:
        parser.error("--omit applies to --to hydra and --to jsonargparse")
    obj = _load(args, parser)
    try:
        text = FORMATS[args.to](obj, args)
    except EncodeError as err:
        hint = "" if args.to in _JSON_FORMATS else "to leave a value out, --omit PATH (its call becomes a partial)"
        raise Failure(UNWRITABLE, f"{_name(args.file)}: cannot write it as {args.to}: {err}", hint) from err
    except ImportError as err:
        raise Failure(UNWRITABLE, f"cannot write {args.to}: {err}") from err
    text = text if text.endswith("\n") else f"{text}\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return OK
    try:  # only now: a conversion that fails writes nothing
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as err:
        raise Failure(UNREADABLE, f"cannot write {args.output}: {err.strerror or err}") from err
    return OK


def _json(lossless: bool) -> Callable[[Any, argparse.Namespace], str]:
    def write(obj: Any, args: argparse.Namespace) -> str:
        return dump(obj, lossless=lossless, indent=args.indent)

    return write


def _config(name: str) -> Callable[[Any, argparse.Namespace], str]:
    def write(obj: Any, args: argparse.Namespace) -> str:
        from traceable import interop  # with its config libraries, only when asked for

        text: str = getattr(interop, f"to_{name}_yaml")(obj, omit=args.omit)
        return text

    return write


# What convert --to writes: the text of the rebuilt object in each format.
FORMATS: dict[str, Callable[[Any, argparse.Namespace], str]] = {
    "nni": _json(lossless=False),
    "lossless": _json(lossless=True),
    "hydra": _config("hydra"),
    "jsonargparse": _config("jsonargparse"),
}
_JSON_FORMATS = ("nni", "lossless")
# What convert --from reads: a payload (load), or a config that interop builds.
SOURCES = ("payload", "hydra", "jsonargparse")


def run_diff(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.a == "-" and args.b == "-":
        parser.error("only one of A and B can be - (stdin)")
    policy = LoadPolicy.safe(**dict(args.limit))
    changes = diff_trees(_read_tree(args.a, policy), _read_tree(args.b, policy), max_array_bytes=policy.max_array_bytes)
    if args.json:
        _print_json(
            {
                "format": "traceable.diff",
                "version": _FORMAT_VERSION,
                "a": args.a,
                "b": args.b,
                "equal": not changes,
                "changes": [dataclasses.asdict(change) for change in changes],
            }
        )
    else:
        _print_lines(diff_lines(changes, _style(args)))
    return DIFFERENT if changes else OK


def _load(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Any:
    policy = _load_policy(args, parser)
    source = getattr(args, "source", "payload")
    data = _payload(args.file, policy)
    with _reading(args.file):
        if source == "payload":
            return load(data, policy=policy)
        text = payload_text(data, None, policy, "convert")  # (within the size limits)
        from traceable import interop

        try:
            return getattr(interop, f"from_{source}")(text, policy=policy)
        except ImportError as err:
            raise Failure(UNWRITABLE, f"cannot read {source} configs: {err}") from err


def _read_tree(source: str, policy: LoadPolicy) -> Node:
    data = _payload(source, policy)
    with _reading(source):
        return read_tree(payload_text(data, None, policy, "read"), policy)


def _payload(source: str, policy: LoadPolicy) -> bytes:
    """The bytes of the payload in ``source`` (a path or ``-``), as stored: gzipped or not.

    One byte more than ``max_size`` at most: enough for the library to refuse it (or
    ``audit`` to report it) without reading a huge file whole.
    """
    name = _name(source)
    if source == "-" and sys.stdin is None:  # started with stdin closed (`traceable show - <&-`)
        raise Failure(UNREADABLE, f"cannot read {name}: it is closed")
    size = -1 if policy.max_size is None else policy.max_size + 1
    try:
        if source == "-":
            data = sys.stdin.buffer.read(size)
        else:
            with open(source, "rb") as file:
                data = file.read(size)
    except OSError as err:
        raise Failure(UNREADABLE, f"cannot read {name}: {err.strerror or err}") from err
    if not data.removeprefix(codecs.BOM_UTF8).strip():  # rather than JSON's "Expecting value at line 1 column 1"
        raise Failure(MALFORMED, f"{name}: the payload is empty")
    return data


def _name(source: str) -> str:
    return "<stdin>" if source == "-" else source


@contextlib.contextmanager
def _reading(source: str) -> Iterator[None]:
    """Turn the errors of reading ``source`` into failures that name it."""
    name = _name(source)
    try:
        yield
    except UnsafePayloadError as err:
        raise Failure(REFUSED, f"{name}: {err}", _hint(err)) from err
    except DecodeError as err:
        raise Failure(MALFORMED, f"{name}: {err}") from err
    except RecursionError as err:  # only with --limit max_depth=none
        message = f"{name}: the payload nests too deep to read here; keep a max_depth limit"
        raise Failure(MALFORMED, message) from err
    except OSError as err:
        raise Failure(UNREADABLE, f"cannot read {name}: {err.strerror or err}") from err


def _hint(err: UnsafePayloadError) -> str:
    return _hint_for(err.rule, [err.symbol] if err.symbol else [])


def _hint_for(rule: str, names: list[str]) -> str:
    # The library's advice names Python arguments; on the command line, the options.
    if rule == "allow" and names:
        unique = list(dict.fromkeys(names))
        them = "it" if len(unique) == 1 else "them"
        return f"if you trust {them}, allow {them}: {' '.join(f'--allow {name}' for name in unique)}"
    if rule == "deny":
        liftable = [name for name in dict.fromkeys(names) if DENY_LIST.match(name) not in DENY_LIST.never]
        if not liftable:
            return "no payload may call traceable's own functions"
        return (
            "the deny list wins over --allow prefixes; only if you trust the payload, allow the exact "
            f"name{'s' if len(liftable) > 1 else ''}: {' '.join(f'--allow {name}' for name in liftable)}"
        )
    if rule == "allow_pickle":
        return "unpickling runs arbitrary code; only if you trust the payload's source, pass --trust"
    if rule.startswith("max_"):
        return f"if the payload is legitimate, raise the limit: --limit {rule}=N (or {rule}=none)"
    return ""  # what dump never writes: no option makes it safe


def _load_policy(args: argparse.Namespace, parser: argparse.ArgumentParser) -> LoadPolicy:
    if args.trust and args.allow:
        parser.error("--allow extends the safe policy; --trust allows everything already")
    base = LoadPolicy.trusting() if args.trust else LoadPolicy.safe(allow=args.allow)
    return dataclasses.replace(base, **dict(args.limit))


def _style(args: argparse.Namespace) -> Style:
    if args.color != "auto":
        return Style(enabled=args.color == "always")
    wanted = not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"  # see no-color.org
    return Style(enabled=wanted and sys.stdout.isatty())


def _print_lines(lines: Iterable[str]) -> None:
    write = sys.stdout.write
    for line in lines:
        write(line)
        write("\n")


def _print_json(data: Any) -> None:
    # Readable text, but what a terminal would not show as itself (escape codes, lone
    # surrogates: json escapes only C0 controls) as JSON escapes, meaning the same.
    for line in json.dumps(data, indent=2, ensure_ascii=False).split("\n"):
        if line.isprintable():  # the common case, at C speed
            sys.stdout.write(line)
        else:
            sys.stdout.write("".join(char if char.isprintable() else json.dumps(char)[1:-1] for char in line))
        sys.stdout.write("\n")
