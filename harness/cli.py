"""The ``wirecert`` command: ``run`` the installed suites, ``serve`` a reference, ``report``.

``wirecert run [SUITE ...] [PYTEST OPTIONS ...]`` is ``pytest`` over the installed
suites: suite names come first, everything from the first option on goes to pytest
unchanged, e.g. ``wirecert run echo --target host:7 --strict-spec``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness import __version__

__all__ = ["main"]

USAGE = """\
wirecert run [SUITE ...] [PYTEST OPTIONS ...]   certify targets (all suites by default)
wirecert serve PROTOCOL [--listen ...]           start a reference server
wirecert report CERTIFICATE [--format F] [-o OUT] re-render a certificate
wirecert --version"""


def _run(argv: list[str]) -> int:
    import pytest

    from harness.suite import all_suites, suites_dir

    suites = all_suites()
    names: list[str] = []
    while argv and not argv[0].startswith("-"):
        name = argv.pop(0)
        if name not in suites:
            print(
                f"wirecert run: no suite called {name!r}; suites are: {', '.join(sorted(suites))}",
                file=sys.stderr,
            )
            return 2
        names.append(name)
    root = suites_dir()
    paths = [str(root / name) for name in names] or [str(root)]
    # Keep pytest's cache out of the installed package.
    cache = ["-o", f"cache_dir={Path.cwd() / '.pytest_cache'}"]
    return int(pytest.main([*paths, *cache, *argv]))


def _serve(argv: list[str]) -> int:
    from reference_impls.__main__ import main as reference_main

    return reference_main(["serve", *argv])


def _report(argv: list[str]) -> int:
    from harness.report import render
    from harness.report.certificate import FORMAT
    from harness.report.writers import FORMATS

    parser = argparse.ArgumentParser(
        prog="wirecert report",
        description="Re-render a certificate from its JSON. Without --format, rewrites "
        "certificate.html and certificate.md beside the JSON.",
    )
    parser.add_argument(
        "certificate",
        type=Path,
        help="a certificate.json, or a run directory such as reports/latest",
    )
    parser.add_argument("--format", choices=FORMATS, help="render one format")
    parser.add_argument("-o", "--out", type=Path, help="where to write it (default: stdout)")
    args = parser.parse_args(argv)
    path: Path = args.certificate
    if path.is_dir():
        path = path / "certificate.json"
    try:
        certificate = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        parser.error(f"no certificate at {path}")
    except (OSError, ValueError) as exc:
        parser.error(f"{path} is not a certificate: {exc}")
    if not isinstance(certificate, dict) or certificate.get("format") != FORMAT:
        parser.error(f"{path} is not a {FORMAT} certificate")
    try:
        if args.format is None:
            for fmt in ("html", "md"):
                out = path.with_name(f"certificate.{fmt}")
                out.write_text(render(certificate, fmt), encoding="utf-8")
                print(out)
            return 0
        text = render(certificate, args.format)
    except Exception as exc:  # a hand-edited certificate missing fields
        parser.error(f"{path} could not be rendered: {type(exc).__name__}: {exc}")
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(args.out)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if args else 2
    if args[0] == "--version":
        print(f"wirecert {__version__}")
        return 0
    command, rest = args[0], args[1:]
    commands = {"run": _run, "serve": _serve, "report": _report}
    if command not in commands:
        print(f"wirecert: unknown command {command!r}\n{USAGE}", file=sys.stderr)
        return 2
    return commands[command](rest)


if __name__ == "__main__":
    sys.exit(main())
