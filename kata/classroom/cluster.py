#!/usr/bin/env python3
"""Seal the grading cluster with TLS, so that only its owner can use it.

Dask's scheduler and workers accept any party that reaches them, and a
party that reaches them can run code on the workers. A sealed cluster only
speaks TLS with both ends checked (Dask's ``Security``): every party must
show a certificate signed by the cluster's own authority. make_certs
writes that authority's certificate and one key and certificate that it
signed, for the scheduler, the workers and the client alike; the
authority's key is thrown away once it has signed, so nobody can sign
another. The folder it writes is the key to the cluster.
"""
import datetime
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from kata.catalogue.steps import REPO_ROOT

if TYPE_CHECKING:  # pragma: no cover - only for the annotations
    from distributed.security import Security

CA_FILE = "ca.pem"
CERT_FILE = "cluster.pem"
KEY_FILE = "cluster-key.pem"
VALID_DAYS = 365
# Dask's configuration, as environment variables each process reads.
CONFIG_PREFIX = "DASK_DISTRIBUTED__COMM__"
ROLES = ("scheduler", "worker", "client")
DASK = str(Path(sys.executable).parent / "dask")


class ClusterError(Exception):
    """The cluster cannot be sealed or started as asked; says why."""


def paths(folder: Path) -> Dict[str, Path]:
    """Return the files of a certificate folder, by what they hold."""
    return {"ca": folder / CA_FILE, "cert": folder / CERT_FILE,
            "key": folder / KEY_FILE}


def make_certs(folder: Path) -> List[Path]:
    """Write a new authority and the cluster's key and certificate.

    The key is written readable by its owner only (mode 0600) and the
    folder is created private; existing files are never replaced.
    """
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError as error:
        raise ClusterError("cannot make certificates without the "
                           "cryptography package ({}): run ./checker.sh "
                           "once, which installs requirements.txt".format(
                               error))

    files = paths(folder)
    present = [str(path) for path in files.values() if path.exists()]
    if present:
        raise ClusterError("{} already exist(s): remove the folder's "
                           "certificates first, then make new ones (every "
                           "machine of the cluster needs the new "
                           "ones)".format(", ".join(present)))
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = (now - datetime.timedelta(minutes=5),
                  now + datetime.timedelta(days=VALID_DAYS))
    authority_key = ec.generate_private_key(ec.SECP256R1())
    authority = x509.Name([x509.NameAttribute(
        NameOID.COMMON_NAME, "kata grading cluster authority")])
    ca = (x509.CertificateBuilder()
          .subject_name(authority).issuer_name(authority)
          .public_key(authority_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0),
                         critical=True)
          .add_extension(x509.KeyUsage(
              digital_signature=False, content_commitment=False,
              key_encipherment=False, data_encipherment=False,
              key_agreement=False, key_cert_sign=True, crl_sign=True,
              encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(
              authority_key.public_key()), critical=False)
          .sign(authority_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    member = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(
                  NameOID.COMMON_NAME, "kata grading cluster member")]))
              .issuer_name(authority).public_key(key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(start).not_valid_after(end)
              .add_extension(x509.BasicConstraints(ca=False,
                                                   path_length=None),
                             critical=True)
              .add_extension(x509.ExtendedKeyUsage([
                  ExtendedKeyUsageOID.SERVER_AUTH,
                  ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
              .add_extension(x509.SubjectAlternativeName([
                  x509.DNSName("kata-cluster")]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier
                             .from_issuer_public_key(
                                 authority_key.public_key()),
                             critical=False)
              .sign(authority_key, hashes.SHA256()))
    _write(files["key"], key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()), 0o600)
    _write(files["cert"], member.public_bytes(serialization.Encoding.PEM),
           0o644)
    _write(files["ca"], ca.public_bytes(serialization.Encoding.PEM), 0o644)
    return [files["ca"], files["cert"], files["key"]]


def _write(path: Path, data: bytes, mode: int) -> None:
    """Create path with mode from the start (never replacing a file)."""
    descriptor = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(str(path), mode)


def checked(folder: Path) -> Dict[str, Path]:
    """Return a certificate folder's files, or raise ClusterError."""
    files = paths(folder)
    missing = [str(path) for path in files.values() if not path.is_file()]
    if missing:
        raise ClusterError(
            "{} holds no cluster certificates (missing: {}): make them "
            "with './checker.sh cluster certs {}' on the instructor's "
            "machine and copy the folder to every machine of the "
            "cluster".format(folder, ", ".join(missing), folder))
    return {name: path.resolve() for name, path in files.items()}


def check_address(address: str) -> str:
    """Return a scheduler address if it is sealed (tls://), else refuse."""
    if not address.startswith("tls://"):
        raise ClusterError(
            "{} is not a sealed address: the cluster only speaks TLS, so "
            "that no one without its certificates can use it; write "
            "tls://HOST:PORT".format(address))
    return address


def security(folder: Path) -> "Security":
    """Return Dask's Security of a client of the sealed cluster."""
    from distributed.security import Security

    files = checked(folder)
    return Security(require_encryption=True,
                    tls_ca_file=str(files["ca"]),
                    tls_client_cert=str(files["cert"]),
                    tls_client_key=str(files["key"]))


def environment(folder: Path) -> Dict[str, str]:
    """Return the environment of a sealed scheduler or worker process.

    It puts the kata on the import path (a worker unpickles the kata's
    tasks), and Dask's TLS settings in its configuration variables.
    """
    files = checked(folder)
    settings = dict(os.environ)
    for name in [name for name in settings
                 if name.startswith(CONFIG_PREFIX)]:
        del settings[name]
    paths_before = [entry for entry in settings.get(
        "PYTHONPATH", "").split(os.pathsep) if entry]
    settings.update(
        PYTHONPATH=os.pathsep.join([str(REPO_ROOT)] + [
            entry for entry in paths_before if entry != str(REPO_ROOT)]),
        PYTHONSAFEPATH="1", PYTHONDONTWRITEBYTECODE="1")
    settings[CONFIG_PREFIX + "REQUIRE_ENCRYPTION"] = "True"
    # Dask's plain HTTP pages (health, metrics, the workers' logs and
    # tasks, named after students) would be open to anyone: serve none.
    for process in ("SCHEDULER", "WORKER"):
        settings["DASK_DISTRIBUTED__{}__HTTP__ROUTES".format(process)] = "[]"
    settings[CONFIG_PREFIX + "TLS__CA_FILE"] = str(files["ca"])
    for role in ROLES:
        prefix = "{}TLS__{}__".format(CONFIG_PREFIX, role.upper())
        settings[prefix + "CERT"] = str(files["cert"])
        settings[prefix + "KEY"] = str(files["key"])
    return settings


def scheduler_command(folder: Path, host: Optional[str],
                      port: int) -> Tuple[List[str], Dict[str, str]]:
    """Return Dask's scheduler command line and its environment.

    Without a host it listens on every interface. The dashboard is off,
    and Dask's web server (which serves no page here) listens on this
    machine only.
    """
    where = [] if host is None else ["--host", host]
    return ([DASK, "scheduler", "--protocol", "tls", *where, "--port",
             str(port), "--no-dashboard", "--dashboard-address",
             "127.0.0.1:0"], environment(folder))


def worker_command(folder: Path,
                   address: str) -> Tuple[List[str], Dict[str, str]]:
    """Return Dask's worker command line and its environment.

    A worker grades one submission at a time, on all its cores.
    """
    return ([DASK, "worker", check_address(address), "--nthreads", "1",
             "--nworkers", "1", "--no-dashboard", "--dashboard-address",
             "127.0.0.1:0"], environment(folder))
