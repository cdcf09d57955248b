"""The Internet checksum (RFC 1071) and its incremental update (RFC 1624), sans-IO.

RFC 1071: "Adjacent octets to be checksummed are paired to form 16-bit integers, and
the 1's complement sum of these 16-bit integers is formed." The sum is computed here
without a loop over words: a buffer read as one big-endian integer is
``sum(word_i * 2**(16*i))``, and since ``2**16 == 1 (mod 0xFFFF)`` that integer is
congruent, modulo 0xFFFF, to the plain sum of its words; the end-around carry of
one's complement addition is exactly arithmetic modulo 0xFFFF. Both steps run in C
(``int.from_bytes`` and a bignum remainder), so a 64 KiB buffer costs microseconds.
"""

from __future__ import annotations

__all__ = [
    "incremental_update",
    "internet_checksum",
    "ones_complement_sum",
    "update_checksum",
    "verifies",
]

Buffer = bytes | bytearray | memoryview

#: Below this many bits the remainder is cheaper than another fold.
_FOLD_DOWN_TO = 4096


def ones_complement_sum(data: Buffer, initial: int = 0) -> int:
    """The 16-bit one's complement sum of ``data`` (zero-padded to even length), folded.

    RFC 1071: "If the total length is odd, the received data is padded with one
    octet of zeros for computing the checksum." ``initial`` is a sum to continue
    (e.g. of a pseudo-header). The result is 0 only if every word is 0; otherwise it
    is in 1..0xFFFF (one's complement has two zeros, and a non-zero sum is never +0).
    """
    value = int.from_bytes(data, "big")
    bits = len(data) * 8
    if len(data) % 2:
        value <<= 8  # the pad octet of zeros
        bits += 8
    if not value and not initial:
        return 0
    # Adding the two halves of a number cut at a multiple of 16 bits keeps it the
    # same modulo 0xFFFF, and a shift and an add cost less than a long division.
    while bits > _FOLD_DOWN_TO:
        half = (bits // 2 + 15) // 16 * 16
        value = (value & ((1 << half) - 1)) + (value >> half)
        bits = half + 1
    folded = (value + initial) % 0xFFFF
    return folded or 0xFFFF


def internet_checksum(data: Buffer) -> int:
    """The checksum field's value: the one's complement of the one's complement sum.

    Compute it with the checksum field set to zero. RFC 792: "The checksum is the
    16-bit ones's complement of the one's complement sum of the ICMP message starting
    with the ICMP Type."
    """
    return ~ones_complement_sum(data) & 0xFFFF


def verifies(data: Buffer) -> bool:
    """Whether ``data``, checksum field included, checks: RFC 1071 "If the result is
    all 1 bits, the check succeeds." """
    return ones_complement_sum(data) == 0xFFFF


def incremental_update(checksum: int, old_word: int, new_word: int) -> int:
    """The checksum after one 16-bit word changes from ``old_word`` to ``new_word``.

    RFC 1624, eqn. 3: "HC' = ~(~HC + ~m + m')". Unlike RFC 1141's equation, this
    gives the same result as recomputing from scratch when the new sum is 0xFFFF
    (its section 3). One case is beyond any incremental update: data that becomes
    all zero, whose sum is +0 and checksum 0xFFFF, where eqn. 3 gives 0x0000; so
    the responder recomputes replies instead.
    """
    for name, value in (("checksum", checksum), ("old_word", old_word), ("new_word", new_word)):
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"{name} must be a 16-bit value, got {value!r}")
    total = (~checksum & 0xFFFF) + (~old_word & 0xFFFF) + new_word
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def update_checksum(checksum: int, old: Buffer, new: Buffer) -> int:
    """The checksum after the even-length, word-aligned field ``old`` becomes ``new``.

    RFC 1624 eqn. 3 applied to a whole field at once: the sum of its words is the
    word of a longer field, since one's complement addition is associative.
    """
    if len(old) != len(new) or len(old) % 2:
        raise ValueError("old and new must be the same even length (whole 16-bit words)")
    if not len(old):
        return checksum
    old_sum = ones_complement_sum(old)
    new_sum = ones_complement_sum(new)
    # A field of zeros sums to +0; in one's complement arithmetic that is the same
    # value as 0xFFFF (-0), which incremental_update's complement handles.
    return incremental_update(checksum, old_sum, new_sum)
