"""Wall time of the websocket suite's core case set against the embedded reference
(ws:// and wss://, the default profile: Autobahn 1-7 and 10, the handshake and the
cases Autobahn lacks; not Autobahn 9), as a user types it:

    python -m pytest suites/websocket -q -p no:cacheprovider --report-dir <tmp>

Each run is a fresh subprocess (interpreter start, collection, the embedded reference,
every check and the certificate); the timing is certification_walltime.py's. Prints the
median and minimum of N runs and the number of cases run. Goal: under 30 s (Autobahn
takes about a minute for its core 247).

    python benchmarks/websocket_suite_walltime.py [--runs 3] [--json out.json]
"""

from __future__ import annotations

import sys

from certification_walltime import main

if __name__ == "__main__":
    sys.exit(
        main(
            ["suites/websocket"],
            name="websocket_suite_walltime",
            description=__doc__.split("\n\n")[0],
        )
    )
