"""The pgbouncer drill's PgBouncer (scripts/load.py): its generated configuration, and,
where PgBouncer and the local PostgreSQL are there, that it really pools by transaction."""

import configparser
import shutil
import sys
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import harness  # noqa: E402
import load  # noqa: E402


def test_ini_is_loopback_transaction_pooling_in_front_of_local_postgres(tmp_path):
    ini = configparser.ConfigParser()
    ini.read_string(load.pgbouncer_ini(tmp_path, 6543, db="relief_scale_x", pool_size=3))
    assert dict(ini["databases"]) == {
        "relief_scale_x": "host=127.0.0.1 port=5432 dbname=relief_scale_x"
    }
    bouncer = ini["pgbouncer"]
    assert (bouncer["listen_addr"], bouncer["listen_port"]) == ("127.0.0.1", "6543")
    assert bouncer["pool_mode"] == "transaction"
    assert bouncer["default_pool_size"] == "3"
    assert bouncer["auth_type"] == "trust"
    assert bouncer["auth_file"] == f"{tmp_path}/userlist.txt"
    assert bouncer["unix_socket_dir"] == ""


@pytest.mark.skipif(shutil.which("pgbouncer") is None, reason="PgBouncer is not installed")
@pytest.mark.skipif(not harness.pg_ready(), reason="no PostgreSQL on 127.0.0.1:5432")
def test_two_clients_share_one_server_connection_between_transactions():
    with load.PgBouncer(db="postgres", pool_size=1) as bouncer:
        with (
            psycopg.connect(bouncer.url, autocommit=True) as first,
            psycopg.connect(bouncer.url, autocommit=True) as second,
        ):
            pid = first.execute("SELECT pg_backend_pid()").fetchone()[0]
            # In session pooling the second client would wait for the first to leave.
            assert second.execute("SELECT pg_backend_pid()").fetchone()[0] == pid
        assert bouncer.stats()["server_connections"] == 1
        folder = bouncer.folder
    assert bouncer.process.poll() is not None
    assert not folder.exists()
