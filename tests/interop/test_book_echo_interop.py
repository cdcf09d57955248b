"""The json and gob suites certify independent implementations: the book's Go echo servers.

``go/bookjsonecho/main.go`` and ``go/bookgobecho/main.go`` are the book's
JSONEchoServer and GobEchoServer (Newmarch, ch. 4) on the standard library: ten
rounds per connection (decode a Person, encode it back, errors ignored), then close.
Each suite runs in a subprocess against its server, exactly as a user runs it
(``python -m pytest suites/json --target ...``), and must give exit status 0 and a
CONFORMANT (or CONFORMANT_WITH_WARNINGS) verdict. Skips when Go is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from brokenservers import GOOD_VERDICTS, PLAIN, run_suite_against

from .peers import GoServer

pytestmark = pytest.mark.interop

GO = Path(__file__).resolve().parent / "go"
#: The book's server for each suite.
SERVERS = {"json": GO / "bookjsonecho" / "main.go", "gob": GO / "bookgobecho" / "main.go"}


@pytest.mark.parametrize("suite", list(SERVERS))
def test_suite_certifies_the_books_go_server(
    go_server: Callable[..., GoServer], suite: str, tmp_path: Path
) -> None:
    run = run_suite_against(suite, [go_server(SERVERS[suite]).url], tmp_path, options=PLAIN)
    not_passed = [
        f"  {r['outcome'].upper():5} {r['level']:6} {r['id']}: {r['actual']}"
        for r in run.certificate["requirements"]
        if r["outcome"] != "pass"
    ]
    message = "\n".join(not_passed) + "\n" + run.summary()
    assert run.returncode == 0, message
    assert run.certificate["verdict"] in GOOD_VERDICTS, message
    assert not_passed == [], message  # Go meets every requirement, SHOULDs included
    (target,) = run.certificate["targets"][suite]
    assert not target["embedded"]
