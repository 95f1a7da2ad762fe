"""How a generated secret of N random bytes is written, and made without its value ever
becoming a resource id.

pulumi-random's RandomBytes (like RandomId and RandomString) uses its value as the
resource's id, and an id is never encrypted: it sits in clear in the state, the console and
the `[id=...]` of a preview's diff. RandomPassword's id is the word "none". So a generated
secret is a RandomPassword drawing, uniformly, each character from the alphabet of the
encoding: hex (16 characters, 4 bits each) or base64 (64 characters, 6 bits each). The
characters carry at least the bytes' worth of randomness, and base64 gets its `=` padding
back, so every usual decoder reads the secret as N random bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from envkeeper.stack.catalog import Encoding


@dataclass(frozen=True)
class Alphabet:
    """RandomPassword's character classes for one encoding."""

    upper: bool
    lower: bool
    numeric: bool
    special: str  # RandomPassword's override_special: the rest of the alphabet


ALPHABETS = {
    Encoding.HEX: Alphabet(upper=False, lower=False, numeric=True, special="abcdef"),
    Encoding.BASE64: Alphabet(upper=True, lower=True, numeric=True, special="+/"),
}
BITS = {Encoding.HEX: 4, Encoding.BASE64: 6}


def characters(length: int, encoding: Encoding) -> tuple[int, str]:
    """How many random characters carry `length` bytes in `encoding`, and the padding that
    follows them (base64 writes 3 bytes as 4 characters, padded with `=`)."""
    count = -(-length * 8 // BITS[encoding])  # ceil: never fewer bits than the bytes
    if encoding is Encoding.HEX:
        return count, ""
    return count, "=" * (4 * -(-length // 3) - count)
