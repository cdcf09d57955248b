"""Certificates: built from the records attached to test reports, written as JSON, HTML, Markdown.

The JSON is the certificate; HTML and Markdown are renderings of it, so
``wirecert report`` can redo them from a JSON file alone.
"""

from __future__ import annotations

from harness.report.certificate import build_certificate, terminal_lines
from harness.report.junit import rewrite_junit
from harness.report.writers import render, write_certificate

__all__ = ["build_certificate", "render", "rewrite_junit", "terminal_lines", "write_certificate"]
