"""Newmarch, *Network Programming with Go*, ch. 5: the directory commands DIR, PWD and CD.

The client sends ``DIR `` (with a trailing space), ``CD <dir>`` or ``PWD`` as a raw
string with no line terminator. The server answers DIR with each entry name followed
by CRLF and then one more CRLF, PWD with the absolute working directory, and CD with
``OK`` or ``ERROR``. The checks work against any served directory: they enter a
subdirectory by trying CD on the names DIR lists.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from harness.targets import Target
from harness.verify import fail, verify
from harness.wire import End, Wire
from suites.simpleftp.client import (
    CD_QUOTE,
    REF,
    NoDirectory,
    command,
    directory_listing,
    enter_subdirectory,
    follows,
    is_absolute_path,
    leave,
    leave_on,
    parse_listing,
)

pytestmark = pytest.mark.scheme("tcp")

DIR_QUOTE = (
    "The book's server answers DIR with each entry name followed by \\r\\n, then one more "
    "\\r\\n; its client reads until the reply ends with \\r\\n\\r\\n."
)
PWD_QUOTE = (
    "The book's server answers PWD with its working directory's absolute path (os.Getwd), "
    "with no line ending."
)
SHARED_QUOTE = (
    "The book's server changes directory with os.Chdir, so one client's CD changes the "
    "working directory of every client of the process."
)
CONCURRENT_QUOTE = "The book's server serves each client in its own goroutine."
RAW_QUOTE = (
    'Requests are raw strings with no line terminator: the book\'s client sends "DIR ", '
    '"CD <dir>" and "PWD".'
)


@pytest.mark.requirement(
    "simpleftp/ch5/dir/crlf-terminated-names", level="MUST", ref=REF, quote=DIR_QUOTE
)
def test_dir_lists_names_each_ending_crlf_then_crlf(target: Target, wire: Wire) -> None:
    """Send ``DIR `` in one write; read until the reply ends with CRLF CRLF."""
    observed = directory_listing(wire.connect(target))
    verify(
        observed,
        received=lambda data: parse_listing(data) is not None,
        then={End.OPEN},
        expected="each entry name followed by CRLF, then one more CRLF (an empty directory: "
        "CRLF alone)",
    )


@pytest.mark.requirement("simpleftp/ch5/pwd/absolute-path", level="MUST", ref=REF, quote=PWD_QUOTE)
def test_pwd_answers_an_absolute_path(target: Target, wire: Wire) -> None:
    """Send ``PWD`` in one write; read the reply."""
    verify(
        command(wire.connect(target), b"PWD"),
        received=is_absolute_path,
        then={End.OPEN},
        expected="an absolute path (e.g. /home/ftp) with no line ending",
    )


@pytest.mark.requirement(
    "simpleftp/ch5/cd/into-listed-directory", level="MUST", ref=REF, quote=CD_QUOTE
)
def test_cd_into_a_listed_directory_answers_ok(target: Target, wire: Wire) -> None:
    """Send PWD and DIR, then ``CD <name>`` for listed names until one answers OK (a
    file answers ERROR), then PWD: it must name that subdirectory."""
    try:
        entered = enter_subdirectory(wire, target)
    except NoDirectory as exc:
        if exc.violation is None:
            pytest.skip(exc.reason)
        fail(*exc.violation)
    leave(entered)


@pytest.mark.requirement("simpleftp/ch5/cd/parent-directory", level="MUST", ref=REF, quote=CD_QUOTE)
def test_cd_dotdot_goes_back_up(target: Target, wire: Wire) -> None:
    """Enter a listed subdirectory as above, send ``CD ..``, then PWD: OK, and the
    working directory is the one we started from."""
    try:
        entered = enter_subdirectory(wire, target)
    except NoDirectory as exc:
        pytest.skip(f"no subdirectory entered: {exc.reason}")
    verify(
        leave_on(entered.conn),
        received=b"OK",
        then={End.OPEN},
        expected=f"OK to CD .. from {entered.inside!r}",
    )
    verify(
        command(entered.conn, b"PWD"),
        received=entered.start,
        then={End.OPEN},
        expected=f"PWD back at {entered.start!r} after CD ..",
    )


@pytest.mark.requirement(
    "simpleftp/ch5/cd/error-for-missing", level="MUST", ref=REF, quote=CD_QUOTE
)
def test_cd_to_a_missing_directory_answers_error(target: Target, wire: Wire) -> None:
    """Send PWD, ``CD <a name that does not exist>``, then PWD again: ERROR, and the
    working directory unchanged."""
    conn = wire.connect(target)
    before = command(conn, b"PWD")
    missing = b"wirecert-no-such-directory-" + secrets.token_hex(4).encode()
    reply = command(conn, b"CD " + missing)
    if reply.received == b"OK":
        leave_on(conn)  # it did go somewhere: a shared directory must not stay there
    verify(reply, received=b"ERROR", then={End.OPEN}, expected=f"ERROR to CD {missing!r}")
    verify(
        command(conn, b"PWD"),
        received=before.received,
        then={End.OPEN},
        expected=f"PWD unchanged ({before.received!r}) after a CD that failed",
    )


@pytest.mark.requirement(
    "simpleftp/ch5/session/concurrent-clients", level="SHOULD", ref=REF, quote=CONCURRENT_QUOTE
)
def test_second_client_served_while_first_connected(target: Target, wire: Wire) -> None:
    """Connect, send PWD; keep that connection open, connect again and send PWD."""
    first = wire.connect(target)
    verify(
        command(first, b"PWD"),
        received=bool,
        then={End.OPEN},
        expected="an answer to PWD on the first connection",
    )
    second = wire.connect(target)
    verify(
        command(second, b"PWD"),
        received=bool,
        then={End.OPEN},
        expected="an answer to PWD on a second connection while the first is connected",
    )


@pytest.mark.requirement(
    "simpleftp/ch5/session/per-connection-directory", level="SHOULD", ref=REF, quote=SHARED_QUOTE
)
def test_working_directory_is_per_connection(target: Target, wire: Wire) -> None:
    """On connection B send PWD; on connection A enter a listed subdirectory; send PWD
    on B again: B's working directory must not have moved.

    The book's server calls os.Chdir, which moves every client at once: a client
    that lists, then changes directory, sees another client's directory instead.
    """
    observer = wire.connect(target)
    before = command(observer, b"PWD")
    if not is_absolute_path(before.received):
        pytest.skip(
            f"PWD gave no absolute path ({before.describe()}) "
            "(simpleftp/ch5/pwd/absolute-path reports that)"
        )
    try:
        entered = enter_subdirectory(wire, target)
    except NoDirectory as exc:
        pytest.skip(f"no subdirectory entered on a second connection: {exc.reason}")
    try:
        after = command(observer, b"PWD")
    finally:
        leave(entered)
    expected = f"PWD on B still {before.received!r} after connection A entered {entered.name!r}"
    if after.received == before.received and after.end is End.OPEN:
        return
    if follows(before.received, after.received, entered.name):
        fail(
            expected,
            f"PWD on B answered {after.received!r}: connection A's CD {entered.name!r} "
            "moved B too (one working directory for every client)",
        )
    fail(expected, f"PWD on B answered {after.describe(limit=200)}")


@pytest.mark.requirement(
    "simpleftp/ch5/framing/trailing-crlf", level="MAY", ref=REF, quote=RAW_QUOTE
)
def test_commands_with_a_trailing_crlf(
    target: Target, wire: Wire, finding: Callable[[str], None]
) -> None:
    """Send ``PWD`` and ``DIR ``; then ``PWD\\r\\n``, ``DIR \\r\\n`` and ``CD <dir>\\r\\n``
    (a listed subdirectory, on a new connection), each in one write: note which the
    server understands as without the CRLF (informational)."""
    conn = wire.connect(target)
    plain = command(conn, b"PWD").received
    if not is_absolute_path(plain):
        pytest.skip(
            f"PWD gave no absolute path ({plain!r}) (simpleftp/ch5/pwd/absolute-path reports that)"
        )
    notes: list[str] = []
    understood = True
    pwd = command(conn, b"PWD\r\n")
    if pwd.received == plain:
        notes.append("PWD CRLF answered like PWD")
    else:
        understood = False
        notes.append(f"PWD CRLF answered {pwd.describe()}")
    if parse_listing(directory_listing(conn).received) is None:
        notes.append(
            "DIR CRLF not tried: DIR gave no well-formed listing "
            "(simpleftp/ch5/dir/crlf-terminated-names reports that)"
        )
    else:
        listed = directory_listing(conn, b"DIR \r\n")
        if parse_listing(listed.received) is not None:
            notes.append("DIR CRLF answered with a listing")
        else:
            understood = False
            notes.append(f"DIR CRLF answered {listed.describe()}")
    try:
        entered = enter_subdirectory(wire, target)
    except NoDirectory as exc:
        notes.append(f"CD CRLF not tried: no subdirectory entered ({exc.reason})")
    else:
        leave(entered)
        entered.conn.close()
        again = wire.connect(target)
        reply = command(again, b"CD " + entered.name + b"\r\n")
        if reply.received == b"OK":
            inside = command(again, b"PWD").received
            leave_on(again)
            if follows(entered.start, inside, entered.name):
                notes.append(f"CD {entered.name!r} CRLF entered it")
            else:
                understood = False
                notes.append(f"CD {entered.name!r} CRLF answered OK but PWD then gave {inside!r}")
        else:
            understood = False
            notes.append(f"CD {entered.name!r} CRLF answered {reply.describe()}")
    if not understood:
        # A MAY: reported as information, with what was expected and what came back.
        fail("commands understood alike with or without a trailing CRLF", "; ".join(notes))
    finding("; ".join(notes))
