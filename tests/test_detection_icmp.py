"""The icmp suite blames the right requirement: one broken responder per requirement.

Each case starts a :class:`brokenicmp.BrokenResponder` in a network namespace of its
own (kernel echo replies off), runs ``suites/icmp`` against its address in a
subprocess (``--timeout 1``) and reads the certificate: the broken requirement fails
(MUST) or warns (SHOULD; fails with ``--strict-spec``), with its wire log, and
nothing else is failed or warned. Needs root (CI is root); skips otherwise.
"""

from __future__ import annotations

import contextlib
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from brokenicmp import ICMP_FAULTS, BrokenResponder
from brokenservers import Runner, SuiteRun, assert_detected, cached_runner

from harness.faults.netns import missing_privilege, own_namespaces

pytestmark = pytest.mark.skipif(
    missing_privilege() is not None, reason=f"{missing_privilege()}: run as root"
)

SHOULD = ["icmp/rfc1122/3.3.2/reassembly-mtu", "icmp/rfc1122/3.2.2.6/record-route-returned"]
MUST = [f"icmp/{fault}" for fault in ICMP_FAULTS if f"icmp/{fault}" not in SHOULD]
ALL = MUST + SHOULD

#: The book's packet is a whole reply from the target compared octet for octet: a
#: responder that gets the type, code, identifier or source wrong gets it wrong too. A
#: datagram too large for a 576-octet reassembly buffer is too large for an MTU-sized one.
BOOK = {"icmp/rfc792/echo/book-packet": {"fail"}}
TOLERATED: dict[str, dict[str, set[str]]] = {
    "icmp/rfc792/echo/reply-type-code": BOOK,
    "icmp/rfc792/echo/identifier-sequence-returned": BOOK,
    "icmp/rfc1122/3.2.2.6/reply-source-address": BOOK,
    "icmp/rfc1122/3.3.2/reassembly-576": {"icmp/rfc1122/3.3.2/reassembly-mtu": {"warn"}},
}


@pytest.fixture(scope="module")
def icmp_run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """Run the suite against a responder that breaks requirement ``rid`` (None: unbroken)."""
    run = cached_runner("icmp", BrokenResponder, tmp_path_factory)

    def by_rid(rid: str | None, *, strict: bool = False) -> SuiteRun:
        fault = rid.removeprefix("icmp/") if rid else None
        return run(fault, strict_rid=rid if strict else None)

    def prefetch(args: tuple[str | None, bool]) -> None:
        # A run that breaks is run again by the test that reads it, which reports it.
        with contextlib.suppress(Exception):
            by_rid(args[0], strict=args[1])

    # The runs mostly wait for replies that must not come: run them side by side.
    every = [(None, False)] + [(rid, False) for rid in ALL] + [(rid, True) for rid in SHOULD]
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(prefetch, every))
    return by_rid


def test_unbroken_responder_is_conformant(icmp_run: Runner) -> None:
    run = icmp_run(None)
    assert run.returncode == 0, run.summary()
    assert run.certificate["verdict"] == "CONFORMANT", run.summary()
    assert sorted(run.outcomes()) == sorted(ALL), "the suite's requirements changed"
    assert set(run.outcomes().values()) == {"pass"}, run.summary()


@pytest.mark.parametrize("rid", MUST)
def test_must_violation_fails(icmp_run: Runner, rid: str) -> None:
    run = icmp_run(rid)
    assert_detected(run, rid, outcome="fail", returncode=1, tolerated=TOLERATED.get(rid))
    assert run.certificate["verdict"] == "NON_CONFORMANT"


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict-spec"])
@pytest.mark.parametrize("rid", SHOULD)
def test_should_violation_warns_and_fails_when_strict(
    icmp_run: Runner, rid: str, strict: bool
) -> None:
    run = icmp_run(rid, strict=strict)
    assert_detected(run, rid, outcome="fail" if strict else "warn", returncode=1 if strict else 0)
    verdict = "NON_CONFORMANT" if strict else "CONFORMANT_WITH_WARNINGS"
    assert run.certificate["verdict"] == verdict


def test_no_namespace_or_veth_is_left(icmp_run: Runner) -> None:
    """After the runs above (several of them failing), nothing of theirs remains."""
    icmp_run(None)
    made = BrokenResponder.made
    assert len(made) >= len(ALL) + 1
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True)
    present = set(own_namespaces())
    present |= {line.split(":")[1].strip().split("@")[0] for line in links.stdout.splitlines()}
    assert not [name for pair in made for name in pair if name in present]
