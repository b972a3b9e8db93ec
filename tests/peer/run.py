"""Runs rudder-sdk-python's own test suite against ruddercore.analytics (the drop-in promise).

    VENV/bin/python tests/peer/run.py BUILD_DIR

1. downloads the pinned sdist (peer-sdist.txt, checked by hash) into BUILD_DIR/peer/ unless a
   copy with that hash is already there, and installs the tests' own needs (requirements.txt);
2. extracts only its tests (rudderstack/analytics/test/) into BUILD_DIR/peer/suite/;
3. runs them with this interpreter's pytest and peer_plugin.py (rudderstack.analytics mapped to
   ruddercore.analytics, a local data plane), in a network namespace with loopback only
   (unshare -rn) when the kernel allows it, each test bounded by pytest-timeout and the whole
   run by RUN_TIMEOUT.  Exits with pytest's status.
"""
import fcntl
import hashlib
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
PIN = os.path.join(HERE, "peer-sdist.txt")
TEST_TIMEOUT = 60     # seconds, each peer test
RUN_TIMEOUT = 900     # seconds, the whole run
SHIM = ('raise ImportError("tests/peer/peer_plugin.py maps rudderstack.analytics to '
        'ruddercore.analytics; this placeholder only marks the package for pytest")\n')


def pinned():
    with open(PIN, encoding="utf-8") as f:
        m = re.search(r"^([\w-]+)==([\w.]+) --hash=sha256:([0-9a-f]{64})", f.read(), re.M)
    return m.group(1), m.group(2), m.group(3)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fetch_sdist(dist_dir):
    name, version, digest = pinned()
    path = os.path.join(dist_dir, "%s-%s.tar.gz" % (name.replace("-", "_"), version))
    if os.path.isfile(path) and sha256(path) == digest:
        return path
    os.makedirs(dist_dir, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                    "--require-hashes", "-r", PIN, "-d", dist_dir], check=True)
    if not os.path.isfile(path) or sha256(path) != digest:
        sys.exit("run.py: %s was not downloaded with the pinned hash" % path)
    return path


def extract_tests(sdist, suite):
    """Only rudderstack/analytics/test/ (the peer's code stays out), under placeholder packages."""
    shutil.rmtree(suite, ignore_errors=True)
    tests = os.path.join(suite, "rudderstack", "analytics", "test")
    os.makedirs(tests)
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if member.isfile() and parts[1:4] == ["rudderstack", "analytics", "test"] and len(parts) == 5:
                with tar.extractfile(member) as src, open(os.path.join(tests, parts[4]), "wb") as dst:
                    dst.write(src.read())
    for pkg in ("rudderstack", os.path.join("rudderstack", "analytics")):
        with open(os.path.join(suite, pkg, "__init__.py"), "w", encoding="utf-8") as f:
            f.write(SHIM)
    return tests


def loopback_up():
    """A new network namespace starts with lo down; bring it up (SIOCGIFFLAGS/SIOCSIFFLAGS)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ifr = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(s, 0x8913, ifr))[1]
        fcntl.ioctl(s, 0x8914, struct.pack("16sh", b"lo", flags | 1))
    finally:
        s.close()


def pytest_command(tests):
    env = dict(os.environ, RUDDER_PEER_TESTS=tests,
               PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "pytest", "-c", os.path.join(HERE, "pytest.ini"),
           "--rootdir", os.path.dirname(os.path.dirname(os.path.dirname(tests))),
           "-p", "peer_plugin", "--timeout", str(TEST_TIMEOUT), tests]
    return cmd, env


def isolated():
    """True if `unshare -rn` can make a network namespace here (unprivileged user namespaces)."""
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        loopback_up()
        cmd, env = pytest_command(sys.argv[2])
        os.execve(sys.executable, cmd, env)   # one process, so the outer timeout ends pytest itself
    if len(sys.argv) != 2:
        sys.exit("usage: VENV/bin/python tests/peer/run.py BUILD_DIR")
    peer = os.path.join(os.path.abspath(sys.argv[1]), "peer")
    sdist = fetch_sdist(os.path.join(peer, "dist"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r",
                    os.path.join(HERE, "requirements.txt")], check=True)
    tests = extract_tests(sdist, os.path.join(peer, "suite"))
    if not isolated():
        print("run.py: unshare -rn is not permitted here; running with the host network "
              "(the tests still talk to 127.0.0.1 only)", flush=True)
        cmd, env = pytest_command(tests)
        return subprocess.run(cmd, env=env, timeout=RUN_TIMEOUT).returncode
    print("run.py: network namespace with loopback only (unshare -rn)", flush=True)
    return subprocess.run(["unshare", "-rn", sys.executable, os.path.abspath(__file__), "--inside", tests],
                          timeout=RUN_TIMEOUT + 30).returncode


if __name__ == "__main__":
    sys.exit(main())
