"""`recurra migrate` on a fresh data directory leaves it private: the directory 0700, the SQLite
database (and its WAL files) and the sandbox secret key 0600, under the usual umask 022."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_migrate_on_a_fresh_data_dir_makes_it_private(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"
    env = {**os.environ, "RECURRA_DATA_DIR": str(data), "RECURRA_MODE": "sandbox", "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    env.pop("SECRET_KEY", None)
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from recurra.cli import main; sys.exit(main(['migrate']))"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        umask=0o022,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Database is up to date.\n"
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir() if p.is_file()}
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert modes["recurra.sqlite3"] == modes["secret_key"] == 0o600
    assert (data / "recurra.sqlite3").stat().st_size > 0  # SQLite wrote into the file made private
    assert set(modes.values()) == {0o600}, modes  # -wal and -shm too, when left behind
