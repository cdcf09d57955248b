"""The Internet checksum (RFC 1071) and its incremental update (RFC 1624): properties,
a plain per-word implementation of RFC 1071 section 4.1, and scapy's checksum as an
independent comparison."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from reference_impls.icmp.checksum import (
    incremental_update,
    internet_checksum,
    ones_complement_sum,
    update_checksum,
    verifies,
)

words = st.integers(min_value=0, max_value=0xFFFF)


def per_word_sum(data: bytes) -> int:
    """RFC 1071 section 4.1's C routine, word by word, with the carries folded."""
    total = 0
    for i in range(0, len(data) - 1, 2):
        total += (data[i] << 8) | data[i + 1]
    if len(data) % 2:
        total += data[-1] << 8
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def swapped(data: bytes) -> bytes:
    out = bytearray(data)
    out[0::2], out[1::2] = data[1::2], data[0::2]
    return bytes(out)


@given(st.binary(max_size=2048))
@example(b"")
@example(b"\xff\xff")
@example(b"\x00" * 7)
def test_the_sum_is_rfc_1071s_per_word_sum(data: bytes) -> None:
    assert ones_complement_sum(data) == per_word_sum(data)


@given(st.binary(max_size=1500))
def test_a_message_with_its_checksum_verifies(payload: bytes) -> None:
    blank = b"\x08\x00\x00\x00" + payload
    checksum = internet_checksum(blank)
    assert verifies(blank[:2] + checksum.to_bytes(2, "big") + blank[4:])


@given(st.binary(max_size=1500), st.integers(min_value=0, max_value=7))
def test_a_changed_octet_does_not_verify(payload: bytes, bit: int) -> None:
    blank = b"\x08\x00\x00\x00\x12\x34\x00\x01" + payload
    message = bytearray(blank)
    message[2:4] = internet_checksum(blank).to_bytes(2, "big")
    message[5] ^= 1 << bit  # one bit of the identifier: the sum moves by a power of 2
    assert not verifies(bytes(message))


@given(st.binary(max_size=1024).filter(lambda d: len(d) % 2 == 0))
def test_byte_order_independence(data: bytes) -> None:
    """RFC 1071 section 2(B): summing byte-swapped words gives the byte-swapped sum."""
    total = ones_complement_sum(data)
    swapped_total = ((total & 0xFF) << 8) | (total >> 8)
    assert ones_complement_sum(swapped(data)) == swapped_total


@given(st.binary(max_size=1023).filter(lambda d: len(d) % 2 == 1))
def test_odd_length_pads_with_a_zero_octet(data: bytes) -> None:
    """RFC 1071: "If the total length is odd, the received data is padded with one
    octet of zeros for computing the checksum." """
    assert internet_checksum(data) == internet_checksum(data + b"\x00")
    assert internet_checksum(data) != internet_checksum(data + b"\x01")


@given(st.binary(min_size=2, max_size=512).filter(lambda d: len(d) % 2 == 0), st.data())
@example(b"\x00\x00\x08\x00", None)
def test_incremental_update_equals_recomputation(data: bytes, draw: st.DataObject | None) -> None:
    """RFC 1624 eqn. 3 on one word gives what computing the checksum afresh gives,
    except when every word becomes zero (see the next test)."""
    index, new = (
        (1, 0x0000)
        if draw is None
        else (draw.draw(st.integers(0, len(data) // 2 - 1)), draw.draw(words))
    )
    message = b"\x00\x00" + data  # the checksum field first, as in ICMP
    checksum = internet_checksum(message)
    at = 2 + 2 * index
    changed = message[:at] + new.to_bytes(2, "big") + message[at + 2 :]
    if not any(changed):
        return
    recomputed = internet_checksum(changed)
    old = int.from_bytes(message[at : at + 2], "big")
    assert incremental_update(checksum, old, new) == recomputed
    assert update_checksum(checksum, message[at : at + 2], changed[at : at + 2]) == recomputed
    both_words = slice(at - at % 4, at - at % 4 + 4) if at >= 4 else slice(at, at + 2)
    assert update_checksum(checksum, message[both_words], changed[both_words]) == recomputed


def test_incremental_update_cannot_see_all_zero_data() -> None:
    """The one case eqn. 3 cannot get right: an echo request with identifier,
    sequence number and data all zero turned into its reply is all zero octets, whose
    checksum is 0xFFFF (the sum is +0), but eqn. 3 gives 0x0000 (-0). Our responder
    recomputes."""
    request = bytes.fromhex("0800f7ff00000000")
    assert incremental_update(0xF7FF, 0x0800, 0x0000) == 0x0000
    assert internet_checksum(b"\x00" * 8) == 0xFFFF
    assert verifies(request)


def test_rfc_1624s_example() -> None:
    """RFC 1624 section 4: changing a word from 0x5555 to 0x3285 when the checksum is
    0xDD2F gives 0x0000 by eqn. 3 (where RFC 1141's equation gave 0xFFFF)."""
    assert incremental_update(0xDD2F, 0x5555, 0x3285) == 0x0000


def test_the_books_echo_request_checksum() -> None:
    """Newmarch's ping: 08 00 f7 cd 00 0d 00 25."""
    assert internet_checksum(bytes.fromhex("08000000000d0025")) == 0xF7CD
    assert verifies(bytes.fromhex("0800f7cd000d0025"))


def test_bad_words_are_refused() -> None:
    with pytest.raises(ValueError, match="16-bit"):
        incremental_update(0x10000, 0, 0)
    with pytest.raises(ValueError, match="even length"):
        update_checksum(0, b"\x00", b"\x01")


@pytest.fixture(scope="module")
def scapy_checksum() -> Callable[[bytes], int]:
    utils = pytest.importorskip("scapy.utils", reason="pip install scapy")
    return utils.checksum  # type: ignore[no-any-return]


@given(data=st.binary(max_size=4096))
def test_scapy_agrees(scapy_checksum: Callable[[bytes], int], data: bytes) -> None:
    # scapy's checksum() is RFC 1071's, complemented; it pads odd data as we do.
    assert internet_checksum(data) == scapy_checksum(data)


@pytest.mark.parametrize("size", [65535, 65536, 65537])
def test_64_kib_agrees_with_the_per_word_sum(size: int) -> None:
    data = random.Random(size).randbytes(size)
    assert ones_complement_sum(data) == per_word_sum(data)
