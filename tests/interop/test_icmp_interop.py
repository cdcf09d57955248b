"""The icmp suite certifies the Linux kernel's echo responder and the reference's.

Each run is a subprocess, as a user runs it: the kernel at 127.0.0.1, the kernel of
a namespace of our own (echo replies left on) at its veth address, and the embedded
reference in the namespace the suite makes itself. After each, no namespace or veth
of ours is left, also when the run had a failing test.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from brokenservers import PLAIN, SuiteRun, run_suite_against

from harness.faults.netns import (
    create_namespace,
    missing_privilege,
    own_namespaces,
    stale_namespaces,
)

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        missing_privilege() is not None, reason=f"{missing_privilege()}: run as root"
    ),
]


def leftovers(*names: str) -> list[str]:
    """Namespaces left by a process that has ended (the suite's subprocess), and any of
    ``names`` (namespaces and links) still there. Other tests may be running
    namespaces of their own meanwhile; those are not leftovers."""
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True)
    present = set(own_namespaces())
    present |= {line.split(":")[1].strip().split("@")[0] for line in links.stdout.splitlines()}
    return stale_namespaces() + [name for name in names if name in present]


def assert_conformant(run: SuiteRun) -> None:
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert set(run.outcomes().values()) == {"pass"}, run.summary()


def test_the_kernel_at_127_0_0_1(tmp_path: Path) -> None:
    run = run_suite_against("icmp", ["icmp://127.0.0.1"], tmp_path, options=PLAIN)
    assert_conformant(run)
    record = run.record("icmp/rfc792/echo/book-packet")
    hexes = [e["hex"] for e in record["wirelog"]["events"]]
    assert hexes == ["0800f7cd000d0025", "0000ffcd000d0025"]


def test_the_kernel_of_a_namespace(tmp_path: Path) -> None:
    with create_namespace(echo_ignore_all=False) as ns:
        run = run_suite_against("icmp", [f"icmp://{ns.address}"], tmp_path, options=PLAIN)
    assert_conformant(run)
    assert not leftovers(ns.name, ns.host_link)


def test_the_embedded_reference_in_its_namespace(tmp_path: Path) -> None:
    """With a failing test beside the suite in the same run: the reference is
    CONFORMANT, and the namespace is gone afterwards all the same."""
    failing = tmp_path / "test_fails.py"
    failing.write_text("def test_fails():\n    assert False, 'a failing test'\n")
    run = run_suite_against("icmp", [], tmp_path / "reports", str(failing), options=PLAIN)
    assert run.returncode == 1, run.summary()
    assert "1 failed" in run.output
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert set(run.outcomes().values()) == {"pass"}, run.summary()
    targets = run.certificate["targets"]["icmp"]
    assert targets[0]["embedded"] and targets[0]["host"].startswith("198.1"), targets
    assert not leftovers()
