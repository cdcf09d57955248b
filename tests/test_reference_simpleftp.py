"""simpleftp reference (Newmarch, ch. 5; not RFC 959): the sans-IO core, the shell, serve."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from servers import TIMEOUT
from servers import running as in_a_thread

from reference_impls._shell import Listen, Server
from reference_impls.simpleftp import server as simpleftp_server
from reference_impls.simpleftp.protocol import (
    MAX_COMMAND,
    SimpleFtpSession,
    Tree,
    listing,
    split_commands,
)
from reference_impls.simpleftp.server import DEMO_TREE, SimpleFtpServer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/{a.txt, sub/{b.txt, deeper/}}, and outside/secret.txt beside the root."""
    root = tmp_path / "root"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.txt").write_text("b")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("secret")
    return root


def session(root: Path) -> SimpleFtpSession:
    return SimpleFtpSession(Tree(root))


# -- the sans-IO core ------------------------------------------------------------------


def test_core_pwd_dir_and_cd(tree: Path) -> None:
    s = session(tree)
    assert s.receive_command(b"PWD") == b"/"
    assert s.receive_command(b"DIR ") == b"a.txt\r\nsub\r\n\r\n"
    assert s.receive_command(b"CD sub") == b"OK"
    assert s.receive_command(b"PWD") == b"/sub"
    assert s.receive_command(b"DIR ") == b"b.txt\r\ndeeper\r\n\r\n"
    assert s.receive_command(b"CD deeper") == b"OK"
    assert s.receive_command(b"DIR ") == b"\r\n"  # an empty directory: CRLF alone
    assert s.receive_command(b"CD ../..") == b"OK"
    assert s.receive_command(b"PWD") == b"/"


def test_core_cd_errors_leave_the_directory_alone(tree: Path) -> None:
    s = session(tree)
    s.receive_command(b"CD sub")
    for bad in (b"CD a.txt", b"CD nothing-here", b"CD b.txt", b"CD ", b"CD", b"CD x\x00y"):
        assert s.receive_command(bad) == b"ERROR", bad
        assert s.receive_command(b"PWD") == b"/sub"


def test_core_confined_to_the_root(tree: Path) -> None:
    s = session(tree)
    assert s.receive_command(b"CD ..") == b"ERROR"
    assert s.receive_command(b"CD sub/../..") == b"ERROR"
    assert s.receive_command(b"CD ../outside") == b"ERROR"
    assert s.receive_command(b"PWD") == b"/"
    # An absolute path is inside the root, as PWD shows paths.
    assert s.receive_command(b"CD /sub/deeper") == b"OK"
    assert s.receive_command(b"PWD") == b"/sub/deeper"
    outside = str(tree.parent / "outside").encode()
    assert s.receive_command(b"CD " + outside) == b"ERROR"
    assert s.receive_command(b"CD /") == b"OK"
    assert s.receive_command(b"PWD") == b"/"


def test_core_symlinks_out_of_the_root_are_refused(tree: Path) -> None:
    (tree / "escape").symlink_to(tree.parent / "outside")
    (tree / "inside").symlink_to(tree / "sub")
    s = session(tree)
    assert s.receive_command(b"CD escape") == b"ERROR"
    assert s.receive_command(b"CD inside") == b"OK"
    assert s.receive_command(b"DIR ") == b"b.txt\r\ndeeper\r\n\r\n"
    # A link that is swapped to point outside after CD lists nothing.
    (tree / "inside").unlink()
    (tree / "inside").symlink_to(tree.parent / "outside")
    assert s.receive_command(b"DIR ") == b"\r\n"


def test_core_short_and_unknown_commands(tree: Path) -> None:
    s = session(tree)
    for chunk in (b"X", b"PW", b"", b"HELLO", b"dir", bytes(range(256))):
        assert s.receive_command(chunk) == b"", chunk
    assert s.receive_command(b"CD") == b"ERROR"  # the book's server panics here
    assert s.receive_command(b"PWD") == b"/"


def test_core_prefix_dispatch_as_the_book(tree: Path) -> None:
    s = session(tree)
    assert s.receive_command(b"DIR") == s.receive_command(b"DIR ")
    assert s.receive_command(b"PWDX") == b"/"
    assert s.receive_command(b"CDXsub") == b"OK"  # the argument is s[3:]


def test_core_tolerates_one_trailing_line_ending(tree: Path) -> None:
    s = session(tree)
    assert s.receive_command(b"PWD\r\n") == b"/"
    assert s.receive_command(b"CD sub\r\n") == b"OK"
    assert s.receive_command(b"CD ..\n") == b"OK"
    assert s.receive_command(b"DIR \r\n") == b"a.txt\r\nsub\r\n\r\n"


def test_core_names_with_line_endings_are_left_out(tree: Path) -> None:
    (tree / "bad\r\nname").write_text("x")
    (tree / "caf\xe9").write_text("x")
    assert session(tree).receive_command(b"DIR ") == listing(
        sorted([b"a.txt", b"sub", "caf\xe9".encode()])
    )


def test_core_one_command_per_512_bytes() -> None:
    chunk = b"P" * MAX_COMMAND + b"PWD"
    assert split_commands(chunk) == [b"P" * MAX_COMMAND, b"PWD"]
    assert split_commands(b"") == []


def test_core_per_session_directory(tree: Path) -> None:
    shared = Tree(tree)
    a, b = SimpleFtpSession(shared), SimpleFtpSession(shared)
    assert a.receive_command(b"CD sub") == b"OK"
    assert b.receive_command(b"PWD") == b"/"
    assert a.cwd == b"/sub"


@pytest.fixture(scope="module")
def fuzz_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fuzz")
    root = base / "root"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (base / "outside").mkdir()
    (root / "escape").symlink_to(base / "outside")
    (root / "loop").symlink_to(root)
    return root


ARGUMENTS = [b"..", b"/", b"sub", b"escape", b"loop", b"../outside", b"sub/deeper", b"a.txt"]
COMMANDS = st.one_of(
    st.binary(max_size=24),
    st.builds(lambda a: b"CD " + a, st.sampled_from(ARGUMENTS)),
    st.builds(
        lambda parts: b"CD " + b"/".join(parts),
        st.lists(st.sampled_from([*ARGUMENTS, b"."]), min_size=1, max_size=5),
    ),
    st.sampled_from([b"PWD", b"DIR ", b"CD", b"CD ", b"PW", b"X"]),
)


@settings(max_examples=150, deadline=None)
@given(commands=st.lists(COMMANDS, max_size=12))
def test_core_any_commands_stay_inside_the_root(fuzz_root: Path, commands: list[bytes]) -> None:
    s = session(fuzz_root)
    root = os.path.realpath(fuzz_root)
    for command in commands:
        reply = s.receive_data(command)
        assert reply in (b"", b"OK", b"ERROR") or reply.endswith(b"\r\n") or reply == s.cwd
        assert s.cwd.startswith(b"/")
        real = os.path.realpath(s.tree.path_of(s.location))
        assert real == root or real.startswith(root + os.sep), (command, real)


def test_tree_must_be_a_directory(tree: Path) -> None:
    with pytest.raises(NotADirectoryError):
        Tree(tree / "a.txt")


# -- the asyncio shell -----------------------------------------------------------------


def running(root: Path | None = None) -> AbstractContextManager[Server]:
    """The server on an event loop in a thread, so tests use plain blocking sockets."""
    return in_a_thread(lambda: simpleftp_server.start(Listen("tcp", "127.0.0.1", 0), root=root))


def ask(sock: socket.socket, text: bytes, *, until: bytes | None = None) -> bytes:
    """Send one command; read one reply (until ``until`` ends it, if given)."""
    sock.sendall(text)
    data = b""
    deadline = time.monotonic() + TIMEOUT
    while not data or (until is not None and not data.endswith(until)):
        assert time.monotonic() < deadline, f"no complete reply to {text!r}: {data!r}"
        chunk = sock.recv(4096)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return data


def test_shell_serves_a_root_with_a_directory_per_connection(tree: Path) -> None:
    with running(tree) as server:
        a = socket.create_connection(server.sockname, timeout=TIMEOUT)
        b = socket.create_connection(server.sockname, timeout=TIMEOUT)
        with a, b:
            assert ask(a, b"DIR ", until=b"\r\n\r\n") == b"a.txt\r\nsub\r\n\r\n"
            assert ask(a, b"CD sub") == b"OK"
            assert ask(a, b"PWD") == b"/sub"
            assert ask(b, b"PWD") == b"/"
            assert ask(b, b"CD ..") == b"ERROR"


def test_shell_survives_short_commands(tree: Path) -> None:
    with running(tree) as server:
        for chunk in (b"X", b"PW", b"CD"):
            with socket.create_connection(server.sockname, timeout=TIMEOUT) as bad:
                bad.sendall(chunk)
                if chunk == b"CD":
                    assert ask(bad, b"") == b"ERROR"
        with socket.create_connection(server.sockname, timeout=TIMEOUT) as good:
            assert ask(good, b"PWD") == b"/"


def test_shell_closes_when_the_client_closes(tree: Path) -> None:
    with running(tree) as server, socket.create_connection(server.sockname, timeout=TIMEOUT) as c:
        c.shutdown(socket.SHUT_WR)
        assert c.recv(10) == b""


def test_demo_tree_is_made_and_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    with running() as server:
        assert isinstance(server, SimpleFtpServer)
        made = server.tree.root
        assert made.parent == tmp_path.resolve()
        with socket.create_connection(server.sockname, timeout=TIMEOUT) as c:
            names = ask(c, b"DIR ", until=b"\r\n\r\n").split(b"\r\n")[:-2]
            assert sorted(names) == sorted({p.split("/")[0].encode() for p in DEMO_TREE})
            assert ask(c, b"CD docs") == b"OK"
    assert not made.exists()


def test_udp_is_refused() -> None:
    with pytest.raises(ValueError, match="TCP only"):
        asyncio.run(simpleftp_server.start(Listen("udp", "127.0.0.1", 0)))


# -- python -m reference_impls serve simpleftp -----------------------------------------


def test_serve_command_serves_the_demo_tree_and_cleans_up(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference_impls", "serve", "simpleftp"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        timer = threading.Timer(15, proc.kill)  # readline has no timeout of its own
        timer.start()
        try:
            line = proc.stdout.readline().decode()
        finally:
            timer.cancel()
        parts = line.split()
        assert parts[:3] == ["listening", "tcp", "127.0.0.1"], line
        made = [p for p in tmp_path.iterdir() if p.name.startswith("wirecert-simpleftp-")]
        assert len(made) == 1, made
        with socket.create_connection(("127.0.0.1", int(parts[3])), timeout=TIMEOUT) as c:
            assert ask(c, b"PWD") == b"/"
            assert ask(c, b"CD docs") == b"OK"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert not made[0].exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def test_suite_certifies_the_embedded_reference(tmp_path: Path) -> None:
    """``pytest suites/simpleftp`` with no target starts the reference: CONFORMANT."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WIRECERT_", "PYTEST_"))}
    argv = [sys.executable, "-m", "pytest", "suites/simpleftp", "-q", "-p", "no:cacheprovider"]
    argv += ["--timeout", "1", "--report-dir", str(tmp_path)]
    proc = subprocess.run(
        argv,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.returncode == 0, output
    certificate = json.loads((tmp_path / "latest" / "certificate.json").read_text())
    assert certificate["verdict"] == "CONFORMANT", output
    outcomes = {r["id"]: r["outcome"] for r in certificate["requirements"]}
    assert set(outcomes.values()) == {"pass", "info"}, outcomes
