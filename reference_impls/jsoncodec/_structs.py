"""Go's struct-field rules (names, ``json`` tags) applied to Python dataclasses."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Annotated, Any

__all__ = ["FieldSpec", "Tag", "is_struct", "struct_fields"]

#: The key of a ``dataclasses.field(metadata=...)`` entry holding a json tag.
TAG_METADATA_KEY = "json"

_TAG_PUNCTUATION = frozenset("!#$%&()*+-./:;<=>?@[]^_{|}~ ")


@dataclass(frozen=True)
class Tag:
    """A Go struct tag's ``json:"..."`` value, for ``Annotated[T, Tag("name,omitempty")]``."""

    value: str


@dataclass(frozen=True)
class FieldSpec:
    """One encoded field: ``attr`` is the Python (Go) field name, ``key`` its JSON key."""

    attr: str
    key: str
    omitempty: bool
    quoted: bool  # the ",string" option
    hint: Any  # the field's type, Annotated stripped
    tagged: bool  # whether the key came from a tag (Go's rule for duplicate keys)


def is_struct(value: object) -> bool:
    """Whether ``value`` is a dataclass instance (a Go struct value)."""
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _valid_tag_name(name: str) -> bool:
    # Go's isValidTag: letters, digits and some punctuation; quotes and backslash are
    # reserved. An invalid name is ignored (the field name is used instead).
    if not name:
        return False
    return all(c in _TAG_PUNCTUATION or c.isalpha() or c.isdigit() for c in name)


def _is_exported(name: str) -> bool:
    # Go: a field is exported if its name begins with an upper-case letter.
    return name[:1].isupper()


def _tag_of(field: dataclasses.Field[Any], annotation: Any) -> str | None:
    for extra in getattr(annotation, "__metadata__", ()):
        if isinstance(extra, Tag):
            return extra.value
    tag = field.metadata.get(TAG_METADATA_KEY)
    return tag if isinstance(tag, str) else None


def _strip_annotated(hint: Any) -> Any:
    while typing.get_origin(hint) is Annotated:
        hint = hint.__origin__
    return hint


def _scalar(hint: Any) -> bool:
    """Whether ",string" applies: bool, int, float, str, or optional ("pointer to") one."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if type(None) in typing.get_args(hint) and len(args) == 1:
        hint = args[0]
    return hint in (bool, int, float, str)


_CACHE: dict[type, tuple[FieldSpec, ...]] = {}


def struct_fields(cls: type) -> tuple[FieldSpec, ...]:
    """The fields Go's encoding/json would see on ``cls``, in declaration order."""
    specs = _CACHE.get(cls)
    if specs is None:
        specs = _CACHE[cls] = _struct_fields(cls)
    return specs


def _struct_fields(cls: type) -> tuple[FieldSpec, ...]:
    hints = typing.get_type_hints(cls, include_extras=True)
    specs: list[FieldSpec] = []
    for field in dataclasses.fields(cls):
        # Go skips unexported fields, tagged or not.
        if not _is_exported(field.name):
            continue
        annotation = hints.get(field.name, Any)
        tag = _tag_of(field, annotation)
        if tag == "-":
            continue
        name, _, options = (tag or "").partition(",")
        opts = options.split(",") if options else []
        hint = _strip_annotated(annotation)
        tagged = _valid_tag_name(name)
        specs.append(
            FieldSpec(
                attr=field.name,
                key=name if tagged else field.name,
                omitempty="omitempty" in opts,
                quoted="string" in opts and _scalar(hint),
                hint=hint,
                tagged=tagged,
            )
        )
    # Go: of several fields with one JSON name, a tagged one wins if it is alone;
    # otherwise all of them are dropped, silently.
    by_key: dict[str, list[FieldSpec]] = {}
    for spec in specs:
        by_key.setdefault(spec.key, []).append(spec)
    keep: set[str] = set()
    for group in by_key.values():
        if len(group) == 1:
            keep.add(group[0].attr)
        else:
            tagged_ones = [s for s in group if s.tagged]
            if len(tagged_ones) == 1:
                keep.add(tagged_ones[0].attr)
    return tuple(s for s in specs if s.attr in keep)
