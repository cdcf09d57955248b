"""Ready models: the book's Person types (Newmarch, Ch4) and encoding/gob's doc examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

__all__ = ["SAMPLE_PERSON", "Email", "Name", "Person", "Point", "T"]


@dataclass(frozen=True, slots=True)
class Name:
    """``type Name struct { Family string; Personal string }``"""

    __gob_name__: ClassVar[str] = "main.Name"
    Family: str = ""
    Personal: str = ""


@dataclass(frozen=True, slots=True)
class Email:
    """``type Email struct { Kind string; Address string }``"""

    __gob_name__: ClassVar[str] = "main.Email"
    Kind: str = ""
    Address: str = ""


@dataclass(frozen=True, slots=True)
class Person:
    """``type Person struct { Name Name; Email []Email }``"""

    __gob_name__: ClassVar[str] = "main.Person"
    Name: Name = field(default_factory=Name)
    Email: list[Email] = field(default_factory=list)


#: The book's sample value: Jan Newmarch with a home and a work address.
SAMPLE_PERSON = Person(
    Name("Newmarch", "Jan"),
    [Email("home", "jan@newmarch.name"), Email("work", "j.newmarch@boxhill.edu.au")],
)


@dataclass(frozen=True, slots=True)
class Point:
    """doc.go's ``type Point struct { X, Y int }``"""

    __gob_name__: ClassVar[str] = "main.Point"
    X: int = 0
    Y: int = 0


@dataclass(frozen=True, slots=True)
class T:
    """``type T struct { A int; B string }`` (worked example (b))."""

    __gob_name__: ClassVar[str] = "main.T"
    A: int = 0
    B: str = ""
