"""Helpers shared by the benchmark scripts (not a benchmark itself)."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

Endpoint = tuple[str, int]


def raise_nofile_limit() -> tuple[int, int]:
    """Raise this process's RLIMIT_NOFILE soft limit to the hard limit; return the new limits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def _preexec_raise_nofile() -> None:  # runs in the child between fork and exec
    raise_nofile_limit()


def process_nofile_limit(pid: int) -> str:
    """'soft/hard' open-files limit of process ``pid`` (from /proc), or '?'."""
    try:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return f"{soft}/{hard}"
    except OSError:
        pass
    return "?"


def open_fds(pid: int) -> int:
    """How many file descriptors process ``pid`` has open now (-1 if unknown)."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def _read_line(proc: subprocess.Popen[bytes], timeout: float) -> str:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    buf = b""
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no ready line in {timeout} s (got {buf!r})")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"server exited before it was ready (stdout {buf!r})")
            buf += chunk
    return buf.split(b"\n", 1)[0].decode()


@contextlib.contextmanager
def reference_echo_server(
    *, raise_nofile: bool = False, ready_timeout: float = 15.0
) -> Iterator[tuple[Endpoint, int]]:
    """Run ``python -m reference_impls serve echo`` on a free loopback TCP port.

    Yields ``((host, port), pid)``; stops the server (SIGTERM, then SIGKILL) on exit.
    With ``raise_nofile``, the server's RLIMIT_NOFILE soft limit is raised to its hard
    limit before it starts.
    """
    argv = [sys.executable, "-m", "reference_impls", "serve", "echo"]
    argv += ["--listen", "tcp://127.0.0.1:0"]
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            argv,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            preexec_fn=_preexec_raise_nofile if raise_nofile else None,
            start_new_session=True,
        )
        try:
            try:
                line = _read_line(proc, ready_timeout)
            except (TimeoutError, RuntimeError) as exc:
                stderr.seek(0)
                raise RuntimeError(f"{exc}; stderr: {stderr.read().decode()!r}") from None
            match line.split():
                case ["listening", "tcp", host, port] if port.isdigit():
                    yield (host, int(port)), proc.pid
                case _:
                    raise RuntimeError(f"unexpected ready line {line!r}")
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()


def machine() -> dict[str, Any]:
    """Where the figures were taken."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table, columns right-aligned except the first."""
    cells = [[str(h) for h in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def emit(result: dict[str, Any], text: str, json_path: str | None) -> None:
    """Print the table; write the JSON to ``json_path`` ('-': stdout, the table then
    goes to stderr)."""
    if json_path == "-":
        print(text, file=sys.stderr)
        json.dump(result, sys.stdout, indent=2)
        print()
        return
    print(text)
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2) + "\n")
        print(f"JSON written to {json_path}")
