"""The simpleftp suite against the book's own server (Newmarch, ch. 5, ``go/bookftp``).

The Go program is the book's FTP server with its request handling unchanged, so
the suite must give it the verdict the book's behaviour implies: everything the
protocol does works, but

* its working directory is the process's (os.Chdir), shared by every client:
  simpleftp/ch5/session/per-connection-directory warns (SHOULD);
* a two-byte command (or ``CD`` alone) panics on a slice bounds error and ends the
  process: simpleftp/ch5/robustness/survives-bad-commands fails (MUST), so the
  verdict is NON_CONFORMANT; and
* ``CD <dir>\\r\\n`` tries to enter ``<dir>\\r\\n``: the MAY finding says so.

The server runs in a temporary directory with two files and a subdirectory.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from brokenservers import PLAIN, run_suite_against

from .peers import GoServer

pytestmark = pytest.mark.interop

SOURCE = Path(__file__).resolve().parent / "go" / "bookftp" / "main.go"


def demo_tree(root: Path) -> None:
    (root / "README.txt").write_text("the book's server serves this directory\n")
    (root / "notes.txt").write_text("a file\n")
    (root / "docs").mkdir()
    (root / "docs" / "guide.txt").write_text("a file in a subdirectory\n")


def test_book_server_shares_its_directory_and_dies_of_a_two_byte_command(
    go_server: Callable[..., GoServer], tmp_path: Path
) -> None:
    root = tmp_path / "served"
    root.mkdir()
    demo_tree(root)
    server = go_server(SOURCE, "-exit-on-stdin-eof", cwd=root)
    run = run_suite_against(
        "simpleftp", [server.url], tmp_path / "reports", "--timeout", "1", options=PLAIN
    )
    crashed = server.proc.poll()
    returncode, certificate = run.returncode, run.certificate
    by_id = {r["id"]: r for r in certificate["requirements"]}
    outcomes = {rid: r["outcome"] for rid, r in by_id.items()}
    message = f"exit {returncode}, outcomes {json.dumps(outcomes, indent=1)}\n{run.output[-4000:]}"

    assert returncode == 1, message
    assert certificate["verdict"] == "NON_CONFORMANT", message
    assert crashed is not None, "the book's server should have exited (a slice bounds panic)"

    survives = by_id["simpleftp/ch5/robustness/survives-bad-commands"]
    assert survives["outcome"] == "fail", message
    failed = [c for c in survives["cases"] if c["outcome"] == "fail"]
    assert failed, message
    # The first bad command kills it: the sanity PWD after it finds no server.
    assert "refused" in failed[0]["actual"] or "RST" in failed[0]["actual"], message
    # The later cases find the target gone: errors, not more failures.
    assert {c["outcome"] for c in survives["cases"]} <= {"fail", "error"}, message

    shared = by_id["simpleftp/ch5/session/per-connection-directory"]
    assert shared["outcome"] == "warn", message
    assert "docs" in shared["actual"], message  # B's PWD moved into A's subdirectory

    crlf = by_id["simpleftp/ch5/framing/trailing-crlf"]
    assert crlf["outcome"] == "info", message
    assert "CD b'docs' CRLF answered" in crlf["actual"], message
    assert "ERROR" in crlf["actual"], message

    for rid in (
        "simpleftp/ch5/dir/crlf-terminated-names",
        "simpleftp/ch5/pwd/absolute-path",
        "simpleftp/ch5/cd/into-listed-directory",
        "simpleftp/ch5/cd/parent-directory",
        "simpleftp/ch5/cd/error-for-missing",
        "simpleftp/ch5/session/concurrent-clients",
    ):
        assert outcomes[rid] == "pass", f"{rid}\n{message}"
