"""Write a certificate as JSON, HTML and Markdown, and point ``latest`` at it."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["FORMATS", "hexdump", "render", "write_certificate"]

FORMATS = ("json", "html", "md")


def hexdump(hex_text: str, width: int = 16) -> str:
    """``hexdump -C`` style lines for the wire log: offset, hex bytes, printable ASCII."""
    data = bytes.fromhex(hex_text)
    lines = []
    for offset in range(0, len(data), width):
        row = data[offset : offset + width]
        hexes = " ".join(f"{b:02x}" for b in row)
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in row)
        lines.append(f"{offset:08x}  {hexes:<{width * 3}} |{text}|")
    return "\n".join(lines)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["hexdump"] = hexdump
    return env


def render(certificate: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(certificate, indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return _environment().get_template("certificate.html.j2").render(c=certificate)
    if fmt == "md":
        env = _environment().overlay(autoescape=False)
        return env.get_template("certificate.md.j2").render(c=certificate)
    raise ValueError(f"unknown certificate format {fmt!r}; use one of {', '.join(FORMATS)}")


def write_certificate(certificate: dict[str, Any], report_dir: Path) -> Path:
    """Write ``report_dir/<run-id>/certificate.*`` and point ``report_dir/latest`` at it."""
    out: Path = report_dir / str(certificate["run_id"])
    out.mkdir(parents=True, exist_ok=True)
    for fmt in FORMATS:
        (out / f"certificate.{fmt}").write_text(render(certificate, fmt), encoding="utf-8")
    latest = report_dir / "latest"
    temporary = report_dir / f".latest-{certificate['run_id']}"
    try:
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(out.name, target_is_directory=True)
        os.replace(temporary, latest)
    except OSError:
        # No symlinks here (some file systems): a plain file naming the run instead.
        temporary.unlink(missing_ok=True)
        if latest.is_symlink() or latest.is_file():
            latest.unlink()
        if not latest.exists():
            latest.write_text(out.name + "\n", encoding="utf-8")
    return out
