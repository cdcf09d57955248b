"""JSON (RFC 8259) as Go's encoding/json (Go 1.19) reads and writes it, sans-IO.

:func:`parse` (strict, Go's errors), :class:`JSONStreamDecoder` (concatenated values,
like json.Decoder), :func:`marshal` (byte-for-byte ``json.Marshal``), and Go-like
structs as dataclasses in :mod:`.models`.
"""

from __future__ import annotations

from reference_impls.jsoncodec._structs import Tag
from reference_impls.jsoncodec.encoder import (
    GoString,
    RawMessage,
    format_float,
    marshal,
    quote_string,
)
from reference_impls.jsoncodec.models import (
    BOOK_PERSON_JSON,
    Email,
    Name,
    Person,
    book_person,
    marshal_model,
    model_from_value,
    unmarshal_model,
)
from reference_impls.jsoncodec.parser import DEFAULT_MAX_DEPTH, Number, parse
from reference_impls.jsoncodec.stream import (
    DEFAULT_MAX_VALUE_SIZE,
    END_OF_STREAM,
    NEED_DATA,
    JSONStreamDecoder,
)

__all__ = [
    "BOOK_PERSON_JSON",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_VALUE_SIZE",
    "END_OF_STREAM",
    "NEED_DATA",
    "Email",
    "GoString",
    "JSONStreamDecoder",
    "Name",
    "Number",
    "Person",
    "RawMessage",
    "Tag",
    "book_person",
    "format_float",
    "marshal",
    "marshal_model",
    "model_from_value",
    "parse",
    "quote_string",
    "unmarshal_model",
]
