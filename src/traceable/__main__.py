"""``python -m traceable``: the command line (see ``traceable --help``)."""

from traceable._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
