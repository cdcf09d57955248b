"""Unit tests for ``harness.requirements``: the ``requirement`` marker and the registry."""

from __future__ import annotations

from typing import Any

import pytest

from harness.requirements import (
    Level,
    Registry,
    Requirement,
    RequirementError,
    requirement_from_marker,
)

GOOD_KW: dict[str, Any] = {
    "level": "MUST",
    "ref": "RFC 862, TCP Based Echo Service",
    "quote": "Once a connection is established any data received is sent back.",
}


def kw(**changes: Any) -> dict[str, Any]:
    return {**GOOD_KW, **changes}


@pytest.mark.parametrize(
    "rid",
    [
        "echo/rfc862/tcp/echoes-data",
        "echo/rfc862/tcp/echoes_data",
        "daytime/rfc867/udp/reply/extra-part",
        "e/r/s/x",
        "websocket/rfc6455/5.2/Opcode.v1",
        "0suite/rfc/1/a",
    ],
)
def test_good_ids(rid: str) -> None:
    req = requirement_from_marker((rid,), kw())
    assert req == Requirement(rid, Level.MUST, GOOD_KW["ref"], GOOD_KW["quote"])
    assert req.suite == rid.split("/")[0]


@pytest.mark.parametrize("level", ["MUST", "SHOULD", "MAY"])
def test_levels(level: str) -> None:
    req = requirement_from_marker(("echo/rfc862/tcp/x",), kw(level=level))
    assert req.level is Level(level)


def test_to_dict() -> None:
    req = requirement_from_marker(("daytime/rfc867/tcp/sends-time",), kw(level="SHOULD"))
    assert req.to_dict() == {
        "id": "daytime/rfc867/tcp/sends-time",
        "level": "SHOULD",
        "ref": GOOD_KW["ref"],
        "quote": GOOD_KW["quote"],
        "suite": "daytime",
    }


@pytest.mark.parametrize(
    "rid",
    [
        "",
        "echo",
        "echo/rfc862/tcp",  # three parts: no slug
        "Echo/rfc862/tcp/x",  # upper-case suite
        "-echo/rfc862/tcp/x",
        "echo/rfc862//x",
        "echo/rfc862/tcp/x/",
        "/echo/rfc862/tcp/x",
        "echo/rfc862/tcp/-x",
        "echo/rfc 862/tcp/x",
        "echo/rfc862/tcp/x y",
        42,
        None,
        b"echo/rfc862/tcp/x",
    ],
)
def test_bad_ids(rid: object) -> None:
    with pytest.raises(RequirementError, match="must look like <suite>/<spec>/<section>/<slug>"):
        requirement_from_marker((rid,), kw())


@pytest.mark.parametrize("rid", ["echo/rfc862/tcp/x\n", "daytime/rfc867/udp/reply\n"])
def test_id_with_a_trailing_newline_is_bad(rid: str) -> None:
    with pytest.raises(RequirementError, match="must look like"):
        requirement_from_marker((rid,), kw())


def test_level_may_be_the_enum_member() -> None:
    assert requirement_from_marker(("e/r/s/x",), kw(level=Level.SHOULD)).level is Level.SHOULD


@pytest.mark.parametrize("level", ["must", "Must", "SHALL", "REQUIRED", "", None, 1])
def test_bad_level(level: object) -> None:
    with pytest.raises(RequirementError, match=r"level .* is not MUST, SHOULD or MAY") as info:
        requirement_from_marker(("e/r/s/x",), kw(level=level))
    assert "requirement e/r/s/x" in str(info.value)


@pytest.mark.parametrize("key", ["ref", "quote"])
@pytest.mark.parametrize("value", ["", "   ", "\n\t", None, 3, ["a quote"]])
def test_empty_or_non_string_ref_and_quote(key: str, value: object) -> None:
    with pytest.raises(RequirementError, match=f"{key} must be a non-empty string"):
        requirement_from_marker(("e/r/s/x",), kw(**{key: value}))


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((), GOOD_KW),  # no id
        (("e/r/s/x", "MUST"), {"ref": "r", "quote": "q"}),  # level given positionally
        (("e/r/s/x", "MUST", "r", "q"), {}),  # everything positional
        (("e/r/s/x", "e/r/s/y"), GOOD_KW),  # two ids
        ((), {"id": "e/r/s/x", **GOOD_KW}),  # id as a keyword
        (("e/r/s/x",), {"level": "MUST", "ref": "r"}),  # quote missing
        (("e/r/s/x",), {**GOOD_KW, "section": "3"}),  # an unknown keyword
        (("e/r/s/x",), {"level": "MUST", "ref": "r", "qoute": "q"}),  # a misspelt keyword
    ],
)
def test_positional_misuse(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    with pytest.raises(RequirementError, match=r"use @pytest.mark.requirement\(id, level=") as info:
        requirement_from_marker(args, kwargs)
    assert repr(args) in str(info.value)


def test_requirement_error_is_a_value_error() -> None:
    assert issubclass(RequirementError, ValueError)


# -- Registry --------------------------------------------------------------------------------


def _req(rid: str = "echo/rfc862/tcp/x", **changes: Any) -> Requirement:
    return requirement_from_marker((rid,), kw(**changes))


def test_registry_collects_ids() -> None:
    registry = Registry()
    assert len(registry) == 0
    registry.add(_req("echo/rfc862/tcp/b"), "suites/echo/test_a.py::test_b")
    registry.add(_req("echo/rfc862/tcp/a"), "suites/echo/test_a.py::test_a")
    registry.add(_req("echo/rfc862/tcp/a"), "suites/echo/test_a.py::test_a[2]")  # same again
    assert len(registry) == 2
    assert registry.ids() == ["echo/rfc862/tcp/a", "echo/rfc862/tcp/b"]
    assert "echo/rfc862/tcp/a" in registry
    assert "echo/rfc862/tcp/c" not in registry
    assert 42 not in registry


@pytest.mark.parametrize(
    "changes",
    [
        {"level": "SHOULD"},
        {"ref": "RFC 862, another section"},
        {"quote": "A different sentence."},
        {"quote": GOOD_KW["quote"] + " "},  # even a trailing space
    ],
)
def test_registry_rejects_the_same_id_declared_differently(changes: dict[str, Any]) -> None:
    registry = Registry()
    registry.add(_req(), "suites/echo/test_a.py::test_one")
    with pytest.raises(RequirementError) as info:
        registry.add(_req(**changes), "suites/echo/test_b.py::test_two")
    message = str(info.value)
    assert message.startswith("suites/echo/test_b.py::test_two: requirement echo/rfc862/tcp/x")
    assert "declared differently" in message
    assert len(registry) == 1  # the first declaration stands
