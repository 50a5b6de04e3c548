"""The archive's SQLite file: connecting to it to read or to write, telling an archive from any other SQLite
file, checking it before the first write, and taking turns with other writers.

Writers wait for each other: every write transaction starts with BEGIN IMMEDIATE, retried in short steps (so
Ctrl-C is seen at once) until BLOG_ARCHIVE_WAIT seconds have passed; then the error names the process that
holds the archive. That process is the one the kernel says holds SQLite's write lock, so a killed writer is
never blamed: its locks went with it.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sqlite3
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import sqlite_utils

from scraper.errors import ArchiveError
from scraper.text import clip

APPLICATION_ID = 0x426C4172  # "BlAr" in PRAGMA application_id: this SQLite file is a blog-archive archive
WAIT_ENV = "BLOG_ARCHIVE_WAIT"
DEFAULT_WAIT = 60.0  # seconds a writer waits for another one; longer than any single transaction we make
BUSY_STEP = 0.25  # seconds SQLite itself waits for a lock before handing back to Python (and to Ctrl-C)
PROGRESS_STEP = 100_000  # SQLite virtual machine steps between two chances for Ctrl-C (about a millisecond)
WAL_WRITE_LOCK = 120  # the byte of the -shm file that SQLite's unix VFS locks while a connection writes
SHARED_LOCKS = (0x40000000, 512)  # the lock bytes of the database file itself (rollback journal mode)
_WRITE_KEYWORDS = {"insert", "update", "delete", "replace", "create", "drop", "alter"}
_FIRST_WORD = re.compile(r"^\s*(?:--[^\n]*\n\s*)*(\w+)")


class ArchiveBusy(ArchiveError):
    """Another process has held the archive for longer than this one was willing to wait."""


class ArchiveDatabase(sqlite_utils.Database):
    """sqlite-utils' Database, whose write transactions take the write lock first and wait their turn for it."""

    path: Path
    wait: float

    @contextlib.contextmanager
    def atomic(self) -> Iterator[ArchiveDatabase]:
        """One transaction (a savepoint when nested) that holds the write lock from its first statement.

        A deferred BEGIN would read first and then fail at once with 'database is locked' if another process
        wrote in between; BEGIN IMMEDIATE waits for the lock instead.
        """
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self._begin_immediate()
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise

    def execute(self, sql: str, parameters: Sequence | dict[str, Any] | None = None) -> sqlite3.Cursor:
        """A write outside a transaction becomes a short transaction of its own, waiting its turn like any."""
        if self.conn.in_transaction or not is_write(sql):
            return super().execute(sql, parameters)
        with self.atomic():
            return super().execute(sql, parameters)

    def use_wal(self) -> None:
        """Write-ahead logging, so readers never wait for a writer (set once; a no-op after)."""
        if self.journal_mode != "wal":
            self._when_free("PRAGMA journal_mode = wal")

    def _begin_immediate(self) -> None:
        self._when_free("BEGIN IMMEDIATE")

    def _when_free(self, statement: str) -> None:
        """Run a statement that needs the write lock, retrying while another process holds it, up to self.wait."""
        deadline = time.monotonic() + self.wait
        while True:
            try:
                self.conn.execute(statement)
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise busy_error(self.path, self.wait) from exc
                time.sleep(0.02)


def is_write(sql: str) -> bool:
    match = _FIRST_WORD.match(sql)
    return bool(match) and match.group(1).lower() in _WRITE_KEYWORDS


def is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == sqlite3.SQLITE_BUSY
    return str(exc) == "database is locked"


def wait_limit() -> float:
    """How long a writer waits for another (BLOG_ARCHIVE_WAIT seconds, default 60)."""
    value = os.environ.get(WAIT_ENV, "")
    try:
        seconds = float(value) if value else DEFAULT_WAIT
    except ValueError:
        raise ArchiveError(f"{WAIT_ENV}={value!r} is not a number of seconds") from None
    if not 0 <= seconds < float("inf"):
        raise ArchiveError(f"{WAIT_ENV}={value!r} is not a number of seconds")
    return seconds


def busy_error(path: Path, waited: float) -> ArchiveBusy:
    holder = lock_holder(path)
    who = f"process {holder[0]} ({holder[1]})" if holder else "another process"
    return ArchiveBusy(f"{path} is busy: {who} has been writing to it for more than {waited:g} s; "
                       f"try again when it is done (or set {WAIT_ENV} to wait longer)")


def lock_holder(path: Path) -> tuple[int, str] | None:
    """The pid and command line of the process holding the archive's write lock, as the kernel knows it."""
    for name, start, length in ((f"{path}-shm", WAL_WRITE_LOCK, 1), (str(path), *SHARED_LOCKS)):
        pid = _lock_owner(name, start, length)
        if pid:
            return pid, _command_of(pid)
    return None


def _lock_owner(name: str, start: int, length: int) -> int | None:
    if sys.platform != "linux":  # struct flock's layout is Linux's here
        return None
    try:
        fd = os.open(name, os.O_RDONLY)
    except OSError:
        return None
    try:
        request = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, start, length, 0)
        kind, _, _, _, pid = struct.unpack("hhqqi4x", fcntl.fcntl(fd, fcntl.F_GETLK, request))
    except OSError:
        return None
    finally:
        os.close(fd)
    return pid if kind != fcntl.F_UNLCK and pid > 0 else None


def _command_of(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return "command unknown"
    argv = [a for a in argv if a]
    if len(argv) > 1 and Path(argv[0]).name.startswith("python") and not argv[1].startswith("-"):
        argv = argv[1:]  # a console script run by its interpreter: name the script
    return clip(" ".join([Path(argv[0]).name, *argv[1:]]) if argv else "?", 120)


@dataclass
class FileFacts:
    """What an SQLite file says about itself, read without writing a byte."""

    application_id: int
    version: int
    tables: set[str]
    post_columns: set[str]


def connect(path: Path, *, write: bool) -> ArchiveDatabase:
    """A connection that waits BUSY_STEP for locks; a reader's is read-only (immutable on a read-only disk)."""
    try:
        if write:
            conn = sqlite3.connect(str(path), timeout=BUSY_STEP)
        else:
            conn = _read_only_connection(path)
    except sqlite3.Error as exc:
        raise ArchiveError(f"{path} cannot be opened as a database: {exc}") from exc
    conn.set_progress_handler(_let_signals_in, PROGRESS_STEP)
    # No sqlite-utils plugins: whatever is installed beside us never changes an archive's connections, and the
    # scan of every installed package for them (~30 ms) is not paid by each command.
    db = ArchiveDatabase(conn, execute_plugins=False)
    db.path, db.wait = path, wait_limit()
    return db


def _let_signals_in() -> int:
    """Called by SQLite every PROGRESS_STEP steps of a statement: running Python here lets Ctrl-C in.

    Python only acts on a signal between bytecodes, so a long statement (rebuilding a big archive's search
    index, quick_check) would otherwise hold Ctrl-C back until it ends. A KeyboardInterrupt raised here makes
    SQLite abandon the statement, which then fails as SQLITE_INTERRUPT (see `is_interrupt`).
    """
    return 0


def is_interrupt(exc: BaseException) -> bool:
    """True for the error of a statement that Ctrl-C abandoned."""
    return isinstance(exc, sqlite3.OperationalError) and getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT


def _read_only_connection(path: Path) -> sqlite3.Connection:
    uri = path.resolve().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=BUSY_STEP, check_same_thread=False)
    try:
        conn.execute("select count(*) from sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        if os.access(path.parent, os.W_OK):
            raise
    # A read-only folder or disk, where SQLite cannot make the WAL's side files: nothing can change the file.
    conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)
    conn.execute("select count(*) from sqlite_master").fetchone()
    return conn


def read_facts(db: sqlite_utils.Database) -> FileFacts:
    conn = db.conn
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    columns = {r[1] for r in conn.execute("pragma table_info(posts)")} if "posts" in tables else set()
    return FileFacts(application_id=conn.execute("pragma application_id").fetchone()[0],
                     version=conn.execute("pragma user_version").fetchone()[0], tables=tables, post_columns=columns)


def check_integrity(db: sqlite_utils.Database, path: Path) -> None:
    """Refuse a damaged file before anything is written to it (SQLite's quick_check: every page, no index scan)."""
    try:
        problems = [r[0] for r in db.conn.execute("pragma quick_check(3)")]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems != ["ok"]:
        found = clip("; ".join(p.replace("*** in database main ***", "") for p in problems), 200)
        raise ArchiveError(f"{path} is damaged ({found}); nothing was written to it. "
                           f"Restore it from a backup, or try: sqlite3 {path.name} .recover")


def read_only_reason(path: Path) -> str | None:
    """Why a writer could not write to the archive at `path` (None if it can)."""
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "is on a read-only filesystem"
    except OSError:
        pass
    if path.exists() and not os.access(path, os.W_OK):
        return "is a read-only file"
    if not os.access(folder, os.W_OK):
        return f"is in a folder ({folder}) where it cannot be written"
    return None
