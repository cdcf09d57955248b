"""Network namespaces for the icmp suite: made on a free subnet, routed through their
own veth, and always removed (on close, on an exception, at exit, and after a
process that died without either); and the suite without the privileges it needs."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.faults.netns import (
    NamespaceUnavailable,
    create_namespace,
    missing_privilege,
    own_namespaces,
    sweep_stale,
)

REPO = Path(__file__).resolve().parents[1]
needs_root = pytest.mark.skipif(
    missing_privilege() is not None, reason=f"{missing_privilege()}: run as root"
)
#: Runs a command with no capabilities at all, even as root.
WITHOUT_CAPABILITIES = ["setpriv", "--bounding-set=-all", "--inh-caps=-all"]


def run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, timeout=30, check=False).stdout


def links() -> list[str]:
    names = [line.split(":")[1].strip() for line in run("ip", "-o", "link").splitlines()]
    return [name.split("@")[0] for name in names]


@needs_root
def test_a_namespace_is_routed_through_its_veth_and_removed() -> None:
    with create_namespace(echo_ignore_all=True, extra_addresses=2) as ns:
        assert ns.name in own_namespaces()
        assert ns.host_link in links()
        for address in (ns.address, *ns.extra_addresses):
            assert f"dev {ns.host_link} " in run("ip", "-4", "-o", "route", "get", address)
            assert ipaddress.IPv4Address(address) in ns.network
        assert ns.network.subnet_of(ipaddress.IPv4Network("198.18.0.0/15"))
        assert not ns.network.overlaps(ipaddress.IPv4Network("192.0.2.0/24"))
        inside = run(*ns.command(["sysctl", "-n", "net.ipv4.icmp_echo_ignore_all"]))
        assert inside.strip() == "1"
    assert ns.name not in own_namespaces()
    assert ns.host_link not in links()


@needs_root
def test_two_namespaces_get_different_subnets() -> None:
    with create_namespace() as first, create_namespace() as second:
        assert not first.network.overlaps(second.network)


@needs_root
def test_an_exception_inside_still_removes_it() -> None:
    with pytest.raises(RuntimeError), create_namespace() as ns:
        ns.popen(["sleep", "60"])
        raise RuntimeError("a failing check")
    assert ns.name not in own_namespaces()
    assert ns.host_link not in links()


@needs_root
def test_a_route_elsewhere_is_refused() -> None:
    with create_namespace() as ns:
        run("ip", "addr", "flush", "dev", ns.host_link)
        with pytest.raises(NamespaceUnavailable, match="does not go through"):
            ns.check_route()


@needs_root
def test_a_process_that_exits_without_closing_leaves_nothing() -> None:
    code = "from harness.faults.netns import create_namespace; print(create_namespace().name)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    name = done.stdout.strip()
    assert name.startswith("wirecert-"), done.stderr
    assert name not in own_namespaces()


@needs_root
def test_a_killed_process_is_swept_next_time() -> None:
    code = textwrap.dedent(
        """
        import sys, time
        from harness.faults.netns import create_namespace
        ns = create_namespace()
        ns.popen(["sleep", "120"])
        print(ns.name, ns.host_link, flush=True)
        time.sleep(120)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        assert child.stdout is not None
        name, host_link = child.stdout.readline().split()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        assert name in own_namespaces()  # SIGKILL leaves no chance to clean up
        sweep_stale()  # (another process creating a namespace may sweep it first)
        assert name not in own_namespaces()
        deadline = time.monotonic() + 5
        while host_link in links() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert host_link not in links()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        child.stdout.close() if child.stdout else None


def run_suite_without_capabilities(
    tmp_path: Path, *extra: str, prefix: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [
        *(prefix or []),
        *WITHOUT_CAPABILITIES,
        sys.executable,
        "-m",
        "pytest",
        str(REPO / "suites" / "icmp"),
        "-p",
        "no:cacheprovider",
        "-rs",
        "--report-dir",
        str(tmp_path),
        *extra,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)


@needs_root
def test_without_privileges_the_suite_skips_saying_how_to_run_it(tmp_path: Path) -> None:
    done = run_suite_without_capabilities(tmp_path)
    assert done.returncode == 0, done.stdout[-2000:]
    assert " passed" not in done.stdout and " failed" not in done.stdout
    assert "skipped" in done.stdout
    assert "sudo pytest suites/icmp" in done.stdout
    assert "--target icmp://127.0.0.1" in done.stdout


@needs_root
def test_with_only_a_ping_socket_what_needs_a_raw_socket_skips(tmp_path: Path) -> None:
    """In a namespace of our own, ping sockets are allowed (net.ipv4.ping_group_range is
    per namespace) and no capability is left: the suite certifies the namespace
    kernel's 127.0.0.1 with a datagram socket and skips the checks that craft packets."""
    with create_namespace(echo_ignore_all=False) as ns:
        run(*ns.command(["sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"]))
        done = run_suite_without_capabilities(
            tmp_path, "--target", "127.0.0.1", prefix=["ip", "netns", "exec", ns.name]
        )
    out = done.stdout
    assert done.returncode == 0, out[-3000:]
    assert "needs a raw socket (root or CAP_NET_RAW)" in out
    assert " passed" in out and " failed" not in out
    skipped = [
        line.split()[1] for line in out.splitlines() if line.strip().startswith("SKIP  icmp/")
    ]
    assert sorted(skipped) == [
        "icmp/rfc1122/3.2.2.6/record-route-returned",
        "icmp/rfc1122/3.2.2/unknown-type-discarded",
        "icmp/rfc1122/3.3.2/reassembly-576",
        "icmp/rfc1122/3.3.2/reassembly-mtu",
        "icmp/rfc792/echo/bad-checksum-discarded",
        "icmp/rfc792/echo/book-packet",
    ], out[-3000:]
