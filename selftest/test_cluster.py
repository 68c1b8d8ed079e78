#!/usr/bin/env python3
"""A sealed cluster: the README's commands, and only its owner gets in.

The certificates, the scheduler and the worker are made and started with
the README's own command lines (selftest/sealed.py reads them there); a
class is graded through them, and parties without the cluster's
certificates are shown the door.
"""
import csv
import json
import os
import shutil
import socket
import ssl
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import sealed
from kata import cli
from kata.catalogue.steps import SOLUTION_DIR, STEPS
from kata.classroom import cluster, engine
from kata.student import workspace

REFUSED_SECONDS = 5


@pytest.fixture(scope="module")
def sealed_class(tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[Dict[str, Any]]:
    """Start the README's cluster (one worker) beside a class/ folder."""
    folder = tmp_path_factory.mktemp("sealed")
    shutil.copytree(str(SOLUTION_DIR), str(folder / "class" / "alice"))
    workspace.init(folder / "class" / "bob")
    for running in sealed.readme_cluster(folder, 1):
        running["folder"] = folder
        yield running


def test_the_certificates_are_private_and_signed_by_their_authority(
        sealed_class: Dict[str, Any]) -> None:
    """cluster certs writes a CA and a signed key, the key mode 0600."""
    certs = sealed_class["certs"]
    assert sorted(path.name for path in certs.iterdir()) == [
        "ca.pem", "cluster-key.pem", "cluster.pem"]
    assert stat.S_IMODE((certs / "cluster-key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE(certs.stat().st_mode) == 0o700
    assert "key to the cluster" in sealed_class["certs_output"]
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    context.load_cert_chain(str(certs / "cluster.pem"),
                            str(certs / "cluster-key.pem"))
    again = sealed.run(sealed_class["commands"]["certs"],
                       sealed_class["folder"])
    assert again.returncode == cli.EXIT_USAGE
    assert "already exist" in again.stderr


def test_the_readme_s_roster_command_grades_the_class(
        sealed_class: Dict[str, Any]) -> None:
    """The README's roster line grades on the cluster: 21/21 and 0/21."""
    done = sealed.run(sealed_class["commands"]["roster"],
                      sealed_class["folder"], sealed_class["port"])
    assert done.returncode == cli.EXIT_FAIL, done.stderr
    with open(str(sealed_class["folder"] / "grades.csv"),
              newline="") as handle:
        book = {row["student"]: row for row in csv.DictReader(handle)}
    assert book["alice"]["tasks passed"] == str(len(STEPS))
    assert book["bob"]["tasks passed"] == "0"
    assert "Graded 2 submission(s)." in done.stdout


# A client in a process of its own: a refused Dask client can hang while
# it closes (its __del__ waits for its own event loop), so the test only
# watches for the proof that code ran, and gives up after a while.
RUN_CODE = """
import os, sys
from distributed import Client
from distributed.security import Security
address, ca, cert, key, seconds = sys.argv[1:6]
options = {}
if ca:
    options["security"] = Security(
        require_encryption=True, tls_ca_file=ca, tls_client_cert=cert,
        tls_client_key=key)
with Client(address, timeout=float(seconds), **options) as client:
    print("RAN", len(client.run(os.getpid)), flush=True)
os._exit(0)
"""


def _ran_code(address: str, ca: str = "", cert: str = "",
              key: str = "") -> bool:
    """Tell whether a client with these files runs code on the workers."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", RUN_CODE, address, ca, cert, key,
             str(REFUSED_SECONDS)], capture_output=True, text=True,
            timeout=REFUSED_SECONDS * 6)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and "RAN 1" in done.stdout


def test_only_a_holder_of_the_certificates_runs_code(
        sealed_class: Dict[str, Any], tmp_path: Path) -> None:
    """No certificate, plain TCP, or one of another authority: refused."""
    address = sealed_class["address"]
    certs = sealed_class["certs"]
    assert _ran_code(address, str(certs / "ca.pem"),
                     str(certs / "cluster.pem"),
                     str(certs / "cluster-key.pem"))
    assert not _ran_code(address)
    assert not _ran_code(address.replace("tls://", "tcp://"))
    made = sealed.run(sealed_class["commands"]["certs"], tmp_path)
    assert made.returncode == 0, made.stderr
    rogue = tmp_path / "certs"
    # A certificate of its own authority, even trusting the cluster's.
    for authority in (rogue / "ca.pem", certs / "ca.pem"):
        assert not _ran_code(address, str(authority),
                             str(rogue / "cluster.pem"),
                             str(rogue / "cluster-key.pem"))


def test_the_scheduler_refuses_a_handshake_without_a_certificate(
        sealed_class: Dict[str, Any]) -> None:
    """Below Dask: TLS that trusts the scheduler but shows no cert fails."""
    context = ssl.create_default_context(
        cafile=str(sealed_class["certs"] / "ca.pem"))
    context.check_hostname = False
    with pytest.raises((ssl.SSLError, OSError)):
        with socket.create_connection(("127.0.0.1", sealed_class["port"]),
                                      timeout=REFUSED_SECONDS) as raw:
            with context.wrap_socket(raw) as secured:
                # TLS 1.3 reports a refused client certificate on read.
                secured.sendall(b"\0" * 8)
                if not secured.recv(1):
                    raise ConnectionResetError("closed by the scheduler")


def test_roster_refuses_an_unsealed_address_or_no_certificates(
        sealed_class: Dict[str, Any],
        capsys: pytest.CaptureFixture) -> None:
    """tcp:// is refused with a reason, and so is --scheduler alone."""
    folder = str(sealed_class["folder"] / "class")
    assert cli.main(["roster", folder, "--scheduler", "tcp://127.0.0.1:1",
                     "--certs", str(sealed_class["certs"])]) == \
        cli.EXIT_USAGE
    assert "not a sealed address" in capsys.readouterr().err
    assert cli.main(["roster", folder, "--scheduler",
                     sealed_class["address"]]) == cli.EXIT_USAGE
    assert "--scheduler needs --certs" in capsys.readouterr().err
    assert cli.main(["cluster", "worker", "tcp://127.0.0.1:1", "--certs",
                     str(sealed_class["certs"])]) == cli.EXIT_USAGE
    assert "not a sealed address" in capsys.readouterr().err


def _earlier_outputs(folder: Path) -> Dict[str, bytes]:
    """Write a gradebook, reports and class page an earlier run left."""
    outputs = {"grades.csv": b'"student","score"\r\n"alice","100.0"\r\n',
               "reports.json": json.dumps({"students": []}).encode(),
               "class.html": b"<p>the earlier class report</p>\n"}
    for name, data in outputs.items():
        (folder / name).write_bytes(data)
    return outputs


def _outputs_of(folder: Path) -> List[str]:
    """Return roster's options that write the outputs in folder."""
    return ["--csv", str(folder / "grades.csv"), "--json",
            str(folder / "reports.json"), "--html",
            str(folder / "class.html")]


def test_workers_without_the_kata_leave_the_gradebook_alone(
        sealed_class: Dict[str, Any], tmp_path: Path,
        capsys: pytest.CaptureFixture) -> None:
    """A cluster whose worker cannot import the kata grades nothing.

    The run stops before any task is sent, says why on stderr and exits
    non-zero; the earlier gradebook stays as it was, byte for byte.
    """
    port = sealed.free_port()
    address = "tls://127.0.0.1:{}".format(port)
    certs = sealed_class["certs"]
    processes = [sealed.start(
        sealed.as_run_here(sealed_class["commands"]["scheduler"], port),
        sealed_class["folder"], tmp_path / "scheduler.log")]
    try:
        # Dask's own worker, sealed but started without the kata's path.
        command, environment = cluster.worker_command(certs, address)
        del environment["PYTHONPATH"]
        processes.append(sealed.start(command, tmp_path,
                                      tmp_path / "worker.log", environment))
        sealed.wait_for(address, certs, 1)
        before = _earlier_outputs(tmp_path)
        capsys.readouterr()
        code = cli.main(["roster", str(sealed_class["folder"] / "class"),
                         "--scheduler", address, "--certs", str(certs),
                         *_outputs_of(tmp_path)])
        err = capsys.readouterr().err
        assert code == cli.EXIT_USAGE
        assert "cannot run the kata" in err
        assert "No module named 'kata'" in err
        assert {name: (tmp_path / name).read_bytes()
                for name in before} == before
    finally:
        sealed.stop(processes)


def test_a_run_where_every_row_failed_writes_nothing(
        sealed_class: Dict[str, Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    """When the cluster fails every submission, no gradebook is written."""
    def every_task_fails(scheduler: str, certs: Path,
                         submissions: List[Any], options: Any,
                         on_graded: Any = None,
                         on_failed: Any = None) -> Dict[str, Any]:
        """Fail each submission as a worker without a sandbox would."""
        for name, _ in submissions:
            on_failed(name, "the worker on w1 cannot run the sandbox")
        return {}

    monkeypatch.setattr(engine, "grade_on_cluster", every_task_fails)
    before = _earlier_outputs(tmp_path)
    capsys.readouterr()
    code = cli.main(["roster", str(sealed_class["folder"] / "class"),
                     *on_cluster(sealed_class), *_outputs_of(tmp_path)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert "graded none of the 2 submission(s)" in err
    assert "cannot run the sandbox" in err
    assert {name: (tmp_path / name).read_bytes() for name in before} == \
        before
    assert not (tmp_path / "grades.csv.history.jsonl").exists()


def on_cluster(running: Dict[str, Any]) -> List[str]:
    """Return roster's options that grade on a running sealed cluster."""
    return ["--scheduler", running["address"], "--certs",
            str(running["certs"])]
