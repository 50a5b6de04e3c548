"""`blog-archive` and `python -m archive`: the command line, with Ctrl-C handled from the first instant.

Ctrl-C while the command line loads (each command imports its own library, up to half a second for a crawl),
or while click reads the arguments, ends with the same one line and exit 130 as Ctrl-C inside a command;
once the command is done, Ctrl-C no longer changes its outcome.
"""
from __future__ import annotations

import signal
import sys

INTERRUPTED = "Interrupted: what was saved so far is kept; run again to finish."


def main() -> None:
    try:
        code = _run()
    except KeyboardInterrupt:
        sys.stderr.write(INTERRUPTED + "\n")
        sys.exit(130)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # done and reported: a late Ctrl-C must not turn it into a kill
    sys.exit(code)


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
