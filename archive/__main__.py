"""`blog-archive` and `python -m archive`: the command line, with Ctrl-C handled from the first instant.

Importing the command line takes about half a second (lxml, trafilatura, requests); Ctrl-C during it, or
while click reads the arguments, ends with the same one line and exit 130 as Ctrl-C inside a command.
"""
from __future__ import annotations

import sys

INTERRUPTED = "Interrupted: what was saved so far is kept; run again to finish."


def main() -> None:
    try:
        sys.exit(_run())
    except KeyboardInterrupt:
        sys.stderr.write(INTERRUPTED + "\n")
        sys.exit(130)


def _run() -> int:
    """click's standalone handling, except that a Ctrl-C it catches (as Abort) is handed back as one."""
    import click

    from .cli import cli

    try:
        code = cli.main(prog_name="blog-archive", standalone_mode=False)
    except click.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            raise exc.__cause__ from None
        click.echo("Aborted!", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    main()
