"""The command line: ``traceable show|audit|build|convert|diff`` (also ``python -m traceable``).

This module is the surface: arguments, options, help and examples. What each command
does is in :mod:`traceable._commands`.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from traceable import _commands
from traceable._commands import EXIT_STATUS, Failure
from traceable._policy import LoadPolicy
from traceable._render import printable

__all__ = ["main"]

_LIMITS = tuple(field.name for field in dataclasses.fields(LoadPolicy) if field.name.startswith("max_"))
_UNITS = {"": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp(), "config.json")
        >>> _ = path.write_text('{"lr": 0.1, "layers": [64, 32]}')
        >>> main(["show", str(path)])
        object (2 keys)
        ├── lr: 0.1
        └── layers: [64, 32]
        0
    """
    parser = _parser()
    for stream in (sys.stdout, sys.stderr):
        # Whatever gets through (a lone surrogate in convert's YAML, say) is written as an
        # escape, never as an error or a byte that is not UTF-8.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        args = parser.parse_args(argv)
        status: int = args.run(args, args.subparser)
        sys.stdout.flush()
    except SystemExit as exit:  # argparse: --help, --version (0) and usage errors (2), already printed
        return exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 2
    except Failure as failure:
        command = f"{parser.prog} {args.command}"
        print(f"{command}: error: {printable(str(failure))}", file=sys.stderr)  # (it may quote the payload)
        if failure.hint:
            print(f"hint: {printable(failure.hint)}", file=sys.stderr)
        return failure.status
    except BrokenPipeError:
        # The reader left (`traceable show big.json | head`): no traceback when Python
        # flushes stdout at exit, and the status of a process a pipe closed on.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    except KeyboardInterrupt:
        return 128 + 2
    return status


def _limit(text: str) -> tuple[str, int | None]:
    name, equals, value = text.partition("=")
    name = name.strip().replace("-", "_")
    name = name if name.startswith("max_") else f"max_{name}"
    if not equals or name not in _LIMITS:
        choices = ", ".join(_LIMITS)
        message = f"expected NAME=N with NAME one of {choices}, not {text!r}"
        raise argparse.ArgumentTypeError(message)
    if value.strip().lower() == "none":
        return name, None
    match = re.fullmatch(r"\s*([0-9][0-9_,]*)\s*([A-Za-z]*)\s*", value)
    unit = match and _UNITS.get(match.group(2).lower())
    if not match or not unit or int(match.group(1).replace(",", "")) < 1:
        message = f"{name} takes a positive integer, optionally in KiB, MiB or GiB, or none; not {value!r}"
        raise argparse.ArgumentTypeError(message)
    return name, int(match.group(1).replace(",", "")) * unit


def _count(text: str) -> int:
    if not text.isdecimal():  # (isdigit takes "²", which int() does not)
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}")
    return int(text)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of descriptions and examples."""


_READING = """\
Nothing in the payload is imported, called or unpickled. It is read within the safe
policy's limits (16 MiB of text, also once unzipped, and 200 levels of nesting) unless
--limit changes them."""

_POLICY = """\
The payload is loaded under the safe policy unless --trust is given: only natively
encoded values (JSON, numbers, datetimes, sets, numpy arrays...) and the classes and
functions named with --allow are rebuilt, nothing is unpickled, sizes are limited, and
a payload that needs more is refused (exit status 5) before anything runs. --trust
loads it as traceable.load() does by default, running whatever it names: only for
payloads you wrote yourself. Classes and functions are imported from the installed
packages and PYTHONPATH."""


def _parser() -> argparse.ArgumentParser:
    from traceable import __version__

    parser = argparse.ArgumentParser(
        prog="traceable",
        description="Inspect, audit, rebuild, convert and compare traceable (and NNI 3.0) payloads.",
        epilog=f"Run 'traceable COMMAND --help' for a command's options and examples.\n\n{EXIT_STATUS}",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", required=True)

    def command(name: str, summary: str, description: str, examples: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=summary,
            description=f"{summary[0].upper()}{summary[1:]}.\n\n{description}",
            epilog=f"examples:\n{examples}\n\n{EXIT_STATUS}",
            formatter_class=_Formatter,
        )
        sub.set_defaults(run=getattr(_commands, f"run_{name}"), subparser=sub)
        return sub

    show = command(
        "show",
        "draw a payload as a tree, without loading it",
        "Traced calls with their arguments, classes and functions as values, numpy arrays\n"
        "(dtype, shape), pandas frames, datetimes, sets, pickled blobs with their sizes.\n"
        f"{_READING}\n\n"
        '--json writes {"format": "traceable.show", "version": 1, "source": FILE, "root": NODE}:\n'
        'each NODE has "key", "path", "kind", "summary", the fields of its kind, and\n'
        '"children" for the kinds that hold values (the README lists them).',
        "  traceable show config.json\n"
        "  traceable show run.json.gz --max-items 5\n"
        "  python -c 'import traceable; print(traceable.dump({\"lr\": 0.1}))' | traceable show -\n"
        "  traceable show --json config.json | jq -r '.root.children[].path'",
    )
    _input_argument(show)
    show.add_argument("--json", action="store_true", help="write the tree as JSON, for programs")
    show.add_argument(
        "--max-items",
        type=_count,
        default=20,
        metavar="N",
        help="draw at most N items of each list or set (default 20; 0 for all); keys and arguments are all drawn",
    )
    _color_option(show)
    _limit_option(show)

    audit_command = command(
        "audit",
        "list what loading a payload would import, call and unpickle",
        "Every symbol a load would import or call (__symbol__, __nni_type__, __instance_type__,\n"
        "enum types) and every blob it would unpickle, with its JSON path and size, and whether\n"
        "the policy allows it; broken limits too. Nothing is imported or run. The exit status\n"
        "is 5 when the policy refuses anything, so that a script can decide on it.",
        "  traceable audit payload.json                  # against the safe policy\n"
        "  traceable audit payload.json --allow torch.nn --allow mypkg.models\n"
        "  traceable audit payload.json --trust          # only list what it would run\n"
        "  traceable audit --json payload.json | jq '.findings[] | select(.allowed | not)'",
    )
    _input_argument(audit_command)
    audit_command.add_argument("--json", action="store_true", help="write the findings as JSON, for programs")
    _color_option(audit_command)
    _policy_options(audit_command)

    build = command(
        "build",
        "load a payload and print the rebuilt object",
        f"Prints the object's repr: proof that it rebuilds here.\n{_POLICY}",
        "  traceable build config.json --allow mypkg.models\n"
        "  PYTHONPATH=src traceable build config.json --allow mypkg --limit max_size=64MiB\n"
        "  traceable build my-own-run.json --trust",
    )
    _input_argument(build)
    _policy_options(build)

    convert = command(
        "convert",
        "load a payload or a config and write it in another format",
        "Formats (--from reads the first three, --to writes all four):\n"
        "  payload       a traceable or NNI 3.0 payload (any form load reads; the default --from)\n"
        "  hydra         a Hydra config (_target_, _args_), as traceable.interop.to_hydra_yaml\n"
        "                writes it and hydra.utils.instantiate builds it\n"
        "  jsonargparse  a jsonargparse / LightningCLI config (class_path, init_args)\n"
        "  nni           traceable.dump's default form, which NNI 3.0's nni.load reads too\n"
        "  lossless      traceable.dump(..., lossless=True): keeps tuples, non-string keys, dict\n"
        "                subclasses and shared objects; traceable reads it, NNI 3.0 does not\n"
        "Hydra and jsonargparse configs need hydra-core and jsonargparse installed.\n\n"
        f"{_POLICY}",
        "  traceable convert run.json.gz --to nni -o run.json --allow mypkg\n"
        "  traceable convert run.json --to lossless --indent 2 --allow mypkg\n"
        "  traceable convert run.json --to hydra --allow mypkg --allow torch -o conf/model.yaml\n"
        "  traceable convert conf/model.yaml --from hydra --to nni --allow mypkg --allow torch",
    )
    convert.add_argument(
        "file", metavar="FILE", help="the payload (or config, with --from): a path, or - for stdin; gzipped or not"
    )
    convert.add_argument(
        "--from",
        dest="source",
        choices=_commands.SOURCES,
        default="payload",
        help="what FILE is (default: payload)",
    )
    convert.add_argument("--to", required=True, choices=list(_commands.FORMATS), help="the format to write")
    convert.add_argument(
        "-o", "--output", metavar="OUT", help="the file to write (default: stdout); not written if conversion fails"
    )
    convert.add_argument("--indent", type=_count, metavar="N", help="nni, lossless: indent the JSON by N spaces")
    convert.add_argument(
        "--omit",
        action="append",
        default=[],
        metavar="PATH",
        help="hydra, jsonargparse: leave out this argument (its config path, such as $.optimizer.params); "
        "its call becomes a partial; repeatable",
    )
    _policy_options(convert)

    diff = command(
        "diff",
        "compare two payloads by meaning, without loading them",
        "Which symbol or argument changed, by JSON path: keys added and removed, values\n"
        "changed, numpy arrays by dtype, shape and elements (in list or base64 form alike),\n"
        "set items and object keys in any order. One line per difference:\n"
        "  + PATH: VALUE         only in B\n"
        "  - PATH: VALUE         only in A\n"
        "  ~ PATH: OLD -> NEW    changed\n"
        "The exit status is 0 when they are equal and 1 when they differ, as diff(1)'s.\n\n"
        f"{_READING}\n\n"
        '--json writes {"format": "traceable.diff", "version": 1, "a": A, "b": B, "equal": BOOL,\n'
        '"changes": [{"path", "change", "old", "new", "detail"}]}.',
        "  traceable diff before.json after.json\n"
        "  traceable diff baseline.json.gz - < candidate.json\n"
        "  traceable diff --json a.json b.json | jq -r '.changes[].path'",
    )
    diff.add_argument("a", metavar="A", help="the first payload: a path, or - for stdin; gzipped or not")
    diff.add_argument("b", metavar="B", help="the second payload: a path, or - for stdin")
    diff.add_argument("--json", action="store_true", help="write the changes as JSON, for programs")
    _color_option(diff)
    _limit_option(diff)
    return parser


def _input_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the payload: a path, or - for stdin; gzipped or not")


def _color_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour the output: auto (the default) on a terminal, unless NO_COLOR is set",
    )


def _limit_option(parser: argparse.ArgumentParser | Any) -> None:
    parser.add_argument(
        "--limit",
        type=_limit,
        action="append",
        default=[],
        metavar="NAME=N",
        help=f"change a limit: {', '.join(_LIMITS)}; N a count, bytes (or KiB, MiB, GiB), or none; repeatable",
    )


def _policy_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("load policy")
    mode = group.add_mutually_exclusive_group()
    mode.add_argument(
        "--safe",
        dest="trust",
        action="store_false",
        help="only natively encoded values and what --allow names; no pickles; limits (the default)",
    )
    mode.add_argument(
        "--trust",
        action="store_true",
        help="import and call any symbol, unpickle any blob, no limits (as traceable.load() by default); "
        "only for payloads you wrote yourself",
    )
    group.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="NAME",
        help="allow this class or function (mypkg.models.Net), or all under a module (torch.nn); repeatable",
    )
    _limit_option(group)
    parser.set_defaults(trust=False)  # --safe's store_false would make it True
