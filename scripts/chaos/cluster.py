"""A throwaway Postgres cluster for the chaos harness, driven through scripts/test-cluster.sh,
and the harness's own SQL access to it (the `psql` client; no Python driver needed).

Every harness query runs with a statement and lock timeout and a wall-clock limit, so a
query of the harness can never hang the harness, whatever Baton's sessions are holding.
"""

import os
import shutil
import subprocess
import time

HARNESS_APP = "chaos-harness"  # application_name of the harness's own sessions
FIELD_SEP = "\x1f"   # unit separator between fields, record separator between rows:
RECORD_SEP = "\x1e"  # values may hold newlines (query texts)


class SQLError(RuntimeError):
    pass


def lit(text):
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


class Cluster:
    def __init__(self, repo, folder):
        self.repo = repo
        self.folder = folder
        self.script = os.path.join(repo, "scripts", "test-cluster.sh")
        self.psql_bin = shutil.which("psql") or "/usr/bin/psql"
        self.started = False

    # -- lifecycle -------------------------------------------------------------------------

    def start(self):
        self.started = True  # from here on `stop` is due, even if this start is interrupted
        out = subprocess.run([self.script, "start", self.folder], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"test-cluster.sh start failed ({out.returncode}): {out.stderr.strip()}")
        return out.stdout.strip()

    def stop(self):
        if not self.started:
            return
        subprocess.run([self.script, "stop", self.folder], capture_output=True, timeout=120)
        self.started = False

    def restart(self, mode):
        """pg_ctl restart -m MODE, same socket folder and options; returns the seconds it took."""
        t0 = time.monotonic()
        out = subprocess.run([self.script, "restart", self.folder, mode], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"test-cluster.sh restart {mode} failed: {out.stderr.strip()}")
        return time.monotonic() - t0

    @property
    def socket_path(self):
        return os.path.join(self.folder, ".s.PGSQL.5432")

    def url(self, db):
        return f"postgresql:///{db}?host={self.folder}&user=postgres"

    # -- queries ----------------------------------------------------------------------------

    def _env(self):
        env = dict(os.environ)
        env["PGAPPNAME"] = HARNESS_APP
        env["PGOPTIONS"] = "-c statement_timeout=60000 -c lock_timeout=20000"
        env["PGCONNECT_TIMEOUT"] = "10"
        return env

    def psql(self, db, sql, timeout=90):
        """Runs one SQL text; returns its rows as lists of strings (None for NULL)."""
        cmd = [self.psql_bin, "-X", "-q", "-A", "-t", "-F", FIELD_SEP, "-R", RECORD_SEP, "-P", "null=\\N",
               "-v", "ON_ERROR_STOP=1", "-d", self.url(db), "-c", sql]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=self._env())
        except subprocess.TimeoutExpired as e:
            raise SQLError(f"harness query timed out after {timeout}s: {sql[:120]}") from e
        if out.returncode != 0:
            raise SQLError(out.stderr.strip() or f"psql exit {out.returncode}")
        rows = []
        for line in out.stdout.rstrip("\n").split(RECORD_SEP):
            if line == "":
                continue
            rows.append([None if f == "\\N" else f for f in line.split(FIELD_SEP)])
        return rows

    def value(self, db, sql, timeout=90):
        rows = self.psql(db, sql, timeout)
        return rows[0][0] if rows else None

    def int_value(self, db, sql, timeout=90):
        v = self.value(db, sql, timeout)
        return int(v) if v is not None else 0

    def try_int(self, db, sql, default=None, timeout=10):
        """Like int_value, but None/default while the server is unreachable (restarts)."""
        try:
            return self.int_value(db, sql, timeout)
        except (SQLError, ValueError):
            return default

    def create_database(self, db):
        self.psql("postgres", f'CREATE DATABASE "{db}"')

    def drop_database(self, db):
        try:
            self.psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        except SQLError:
            pass

    def copy_in(self, db, table, path):
        self.psql(db, f"\\copy {table} from {lit(path)}")

    # -- sessions ---------------------------------------------------------------------------

    def baton_sessions(self, db):
        """(pid, state, query) of the client backends of database `db` that are not ours."""
        rows = self.psql("postgres", f"""
            SELECT pid, coalesce(state, ''), left(coalesce(query, ''), 200), (xact_start IS NOT NULL)::int,
                   (backend_xid IS NOT NULL)::int
            FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND datname = {lit(db)}
              AND coalesce(application_name, '') <> {lit(HARNESS_APP)} AND pid <> pg_backend_pid()""", timeout=15)
        return [(int(r[0]), r[1], r[2], r[3] == "1", r[4] == "1") for r in rows]

    def terminate(self, pids):
        if not pids:
            return 0
        rows = self.psql("postgres", "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM unnest(ARRAY[%s]::int[]) AS pid"
                         % ",".join(str(p) for p in pids), timeout=15)
        return int(rows[0][0])
