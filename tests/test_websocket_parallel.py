"""``pytest suites/websocket -n 2`` gives the same verdicts as a serial run.

Autobahn runs its cases one after another; wirecert's checks each open their own
connections and share nothing, so pytest-xdist may spread them over workers. One run
each way against the embedded reference (ws and wss); every requirement must get the
same outcome, and the certificate the same verdict.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from brokenservers import PLAIN, run_suite_against


@pytest.mark.slow
def test_two_workers_give_the_serial_verdicts(tmp_path: Path) -> None:
    serial = run_suite_against("websocket", [], tmp_path / "serial", options=PLAIN)
    parallel = run_suite_against("websocket", [], tmp_path / "parallel", "-n", "2", options=PLAIN)
    assert serial.certificate["verdict"] == "CONFORMANT", serial.summary()
    assert parallel.outcomes() == serial.outcomes(), parallel.summary()
    assert parallel.certificate["verdict"] == serial.certificate["verdict"]
    assert parallel.returncode == serial.returncode == 0
    count = {r["id"]: len(r["cases"]) for r in serial.certificate["requirements"]}
    assert {r["id"]: len(r["cases"]) for r in parallel.certificate["requirements"]} == count
