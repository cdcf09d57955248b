"""Unit tests for ``harness.targets.parse_target`` and ``Target``: the ``--target`` grammar."""

from __future__ import annotations

import pytest

from harness.targets import SCHEMES, Target, TargetSyntaxError, parse_target

# text -> (scheme, host, port, path, suite, url, option)
VALID: list[tuple[str, str, str, int | None, str, str | None, str, str]] = [
    ("host", "tcp", "host", None, "", None, "tcp://host", "tcp://host"),
    ("echo.example.net:7", "tcp", "echo.example.net", 7, "", None, "tcp://echo.example.net:7",
     "tcp://echo.example.net:7"),
    ("127.0.0.1:7", "tcp", "127.0.0.1", 7, "", None, "tcp://127.0.0.1:7", "tcp://127.0.0.1:7"),
    ("localhost:1", "tcp", "localhost", 1, "", None, "tcp://localhost:1", "tcp://localhost:1"),
    ("host:65535", "tcp", "host", 65535, "", None, "tcp://host:65535", "tcp://host:65535"),
    ("example.net.", "tcp", "example.net.", None, "", None, "tcp://example.net.",
     "tcp://example.net."),
    ("_srv.host:7", "tcp", "_srv.host", 7, "", None, "tcp://_srv.host:7", "tcp://_srv.host:7"),
    ("tcp://host:7", "tcp", "host", 7, "", None, "tcp://host:7", "tcp://host:7"),
    ("TCP://Host:7", "tcp", "Host", 7, "", None, "tcp://Host:7", "tcp://Host:7"),
    ("udp://daytime.example.net", "udp", "daytime.example.net", None, "", None,
     "udp://daytime.example.net", "udp://daytime.example.net"),
    ("tls://host:853", "tls", "host", 853, "", None, "tls://host:853", "tls://host:853"),
    ("icmp://host", "icmp", "host", None, "", None, "icmp://host", "icmp://host"),
    ("icmp://[::1]", "icmp", "::1", None, "", None, "icmp://[::1]", "icmp://[::1]"),
    ("[::1]", "tcp", "::1", None, "", None, "tcp://[::1]", "tcp://[::1]"),
    ("[::1]:7007", "tcp", "::1", 7007, "", None, "tcp://[::1]:7007", "tcp://[::1]:7007"),
    ("udp://[2001:db8::1]:13", "udp", "2001:db8::1", 13, "", None, "udp://[2001:db8::1]:13",
     "udp://[2001:db8::1]:13"),
    ("echo=tcp://[::1]:7007", "tcp", "::1", 7007, "", "echo", "tcp://[::1]:7007",
     "echo=tcp://[::1]:7007"),
    ("echo=host:7", "tcp", "host", 7, "", "echo", "tcp://host:7", "echo=tcp://host:7"),
    ("day_time-2=udp://host", "udp", "host", None, "", "day_time-2", "udp://host",
     "day_time-2=udp://host"),
    ("websocket=ws://host:9001/chat", "ws", "host", 9001, "/chat", "websocket",
     "ws://host:9001/chat", "websocket=ws://host:9001/chat"),
    ("wss://host/a/b?x=1", "wss", "host", None, "/a/b?x=1", None, "wss://host/a/b?x=1",
     "wss://host/a/b?x=1"),
    ("http://host/", "http", "host", None, "/", None, "http://host/", "http://host/"),
    ("http://host", "http", "host", None, "", None, "http://host", "http://host"),
    ("https://[::1]:8443/x", "https", "::1", 8443, "/x", None, "https://[::1]:8443/x",
     "https://[::1]:8443/x"),
    ("  echo=host:7  ", "tcp", "host", 7, "", "echo", "tcp://host:7", "echo=tcp://host:7"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "scheme", "host", "port", "path", "suite", "url", "option"), VALID
)
def test_valid_forms(
    text: str,
    scheme: str,
    host: str,
    port: int | None,
    path: str,
    suite: str | None,
    url: str,
    option: str,
) -> None:
    target = parse_target(text)
    assert (target.scheme, target.host, target.port, target.path, target.suite) == (
        scheme,
        host,
        port,
        path,
        suite,
    )
    assert target.raw == text
    assert target.embedded is False
    assert target.url == url
    assert target.option() == option


@pytest.mark.parametrize("text", [row[0] for row in VALID])
def test_option_round_trips(text: str) -> None:
    target = parse_target(text)
    again = parse_target(target.option())
    assert (again.scheme, again.host, again.port, again.path, again.suite) == (
        target.scheme,
        target.host,
        target.port,
        target.path,
        target.suite,
    )


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_scheme_is_accepted(scheme: str) -> None:
    text = f"{scheme}://host" if scheme == "icmp" else f"{scheme}://host:9"
    target = parse_target(text)
    assert target.scheme == scheme
    assert target.url == text


def test_with_port_keeps_everything_else() -> None:
    target = Target("ws", "::1", None, "/chat", "websocket", True, "raw text")
    moved = target.with_port(9001)
    assert moved == Target("ws", "::1", 9001, "/chat", "websocket", True, "raw text")
    assert moved.url == "ws://[::1]:9001/chat"
    assert moved.address == ("::1", 9001)
    assert target.port is None  # frozen: the original is unchanged


def test_address_needs_a_port() -> None:
    target = parse_target("udp://host")
    with pytest.raises(ValueError, match="has no port yet"):
        _ = target.address
    assert target.with_port(13).address == ("host", 13)


# text -> fragments the message must contain (what to type, or what is wrong)
INVALID: list[tuple[str, list[str]]] = [
    ("", ["empty", "[suite=][scheme://]host[:port]", "--target echo="]),
    ("   ", ["empty", "[suite=][scheme://]host[:port]"]),
    ("ftp://host", ["unknown scheme 'ftp'", *(f"{s}://" for s in SCHEMES)]),
    ("gopher://host:70", ["unknown scheme 'gopher'", "tcp://, udp://"]),
    ("host:0", ["port '0'", "from 1 to 65535"]),
    ("host:65536", ["port '65536'", "from 1 to 65535"]),
    ("host:x", ["port 'x'", "from 1 to 65535"]),
    ("host:", ["port ''", "from 1 to 65535"]),
    ("host:-1", ["port '-1'", "from 1 to 65535"]),
    ("[::1]:99999", ["port '99999'", "from 1 to 65535"]),
    ("::1", ["brackets", "tcp://[::1]:7"]),
    ("::1:7", ["brackets", "tcp://[::1]:7"]),
    ("udp://2001:db8::1:13", ["brackets", "[::1]"]),
    ("[::1", ["unclosed '['"]),
    ("[::1]7", ["expected ':port' after ']'"]),
    ("[host]:7", ["'host' is not an IPv6 address"]),
    ("icmp://host:7", ["icmp has no ports", "write icmp://host"]),
    ("tcp://host:7/path", ["tcp:// takes no path", "remove '/path'"]),
    ("host:7/x", ["tcp:// takes no path", "remove '/x'"]),
    ("udp://host/x", ["udp:// takes no path"]),
    ("tls://host/x", ["tls:// takes no path"]),
    ("icmp://host/x", ["icmp:// takes no path"]),
    ("Echo=host:7", ["suite label 'Echo'", "lower-case letters"]),
    ("1echo=host:7", ["suite label '1echo'"]),
    ("=host:7", ["suite label ''"]),
    ("echo!=host:7", ["suite label 'echo!'"]),
    ("echo=", ["no host"]),
    ("tcp://", ["no host"]),
    ("tcp://:7", ["no host"]),
    ("://host", ["malformed scheme"]),
    ("//host", ["malformed scheme"]),
    ("host name", ["'host name' is not a host name or IP address"]),
    ("-host", ["'-host' is not a host name"]),
    ("a" * 64 + ".net", ["is not a host name"]),
]


@pytest.mark.parametrize(("text", "fragments"), INVALID)
def test_invalid_forms_say_what_to_type(text: str, fragments: list[str]) -> None:
    with pytest.raises(TargetSyntaxError) as info:
        parse_target(text)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    if text.strip():
        assert repr(text) in message  # names the value that was typed


def test_target_syntax_error_is_a_value_error() -> None:
    assert issubclass(TargetSyntaxError, ValueError)


@pytest.mark.parametrize("port", ["²", "٣", "７"])
def test_non_ascii_digit_port_is_a_syntax_error(port: str) -> None:
    with pytest.raises(TargetSyntaxError, match="from 1 to 65535"):
        parse_target(f"host:{port}")


def test_icmp_port_message_for_ipv6_is_typeable() -> None:
    with pytest.raises(TargetSyntaxError) as info:
        parse_target("icmp://[::1]:7")
    suggestion = str(info.value).rsplit("write ", 1)[1]
    assert suggestion == "icmp://[::1]"
    assert parse_target(suggestion).host == "::1"
