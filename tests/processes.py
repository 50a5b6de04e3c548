"""Running blog-archive as a real process: the installed command, a process that holds an archive's write lock,
and read-only disks and files made with the kernel's own means (a private read-only bind mount, or a root
process without the capability that lets it write read-only files)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SEED = FIXTURES / "dumps" / "does-acupuncture-work-for-neuropathy.txt"

# A process that writes into the archive and keeps its transaction open, as a long writer (a rebuild of a big
# archive's search index, a migration) does; it says "holding" once it holds the write lock.
HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("begin immediate")
conn.execute("insert into runs (site, started_at) values ('holder', '2024-01-01T00:00:00+00:00')")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("commit")
"""


def command(*args: object) -> list[str]:
    """The installed `blog-archive` command (the console script next to this Python) with its arguments."""
    script = Path(sys.executable).parent / "blog-archive"
    if not script.exists():
        script = Path(shutil.which("blog-archive") or "blog-archive")
    return [str(script), *map(str, args)]


def run(*args: object, env: dict[str, str] | None = None, timeout: float = 60,
        wrapper: list[str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*(wrapper or []), *command(*args)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def start(*args: object, env: dict[str, str] | None = None, wrapper: list[str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([*(wrapper or []), *command(*args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})


def hold(db_path: Path, seconds: float) -> subprocess.Popen:
    """Start a process that holds the archive's write lock for `seconds`; return once it holds it."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db_path), str(seconds)], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def read_only_mount(folder: Path) -> list[str]:
    """A command prefix that runs the command with `folder` mounted read-only, in a mount namespace of its own
    (nothing outside the command sees it); skips the test where the machine does not allow it."""
    prefix = ["unshare", "--mount", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', str(folder)]
    probe = subprocess.run([*prefix, "sh", "-c", f'! touch "{folder}/.probe" 2>/dev/null'], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot make a read-only mount here (needs root, or unshare and mount)")
    return prefix


def without_root_override() -> list[str]:
    """A command prefix under which a read-only file cannot be written: as it is for a user, and for root
    without CAP_DAC_OVERRIDE; skips the test where that cannot be arranged."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("root without setpriv cannot be kept from writing a read-only file")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
