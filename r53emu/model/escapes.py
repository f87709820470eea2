"""Route 53's backslash escapes, shared by names and TXT strings.

Route 53 documents `\\ooo` as a three-digit *octal* byte value (DomainNameFormat, TXT record
format: `ä` is `\\344`); any other `\\X` stands for the character X itself.
"""

from __future__ import annotations


def unescape_at(data: bytes, i: int) -> tuple[int, int]:
    """Decode the escape whose backslash is at `data[i]`; return (byte value, index after it).

    Raises ValueError for a lone trailing backslash or an octal escape above 0o377.
    """
    octal = data[i + 1 : i + 4]
    if len(octal) == 3 and all(0x30 <= b <= 0x37 for b in octal):
        value = int(octal, 8)
        if value > 0xFF:
            raise ValueError(f"escape \\{octal.decode()} is not a byte (at most \\377)")
        return value, i + 4
    if i + 1 >= len(data):
        raise ValueError("ends with a lone backslash")
    return data[i + 1], i + 2
