"""The Internet checksum on 64 KiB, and the ping client's round trips against the kernel.

Checksum: three implementations of RFC 1071 on the same buffer, in the same run,
with interleaved trials (the order rotates per trial, after one unreported warm-up):

* ours: ``reference_impls.icmp.checksum.internet_checksum`` (the buffer as one
  big-endian integer, reduced modulo 0xFFFF);
* per-word: RFC 1071 section 4.1's C routine written in Python, one 16-bit word at
  a time, carries folded at the end;
* scapy: ``scapy.utils.checksum`` (numpy-free; an ``array('H')`` sum).

Figures are MB/s (10^6 bytes/s) of checksummed data; the ratios are ours / theirs.
Every result is compared after the clock stops.

Ping: ``reference_impls.icmp.client.ping`` against the kernel at 127.0.0.1, one
request at a time and with 32 in flight; figures are replies per second.

    python benchmarks/icmp_checksum.py [--size 65536] [--trials 7] [--pings 5000] [--json out.json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from _common import emit, machine, summary, table

from reference_impls.icmp.checksum import internet_checksum
from reference_impls.icmp.client import IcmpSocketUnavailable, ping


def per_word_checksum(data: bytes) -> int:
    """RFC 1071 section 4.1, word by word."""
    total = 0
    for i in range(0, len(data) - 1, 2):
        total += (data[i] << 8) | data[i + 1]
    if len(data) % 2:
        total += data[-1] << 8
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def time_one(func: Callable[[bytes], int], data: bytes, min_seconds: float) -> tuple[float, int]:
    """Bytes per second of ``func`` over ``data``, repeated for at least ``min_seconds``."""
    rounds = 0
    started = time.perf_counter()
    while True:
        result = func(data)
        rounds += 1
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return rounds * len(data) / elapsed, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=65536, help="bytes checksummed (65536)")
    parser.add_argument("--trials", type=int, default=7)
    parser.add_argument("--min-seconds", type=float, default=0.2, help="per timed pass")
    parser.add_argument("--pings", type=int, default=5000, help="echo requests per ping run")
    parser.add_argument("--json", default=None, metavar="PATH")
    args = parser.parse_args()

    codecs: dict[str, Callable[[bytes], int]] = {
        "ours": internet_checksum,
        "per-word": per_word_checksum,
    }
    try:
        from scapy.utils import checksum as scapy_checksum

        codecs["scapy"] = lambda data: int(scapy_checksum(data))
    except ImportError:
        print("scapy is not installed (pip install scapy): left out", file=sys.stderr)

    data = os.urandom(args.size)
    expected = per_word_checksum(data)
    rates: dict[str, list[float]] = {name: [] for name in codecs}
    names = list(codecs)
    for name in names:  # warm-up
        time_one(codecs[name], data, 0.05)
    for trial in range(args.trials):
        order = names[trial % len(names) :] + names[: trial % len(names)]
        for name in order:
            rate, result = time_one(codecs[name], data, args.min_seconds)
            if result != expected:
                print(f"{name} gave {result:#06x}, not {expected:#06x}", file=sys.stderr)
                return 1
            rates[name].append(rate)
        print(f"trial {trial + 1}/{args.trials} done", file=sys.stderr)

    medians = {name: statistics.median(v) for name, v in rates.items()}
    rows = [
        [
            name,
            f"{medians[name] / 1e6:,.1f}",
            f"{min(v) / 1e6:,.1f}-{max(v) / 1e6:,.1f}",
            f"{args.size / medians[name] * 1e6:,.1f}",
        ]
        for name, v in rates.items()
    ]
    text = table(["checksum", "MB/s median", "min-max", "us per buffer"], rows)
    ratios = {f"ours / {name}": medians["ours"] / medians[name] for name in names if name != "ours"}
    text += "\n\n" + table(
        ["ratio (of medians)", "value"], [[k, f"{v:,.1f}"] for k, v in ratios.items()]
    )

    pings: dict[str, Any] = {}
    try:
        for in_flight in (1, 32):
            run = ping("127.0.0.1", count=args.pings, size=56, in_flight=in_flight, timeout=2.0)
            answered = len(run.answered)
            rtts = [r.rtt for r in run.answered if r.rtt is not None]
            pings[f"in_flight={in_flight}"] = {
                "sent": run.sent,
                "answered": answered,
                "seconds": run.seconds,
                "replies_per_s": answered / run.seconds,
                "rtt_us_median": statistics.median(rtts) * 1e6 if rtts else None,
            }
    except IcmpSocketUnavailable as exc:
        print(f"ping left out: {exc}", file=sys.stderr)
    if pings:
        text += "\n\n" + table(
            ["ping 127.0.0.1 (56 data octets)", "replies/s", "answered", "median rtt us"],
            [
                [
                    k,
                    f"{v['replies_per_s']:,.0f}",
                    f"{v['answered']}/{v['sent']}",
                    f"{v['rtt_us_median']:,.0f}" if v["rtt_us_median"] else "-",
                ]
                for k, v in pings.items()
            ],
        )
    figures = {
        "machine": machine(),
        "load_average": os.getloadavg(),
        "size": args.size,
        "trials": args.trials,
        "checksum_bytes_per_s": {name: summary(v) for name, v in rates.items()},
        "ratios": ratios,
        "ping": pings,
    }
    emit(figures, text, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
