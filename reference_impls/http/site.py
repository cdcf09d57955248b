"""The docroot the reference origin server serves, and its ``/cgi-bin/printenv``.

Files and directories under one root: GET and HEAD with Content-Type,
Content-Length, Last-Modified and a strong ETag; If-None-Match and
If-Modified-Since (304, RFC 9110 §13); a single byte range (206, RFC 9110 §14;
unsatisfiable: 416); directories as ``index.html`` or a generated listing (sent
chunked), ``/dir`` redirected to ``/dir/``; OPTIONS answers Allow; other methods of
RFC 9110 §9 get 405 with Allow, unknown ones 501.

Path traversal is impossible by construction: the path is split on ``/`` first and
each segment percent-decoded once (so ``%2F`` cannot make a new segment and
``%252e`` stays the literal name ``%2e``); a segment with a NUL, a backslash or a
slash after decoding is refused; ``..`` that would climb above the root is refused;
and the file finally chosen is resolved with ``realpath`` and must still lie inside
the root, so a symbolic link cannot lead out either.

``/cgi-bin/printenv`` is the book's CGI demonstration. The book's version prints the
server's whole process environment, which hands every client the server's secrets
(tokens, passwords and keys passed in environment variables, paths, user names).
This one prints only the CGI meta-variables of RFC 3875 §4.1 that the request itself
determines (REQUEST_METHOD, PATH_INFO, QUERY_STRING, SERVER_PROTOCOL, REMOTE_ADDR,
HTTP_* for the request's header fields, ...), and, as RFC 3875 §4.1.18 asks, no
HTTP_AUTHORIZATION or HTTP_PROXY_AUTHORIZATION: nothing the client did not send or
could not see.
"""

from __future__ import annotations

import html
import mimetypes
import os
import re
import stat
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes, urlsplit

from reference_impls.http.message import http_date, parse_http_date
from reference_impls.http.protocol import FileSlice, Reply, Request

__all__ = ["KNOWN_METHODS", "PRINTENV", "Site", "cgi_variables", "resolve"]

#: The methods of RFC 9110 §9 (and PATCH, RFC 5789): 405 when not allowed, 501 otherwise.
KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
PRINTENV = "/cgi-bin/printenv"
STATIC_ALLOW = "GET, HEAD, OPTIONS"
PRINTENV_ALLOW = "GET, HEAD, POST, OPTIONS"
SOFTWARE = "wirecert-reference"
#: Header fields that carry credentials: never made into meta-variables (RFC 3875 §4.1.18).
_CREDENTIALS = frozenset({b"authorization", b"proxy-authorization"})
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class _BadPath(Exception):
    """The request-target's path cannot name anything inside the root."""


def resolve(root: Path, path: str) -> Path | None:
    """The file or directory ``path`` (still percent-encoded) names inside ``root``.

    ``root`` must be a real path (no symbolic links in it). Returns None when nothing
    inside the root has that name; raises ValueError for a path that tries to leave.
    """
    if not path.startswith("/") or "\\" in path or "\x00" in path:
        raise ValueError("the path must start with / and hold no backslash or NUL")
    parts: list[str] = []
    for segment in path.split("/")[1:]:
        try:
            name = unquote_to_bytes(segment).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("the path is not UTF-8") from None
        if any(c in name for c in "/\\\x00"):
            raise ValueError("an encoded slash, backslash or NUL in the path")
        if name in ("", "."):
            continue
        if name == "..":
            if not parts:
                raise ValueError("the path climbs above the root")
            parts.pop()
            continue
        parts.append(name)
    real = Path(os.path.realpath(root.joinpath(*parts)))
    if real != root and root not in real.parents:
        return None  # a symbolic link that leads outside the root
    return real if real.exists() else None


def cgi_variables(request: Request, path_info: str, query: str) -> dict[str, str]:
    """RFC 3875 §4.1 meta-variables derived from ``request`` alone."""
    host = request.header("host") or request.local[0]
    server_name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    env = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "REMOTE_ADDR": request.peer[0],
        "REMOTE_HOST": request.peer[0],
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": PRINTENV,
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(request.local[1]),
        "SERVER_PROTOCOL": f"HTTP/{request.version[0]}.{request.version[1]}",
        "SERVER_SOFTWARE": SOFTWARE,
    }
    if request.body or request.header("content-length") is not None:
        env["CONTENT_LENGTH"] = str(len(request.body))
    content_type = request.header("content-type")
    if content_type is not None:
        env["CONTENT_TYPE"] = content_type
    for name, _ in request.fields:
        if name in _CREDENTIALS or name in (b"content-length", b"content-type"):
            continue
        key = "HTTP_" + name.decode("ascii").upper().replace("-", "_")
        value = request.header(name.decode("ascii"))
        if value is not None:
            env[key] = value
    return env


def _etag(st: os.stat_result) -> str:
    return f'"{st.st_size:x}-{st.st_mtime_ns:x}"'


def _matches(header: str, etag: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110 §13.1.2)."""
    if header.strip() == "*":
        return True
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return etag.removeprefix("W/") in tags


class Site:
    """Answers requests from the directory ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        real = Path(os.path.realpath(root))
        if not real.is_dir():
            raise NotADirectoryError(f"not a directory: {root}")
        self.root = real

    def __call__(self, request: Request) -> Reply:
        method = request.method
        if method not in KNOWN_METHODS:
            # RFC 9110 §9.1: "An origin server that receives a request method that is
            # unrecognized or not implemented SHOULD respond with the 501 (Not
            # Implemented) status code."
            return _text(501, f"method {method} is not implemented\n", close=bool(request.body))
        target = request.target
        if target == "*":
            if method == "OPTIONS":
                return Reply(200, [("Allow", STATIC_ALLOW), ("Content-Length", "0")])
            return _text(400, "the asterisk-form is for OPTIONS only\n")
        if not target.startswith("/"):
            # RFC 9112 §3.2.2: "a server MUST accept the absolute-form in requests"
            parts = urlsplit(target)
            if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
                return _text(400, "the request-target must be origin-form or absolute-form\n")
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        path, _, query = target.partition("?")
        if path == PRINTENV or path.startswith(PRINTENV + "/"):
            return self._printenv(request, path, query)
        if method == "OPTIONS":
            return Reply(200, [("Allow", STATIC_ALLOW), ("Content-Length", "0")])
        if method not in ("GET", "HEAD"):
            # RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in
            # a 405 response containing a list of the target resource's currently
            # supported methods."
            return _text(405, f"{method} is not allowed here\n", extra=[("Allow", STATIC_ALLOW)])
        try:
            found = resolve(self.root, path)
        except ValueError as exc:
            return _text(400, f"{exc}\n")
        if found is None:
            return _text(404, "not found\n")
        if found.is_dir():
            if not path.endswith("/"):
                location = path + "/" + (f"?{query}" if query else "")
                return _text(301, f"moved to {location}\n", extra=[("Location", location)])
            index = found / "index.html"
            if index.is_file():
                return self._file(request, index)
            return self._listing(found, path)
        if not found.is_file():
            return _text(403, "not a regular file\n")
        return self._file(request, found)

    def _file(self, request: Request, path: Path) -> Reply:
        try:
            st = path.stat()
        except OSError:
            return _text(404, "not found\n")
        if not stat.S_ISREG(st.st_mode):
            return _text(403, "not a regular file\n")
        etag = _etag(st)
        last_modified = http_date(st.st_mtime)
        validators = [("ETag", etag), ("Last-Modified", last_modified)]
        inm = request.header("if-none-match")
        if inm is not None:
            if _matches(inm, etag):
                return Reply(304, validators)
        else:
            ims = request.header("if-modified-since")
            since = parse_http_date(ims) if ims is not None else None
            if since is not None and int(st.st_mtime) <= since:
                return Reply(304, validators)
        content_type, encoding = mimetypes.guess_type(path.name)
        if content_type is None or encoding is not None:
            content_type = "application/octet-stream"
        elif content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        headers = [("Content-Type", content_type), *validators, ("Accept-Ranges", "bytes")]
        size = st.st_size
        chosen = self._range(request, etag, last_modified, size)
        if isinstance(chosen, str):  # unsatisfiable
            return _text(
                416, "range not satisfiable\n", extra=[("Content-Range", f"bytes */{size}")]
            )
        if chosen is not None:
            first, last = chosen
            length = last - first + 1
            headers += [("Content-Range", f"bytes {first}-{last}/{size}")]
            headers += [("Content-Length", str(length))]
            return Reply(206, headers, FileSlice(path, first, length))
        headers.append(("Content-Length", str(size)))
        return Reply(200, headers, FileSlice(path, 0, size) if size else b"")

    @staticmethod
    def _range(
        request: Request, etag: str, last_modified: str, size: int
    ) -> tuple[int, int] | str | None:
        """The one byte range to send, "unsatisfiable", or None for the whole file."""
        header = request.header("range")
        if header is None or request.method != "GET":
            return None
        if_range = request.header("if-range")
        if if_range is not None and if_range.strip() not in (etag, last_modified):
            return None  # RFC 9110 §13.1.5: the representation changed; send it whole
        match = _RANGE.fullmatch(header.strip())
        if match is None or (not match[1] and not match[2]):
            return None  # several ranges, or another unit: the whole file (allowed)
        if not match[1]:
            suffix = int(match[2])
            if suffix == 0 or size == 0:
                return "unsatisfiable"
            return (max(0, size - suffix), size - 1)
        first = int(match[1])
        last = int(match[2]) if match[2] else size - 1
        if match[2] and last < first:
            return None  # invalid: ignored (RFC 9110 §14.2)
        if first >= size:
            return "unsatisfiable"
        return (first, min(last, size - 1))

    def _listing(self, directory: Path, path: str) -> Reply:
        names = []
        try:
            for entry in sorted(os.scandir(directory), key=lambda e: e.name):
                suffix = "/" if entry.is_dir() else ""
                names.append(
                    f'<li><a href="{quote(entry.name)}{suffix}">'
                    f"{html.escape(entry.name)}{suffix}</a></li>"
                )
        except OSError:
            return _text(403, "the directory cannot be read\n")
        title = html.escape(path)
        body = (
            f"<!DOCTYPE html>\n<html><head><title>Index of {title}</title></head>\n"
            f"<body><h1>Index of {title}</h1><ul>\n" + "\n".join(names) + "\n</ul></body></html>\n"
        ).encode()
        # No Content-Length: h11 sends it chunked (HTTP/1.1) or close-delimited (1.0).
        return Reply(200, [("Content-Type", "text/html; charset=utf-8")], body)

    def _printenv(self, request: Request, path: str, query: str) -> Reply:
        if request.method == "OPTIONS":
            return Reply(200, [("Allow", PRINTENV_ALLOW), ("Content-Length", "0")])
        if request.method not in ("GET", "HEAD", "POST"):
            return _text(
                405, f"{request.method} is not allowed here\n", extra=[("Allow", PRINTENV_ALLOW)]
            )
        path_info = unquote_to_bytes(path[len(PRINTENV) :]).decode("utf-8", "replace")
        env = cgi_variables(request, path_info, query)
        body = "".join(f"{name}={value}\n" for name, value in sorted(env.items())).encode()
        return Reply(200, [("Content-Type", "text/plain; charset=utf-8")], body)


def _text(
    status: int, text: str, *, extra: list[tuple[str, str]] | None = None, close: bool = False
) -> Reply:
    body = text.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    return Reply(status, headers + (extra or []), body, close=close)
