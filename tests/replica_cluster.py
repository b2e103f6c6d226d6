"""A real PostgreSQL primary and its streaming replica, for the replica routing test.

Both are clusters of their own on free ports in a temporary directory, made from the test
run's PostgreSQL binaries: ``initdb`` a primary, copy the run's test database into it
(``pg_dump | psql``: the migrated schema and the rows migrations seed), ``pg_basebackup`` the
whole primary cluster into the replica's directory (``-R``: it starts as a hot standby
streaming from the primary), start it. The replica's primary is private rather than the
shared cluster of the run because a hot standby opens for reads only once every transaction
that was open on its primary with more than 64 subtransactions has ended (PostgreSQL's
"subxid overflow"), and the suite's other workers hold such transactions for minutes.

The server refuses to run as root, so under root the binaries run as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2

PROGRAMS = ("initdb", "pg_ctl", "pg_basebackup", "pg_dump", "psql")
PREFIX = "qa_replica_"  # then the pid of the test process, so leftovers can be told apart


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _one(cursor, sql: str, params=()):
    cursor.execute(sql, params)
    return cursor.fetchone()[0]


def bin_dir_for(cursor) -> Path:
    major = int(_one(cursor, "SHOW server_version_num")) // 10000
    return Path(f"/usr/lib/postgresql/{major}/bin")


def why_no_replica(cursor) -> str | None:
    """Why this machine cannot run a primary and a streaming replica of the same PostgreSQL
    version as the test run's server, or None when it can."""
    bin_dir = bin_dir_for(cursor)
    missing = [name for name in PROGRAMS if not (bin_dir / name).exists()]
    if missing:
        return f"{', '.join(missing)} not found in {bin_dir}"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' OS user to run a server as"
    return None


@dataclass
class Server:
    """One cluster: its data directory, its port, its log."""

    bin_dir: Path
    data: Path
    port: int

    def settings(self, **values: str) -> None:
        # Appended: a later line wins over initdb's (and over the primary's, in a copy).
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in values.items())

    def start(self) -> None:
        run(
            self.bin_dir / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.data.parent / f"{self.port}.log",
            "-w",
            "-t",
            "60",
            "start",
            cwd=self.data.parent,
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                run(
                    self.bin_dir / "pg_ctl",
                    "-D",
                    self.data,
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                    cwd=self.data.parent,
                )


def run(*command, cwd: Path, stdin=None) -> None:
    result = subprocess.run(
        [*_as_postgres(), *map(str, command)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        stdin=stdin,
    )
    if result.returncode:
        logs = "".join(log.read_text()[-1500:] for log in cwd.glob("*.log"))
        raise RuntimeError(f"{Path(str(command[0])).name} failed: {result.stderr.strip()}\n{logs}")


@dataclass
class StreamingPair:
    """A primary and its hot standby, both serving ``database``."""

    directory: Path
    primary: Server
    replica: Server
    database: str
    user: str

    def connect(self, server: Server):
        connection = psycopg2.connect(
            host="127.0.0.1", port=server.port, user=self.user, dbname=self.database
        )
        connection.autocommit = True
        return connection

    def _on_replica(self, sql: str, params=()):
        with contextlib.closing(self.connect(self.replica)) as replica:
            with replica.cursor() as cursor:
                return _one(cursor, sql, params)

    def primary_lsn(self) -> str:
        with contextlib.closing(self.connect(self.primary)) as primary:
            with primary.cursor() as cursor:
                return _one(cursor, "SELECT pg_current_wal_lsn()")

    def wait_for_replay(self, timeout: float = 20.0) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        lsn, deadline = self.primary_lsn(), time.monotonic() + timeout
        while not self._on_replica("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replica did not replay the primary's WAL up to {lsn}")
            time.sleep(0.02)

    def pause_replay(self) -> None:
        self._on_replica("SELECT pg_wal_replay_pause()::text")
        while self._on_replica("SELECT pg_get_wal_replay_pause_state()") != "paused":
            time.sleep(0.02)

    def resume_replay(self) -> None:
        self._on_replica("SELECT pg_wal_replay_resume()::text")

    def stop(self) -> None:
        self.replica.stop()
        self.primary.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def _chown(directory: Path) -> None:
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(directory, owner.pw_uid, owner.pw_gid)


def stop_abandoned_pairs(bin_dir: Path) -> None:
    """Stop and delete the pairs of test processes that died before their teardown."""
    for directory in Path(tempfile.gettempdir()).glob(f"{PREFIX}*_*"):
        pid = directory.name.removeprefix(PREFIX).split("_")[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        for role in ("replica", "primary"):
            Server(bin_dir, directory / role, 0).stop()
        shutil.rmtree(directory, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_streaming_pair(cursor, settings_dict: dict) -> StreamingPair:
    """A new primary holding a copy of the test database ``settings_dict`` names (reached
    through ``cursor``), and a streaming hot standby of it; both started."""
    bin_dir = bin_dir_for(cursor)
    locale = _one(cursor, "SELECT datcollate FROM pg_database WHERE datname = current_database()")
    stop_abandoned_pairs(bin_dir)
    directory = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}_"))
    _chown(directory)
    user, database = settings_dict["USER"] or "postgres", settings_dict["NAME"]
    pair = StreamingPair(
        directory=directory,
        primary=Server(bin_dir, directory / "primary", _free_port()),
        replica=Server(bin_dir, directory / "replica", _free_port()),
        database=database,
        user=user,
    )
    local = {
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{directory}'",
        "shared_buffers": "'32MB'",
        "fsync": "off",
    }
    try:
        # initdb's pg_hba.conf trusts local connections, replication ones included.
        run(
            bin_dir / "initdb",
            "-D",
            pair.primary.data,
            "-U",
            user,
            "--auth=trust",
            "--encoding=UTF8",
            f"--locale={locale}",
            "--no-sync",
            "--no-instructions",
            cwd=directory,
        )
        pair.primary.settings(port=str(pair.primary.port), **local)
        pair.primary.start()
        copy_database(bin_dir, settings_dict, pair)
        run(
            bin_dir / "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            pair.primary.port,
            "-U",
            user,
            "-D",
            pair.replica.data,
            "-X",
            "stream",
            "--checkpoint=fast",
            "--no-sync",
            "--write-recovery-conf",
            cwd=directory,
        )
        pair.replica.settings(port=str(pair.replica.port), hot_standby="on", **local)
        pair.replica.start()
    except BaseException:
        pair.stop()
        raise
    return pair


def copy_database(bin_dir: Path, settings_dict: dict, pair: StreamingPair) -> None:
    """The test database, schema and rows, into a database of the same name on the pair's
    primary."""
    source = {
        "PGHOST": settings_dict["HOST"] or "127.0.0.1",
        "PGPORT": str(settings_dict["PORT"] or 5432),
        "PGUSER": pair.user,
        "PGPASSWORD": settings_dict["PASSWORD"] or "",
    }
    with contextlib.closing(
        psycopg2.connect(
            host="127.0.0.1", port=pair.primary.port, user=pair.user, dbname="postgres"
        )
    ) as primary:
        primary.autocommit = True
        with primary.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{pair.database}"')
    dump = subprocess.run(
        [bin_dir / "pg_dump", "--no-owner", "--no-acl", settings_dict["NAME"]],
        capture_output=True,
        timeout=120,
        env={**os.environ, **source},
        check=True,
    )
    with tempfile.TemporaryFile() as script:
        script.write(dump.stdout)
        script.seek(0)
        run(
            bin_dir / "psql",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            pair.primary.port,
            "-U",
            pair.user,
            "-d",
            pair.database,
            cwd=pair.directory,
            stdin=script,
        )
