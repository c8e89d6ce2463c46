#!/usr/bin/python3
"""Independent verifier of a parley release bundle, version 2.

Written from doc/bundle.md alone (no C code of parley was read).  Section
numbers in the comments ("§4.1") are those of doc/bundle.md.

Usage:
    verify_bundle.py DIR --mediator-key FILE.pem
    verify_bundle.py DIR --mediator-key-hex HEX

Exit status: 0 and "valid: ..." for a valid bundle, 1 and
"invalid: FILE:LINE: reason" for an invalid one, 2 for bad usage (missing
DIR, unreadable key, key that is not Ed25519, ...).

Importable API:
    load_dir(path) -> dict[str, bytes]          (BundleError on non-regular)
    verify_files(files, mediator_key) -> str     (BundleError on failure)
    verify_file_list(list_of_pairs, mediator_key) -> str
                                                 (also refuses a name twice)

terms.txt is read in any content version (§4.4, §5.1): two lines
(version 1), six (version 2, with the zone, the signatories, checked
against the certificate's parties and copy lines, and the relations) or
eight (version 3: those six, then the languages and the authentic ones).
A bundle of content version 3 has no text.txt but one text-L.txt for each
language L (§4.3), and so its file set (§3) depends on terms.txt too.

A copy may carry a reservation (its `reservation:` line, the file
reservation-Ni.txt, §4.11) and a condition (its `subject-to:` line).  A
party may have a frame (its `frame:` line, the files frame-P.txt, §4.12,
and sheet-P.txt, §4.13).  A copy of a party with a frame is signed over the
signing payload of version 3 (§5.2); any other copy with a reservation or a
condition over version 2; any other copy over version 1.

Where the document is ambiguous the stricter reading is taken (but where
it would refuse a valid bundle);
each such place is marked "AMBIGUITY" below.
"""

import base64
import binascii
import functools
import hashlib
import os
import re
import stat
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


class BundleError(Exception):
    """The bundle is invalid: FILE:LINE: reason (§7).  LINE is 1-based, or
    0 when the failure concerns the whole file."""

    def __init__(self, file, line, reason):
        super().__init__(file, line, reason)
        self.file = file
        self.line = line
        self.reason = reason

    def __str__(self):
        return "%s:%d: %s" % (self.file, self.line, self.reason)


# ---------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------

MAX_U32 = 2 ** 32 - 1
MAX_U64 = 2 ** 64 - 1

MAX_FILE_BYTES = 8 * 1024 * 1024          # §8 (a verifier MAY refuse more)
MAX_FILES = 24 + 7 * 64                   # §8 (at most 7 fixed files and
#                                           16 texts, 5 per copy and 2 per
#                                           frame, at most one frame a copy)
MAX_CERT_BYTES = 1024 * 1024              # §4.1
MAX_TEXT_BYTES = 524288                   # §4.3
MAX_RESERVATION_BYTES = 65536             # §4.11
MAX_CONDITION_BYTES = 300                 # §4.1
MAX_LIST = 64                             # §4.1 parties, observers, copies
MAX_PROOF_HASHES = 64                     # §4.10
MIN_FRAME_BYTES, MAX_FRAME_BYTES = 9, 16384  # §4.12
MAX_LANGUAGES = 16                        # §4.4
CORE_MARK = b"{{core}}"                   # §4.12

def max_file_bytes(fname):
    """§8: the size above which a file is refused (no valid bundle has one:
    the texts are at most 512 KiB together, a frame 16 KiB)."""
    return MAX_FILE_BYTES


# AMBIGUITY (§4.1, §4.7, §4.8, §4.9, §4.4): several decimals have no stated
# upper bound (mandate id, SIZE, SEQ, INDEX, journal agreement, supersedes,
# agreements: scope ids, "for Ns").  Stricter reading: each MUST fit in a
# u64 (supersedes and the times are u64 in §5.3 anyway).
DEC_RE = re.compile(rb"0|[1-9][0-9]*")                  # §2 Decimal
HEX_RE = {n: re.compile(rb"[0-9a-f]{%d}" % n) for n in (64, 128)}  # §2 Hex
IDENT_RE = re.compile(rb"[a-z0-9][a-z0-9_-]{0,31}")      # §2 Codes
TIME_RE = re.compile(
    rb"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
KIND_RE = re.compile(rb"[a-z-]{1,32}")                   # §4.9
LANG_RE = re.compile(rb"[a-z][a-z0-9-]{1,7}")             # §4.4 language tag
OFFSET_RE = re.compile(rb"X|X[+-](?:[0-9]{1,6}[smhdw])+")  # §4.5
OFFSET_GROUP_RE = re.compile(rb"([0-9]{1,6})[smhdw]")
B64_RE = re.compile(rb"[A-Za-z0-9+/]*={0,2}")

EM_DASH = b"\xe2\x80\x94"                                # §4.8 U+2014

# §4.1: the copy lines of one party are in ascending byte order of role
# ("-", 0x2D, sorts before every identifier).  (An earlier draft of the
# document did not say; this switch is kept to show where the rule is.)
STRICT_ROLE_ORDER = True


# ---------------------------------------------------------------------------
# §2 Conventions: bytes, lines, fields, decimals, hex, times, codes
# ---------------------------------------------------------------------------

def line_of(data, pos):
    """1-based line number of byte offset pos."""
    return data.count(b"\n", 0, pos) + 1


def check_text(name, data):
    """§2 Bytes: well-formed UTF-8 (Python's strict decoder refuses
    overlongs, surrogates and code points above U+10FFFF), no NUL, no CR.

    AMBIGUITY (§2): "Text files" is not defined; every file of a bundle is
    text (even certificate.sig is hex and LF), so this is applied to all."""
    i = data.find(b"\x00")
    if i >= 0:
        raise BundleError(name, line_of(data, i), "NUL byte")
    i = data.find(b"\r")
    if i >= 0:
        raise BundleError(name, line_of(data, i), "carriage return")
    try:
        data.decode("utf-8", "strict")
    except UnicodeDecodeError as e:
        raise BundleError(name, line_of(data, e.start), "not well-formed UTF-8")


def split_lines(name, data):
    """§2 Lines: every line ends with one LF, nothing after the last LF.
    Returns the lines without their LF."""
    check_text(name, data)
    if data and not data.endswith(b"\n"):
        raise BundleError(name, line_of(data, len(data)),
                          "last line does not end with LF")
    if not data:
        return []
    lines = data[:-1].split(b"\n")
    for i, ln in enumerate(lines):          # §2 Line length
        if len(ln) > 4095:
            raise BundleError(name, i + 1, "line longer than 4095 bytes")
    return lines


def count_error_line(lines, want):
    """The line to blame when a file has not exactly `want` lines: the first
    extra line, or the first missing one."""
    return want + 1 if len(lines) > want else len(lines) + 1


def field(name, lines, n, key, allow_empty=False):
    """§2 Fields: line n (0-based) MUST be "KEY: VALUE" with a non-empty
    value, or "KEY:" when the value is empty (and allow_empty).  Returns the
    value."""
    if n >= len(lines):
        raise BundleError(name, n + 1 if lines else 0,
                          "missing line '%s:'" % key.decode())
    line = lines[n]
    if line == key + b":":
        if not allow_empty:
            raise BundleError(name, n + 1, "empty value of '%s'" % key.decode())
        return b""
    prefix = key + b": "
    if not line.startswith(prefix) or len(line) == len(prefix):
        raise BundleError(name, n + 1, "expected line '%s: ...'" % key.decode())
    return line[len(prefix):]


def fieldline(key, value):
    """Write a field line (§2 Fields)."""
    if value:
        return key + b": " + value + b"\n"
    return key + b":\n"


def parse_dec(name, lineno, v, lo=0, hi=MAX_U64, what="number"):
    """§2 Decimal: ASCII digits, no sign, no spaces, no leading zeros."""
    if len(v) > 20 or not DEC_RE.fullmatch(v):
        raise BundleError(name, lineno, "bad decimal %s" % what)
    x = int(v)
    if x < lo or x > hi:
        raise BundleError(name, lineno, "%s out of range" % what)
    return x


def parse_hex(name, lineno, v, digits, what="hex"):
    """§2 Hex: lower-case, exactly the length stated."""
    if not HEX_RE[digits].fullmatch(v):
        raise BundleError(name, lineno, "bad %s (%d lower-case hex digits)"
                          % (what, digits))
    return bytes.fromhex(v.decode("ascii"))


def is_ident(v):
    """§2 Codes: identifier of 1 to 32 bytes."""
    return IDENT_RE.fullmatch(v) is not None


def parse_ident(name, lineno, v, what="identifier"):
    if not is_ident(v):
        raise BundleError(name, lineno, "bad %s" % what)
    return v


def days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant)."""
    y -= m <= 2
    era = y // 400            # Python's // floors already
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return (y + (m <= 2), m, d)


def days_in_month(y, m):
    if m == 2:
        leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
        return 29 if leap else 28
    return 30 if m in (4, 6, 9, 11) else 31


def parse_time(name, lineno, v, what="time"):
    """§2 Times: YYYY-MM-DDTHH:MM:SSZ, a valid date and time of years
    0000-9999, no leap seconds.  Returns Unix seconds (may be negative)."""
    mt = TIME_RE.fullmatch(v)
    if not mt:
        raise BundleError(name, lineno, "bad %s" % what)
    y, mo, d, h, mi, s = (int(g) for g in mt.groups())
    if not (1 <= mo <= 12 and 1 <= d <= days_in_month(y, mo)
            and h <= 23 and mi <= 59 and s <= 59):
        raise BundleError(name, lineno, "bad %s (no such date or time)" % what)
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s


def format_time(t):
    """Inverse of parse_time."""
    days, secs = divmod(t, 86400)
    y, m, d = civil_from_days(days)
    return b"%04d-%02d-%02dT%02d:%02d:%02dZ" % (
        y, m, d, secs // 3600, secs // 60 % 60, secs % 60)


def has_control(v, allow_tab=False):
    """A control character in the byte sense of §4.1 and §4.5, the rule of
    titles, in-place-of names and measures (bundles made before §2's
    shown-as-is rule follow it): a byte below 0x20 (tab allowed where a
    rule allows it), or 0x7F."""
    for b in v:
        if (b < 0x20 and not (allow_tab and b == 0x09)) or b == 0x7F:
            return True
    return False


def not_shown(v):
    """§2: not shown as it is: a control character (U+0000..U+001F, U+007F,
    U+0080..U+009F) or a bidi control (U+202A..U+202E, U+2066..U+2069).
    v is well-formed UTF-8 (checked with its file)."""
    for ch in v.decode("utf-8", "replace"):
        cp = ord(ch)
        if is_unicode_control(cp) or is_bidi_control(cp):
            return True
    return False


def parse_shown_name(name, lineno, v, what):
    """A signer's name or office (§4.1): 1 to 100 bytes of UTF-8, no
    control character and no bidi control (§2), no space at either end."""
    if not (1 <= len(v) <= 100) or not_shown(v) \
            or v.startswith(b" ") or v.endswith(b" "):
        raise BundleError(name, lineno, "bad %s" % what)
    return v


def parse_name(name, lineno, v, what="in-place-of name"):
    """NAME of in-place-of (§4.1, also used for §4.7): 1 to 100 bytes of
    UTF-8, no control character, no space at either end."""
    if not (1 <= len(v) <= 100) or has_control(v) \
            or v.startswith(b" ") or v.endswith(b" "):
        raise BundleError(name, lineno, "bad %s" % what)
    return v


def is_unicode_control(cp):
    """A control character of Unicode (general category Cc): U+0000..U+001F,
    U+007F and the C1 controls U+0080..U+009F."""
    return cp < 0x20 or 0x7F <= cp <= 0x9F


def parse_condition(name, lineno, v):
    """CONDITION of subject-to (§4.1): 1 to 300 bytes of UTF-8, no control
    character (tab included) and no bidi control (§2), no space at either
    end."""
    # v is well-formed UTF-8: the whole certificate was checked (§2).
    if not (1 <= len(v) <= MAX_CONDITION_BYTES) or not_shown(v) \
            or v.startswith(b" ") or v.endswith(b" "):
        raise BundleError(name, lineno, "bad condition")
    return v

def u32(x):
    return struct.pack(">I", x)


def u64(x):
    """§2: u64 big-endian; a signed time is its two's complement."""
    return struct.pack(">Q", x & MAX_U64)


def lpfield(s):
    """§2 field(s) = u32(len(s)) || s."""
    return u32(len(s)) + s


def sha256(b):
    return hashlib.sha256(b).digest()


@functools.lru_cache(maxsize=1024)
def ed25519_verify(pub, sig, msg):
    """§2 Ed25519 (RFC 8032, pure).  OpenSSL refuses a non-canonical S.
    (Cached: the function is pure, and tamper.py calls it many times.)"""
    if len(pub) != 32 or len(sig) != 64:
        return False
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


def compare_spelling(name, data, again):
    """Exactly one spelling: the file MUST equal what is written again from
    the parsed values, byte for byte."""
    if data != again:
        i = 0
        n = min(len(data), len(again))
        while i < n and data[i] == again[i]:
            i += 1
        raise BundleError(name, line_of(data, i), "not the one spelling")


# ---------------------------------------------------------------------------
# §4.1 certificate.txt
# ---------------------------------------------------------------------------

CERT_MAGIC = b"parley release certificate v1"


class Copy:
    """One copy line of the certificate (§4.1)."""

    def __init__(self):
        self.party = b""
        self.role = None          # bytes, or None for "-"
        self.key = b""
        self.sig = b""
        self.signed_at = 0
        self.mandate = None       # int, or None
        self.signer = None        # bytes of signer:, or None
        self.signer_title = None  # bytes of signer-title:, or None
        self.in_place_of = None   # bytes, or None
        self.reservation = None   # SHA-256 of reservation-Ni.txt, or None
        self.reservation_line = 0
        self.condition = None     # bytes of subject-to:, or None
        self.framed = False       # its party has a frame: line
        self.line = 0             # 1-based line of the copy line

    @property
    def payload_version(self):
        """§4.1/§5.2: version 3 for a copy of a party with a frame: line;
        for any other, version 2 when it has a reservation: or a
        subject-to: line, version 1 when it has neither."""
        if self.framed:
            return 3
        return 2 if (self.reservation is not None
                     or self.condition is not None) else 1

    @property
    def name(self):
        """§3 copy name Ni: PARTY, or PARTY.ROLE."""
        n = self.party if self.role is None else self.party + b"." + self.role
        return n.decode("ascii")


class Certificate:
    pass


def parse_certificate(data):
    name = "certificate.txt"
    if len(data) > MAX_CERT_BYTES:
        raise BundleError(name, 0, "larger than 1 MiB")
    lines = split_lines(name, data)
    if not lines or lines[0] != CERT_MAGIC:
        raise BundleError(name, 1, "not '%s'" % CERT_MAGIC.decode())
    c = Certificate()
    c.agreement = parse_dec(name, 2, field(name, lines, 1, b"agreement"),
                            1, MAX_U64, "agreement")
    title = field(name, lines, 2, b"title")
    if not (1 <= len(title) <= 200) or has_control(title):
        raise BundleError(name, 3, "bad title")
    c.title = title
    c.revision = parse_dec(name, 4, field(name, lines, 3, b"revision"),
                           1, MAX_U32, "revision")
    c.content_hash = parse_hex(name, 5, field(name, lines, 4, b"content-sha256"),
                               64, "content-sha256")

    # parties: k >= 1 codes; observers: j >= 0 codes; each preceded by one
    # space; none twice; at most 64 of each.
    def code_list(n, key, min_count):
        v = field(name, lines, n, key, allow_empty=(min_count == 0))
        codes = v.split(b" ") if v else []
        if len(codes) < min_count or len(codes) > MAX_LIST:
            raise BundleError(name, n + 1, "bad number of %s" % key.decode())
        for x in codes:
            parse_ident(name, n + 1, x, "code in %s" % key.decode())
        if len(set(codes)) != len(codes):
            raise BundleError(name, n + 1, "a code twice in %s" % key.decode())
        return codes

    c.parties = code_list(5, b"parties", 1)
    c.observers = code_list(6, b"observers", 0)
    # AMBIGUITY (§4.1): "none twice in either list" -- stricter reading: no
    # code twice within a list, and no code in both lists.
    if set(c.parties) & set(c.observers):
        raise BundleError(name, 7, "a code is both party and observer")
    c.released_at = parse_time(name, 8, field(name, lines, 7, b"released-at"),
                               "released-at")
    c.effective_at = parse_time(name, 9, field(name, lines, 8, b"effective-at"),
                                "effective-at")

    n = 9
    # principal: PARTY KEY -- zero or more, parties of the parties: line,
    # at most once each, in the order of that line.
    c.principals = {}          # party -> key
    c.principal_order = []
    last = -1
    while n < len(lines) and lines[n].startswith(b"principal:"):
        v = field(name, lines, n, b"principal")
        parts = v.split(b" ")
        if len(parts) != 2 or parts[0] not in c.parties:
            raise BundleError(name, n + 1, "bad principal line")
        idx = c.parties.index(parts[0])
        if idx <= last:
            raise BundleError(name, n + 1,
                              "principal lines not in the order of parties, or twice")
        last = idx
        c.principals[parts[0]] = parse_hex(name, n + 1, parts[1], 64,
                                           "principal key")
        c.principal_order.append(parts[0])
        n += 1

    # frame: PARTY FRAME_HASH -- zero or more, after the principal lines,
    # parties of the parties: line, at most once each, in the order of that
    # line (§4.1).
    c.frames = {}              # party -> SHA-256 of frame-P.txt
    c.frame_lines = {}         # party -> 1-based line of its frame: line
    c.frame_order = []
    last = -1
    while n < len(lines) and lines[n].startswith(b"frame:"):
        v = field(name, lines, n, b"frame")
        parts = v.split(b" ")
        if len(parts) != 2:
            raise BundleError(name, n + 1, "bad frame line")
        if parts[0] not in c.parties:
            raise BundleError(name, n + 1, "frame line of a party not in parties")
        idx = c.parties.index(parts[0])
        if idx <= last:
            raise BundleError(name, n + 1,
                              "frame lines not in the order of parties, or twice")
        last = idx
        c.frames[parts[0]] = parse_hex(name, n + 1, parts[1], 64, "frame hash")
        c.frame_lines[parts[0]] = n + 1
        c.frame_order.append(parts[0])
        n += 1

    # copy: PARTY ROLE KEY SIGNATURE SIGNED_AT [mandate MANDATE]
    # in-place-of: NAME -- optional, right after a copy line with a mandate.
    c.copies = []
    seen = set()
    last_party = -1
    last_role = None
    while n < len(lines) and lines[n].startswith(b"copy:"):
        v = field(name, lines, n, b"copy")
        parts = v.split(b" ")
        if len(parts) not in (5, 7):
            raise BundleError(name, n + 1, "bad copy line")
        cp = Copy()
        cp.line = n + 1
        if parts[0] not in c.parties:
            raise BundleError(name, n + 1, "copy of a party not in parties")
        cp.party = parts[0]
        cp.framed = cp.party in c.frames
        if parts[1] != b"-":
            cp.role = parse_ident(name, n + 1, parts[1], "role")
        cp.key = parse_hex(name, n + 1, parts[2], 64, "signer key")
        cp.sig = parse_hex(name, n + 1, parts[3], 128, "signature")
        cp.signed_at = parse_time(name, n + 1, parts[4], "signing time")
        if len(parts) == 7:
            if parts[5] != b"mandate":
                raise BundleError(name, n + 1, "bad copy line (expected 'mandate')")
            cp.mandate = parse_dec(name, n + 1, parts[6], 1, MAX_U64, "mandate id")
        # Copy lines follow the order of the parties: line; a party and role
        # never twice.
        idx = c.parties.index(cp.party)
        if idx < last_party:
            raise BundleError(name, n + 1, "copy lines not in the order of parties")
        if (cp.party, cp.role) in seen:
            raise BundleError(name, n + 1, "party and role twice")
        # §4.1: the copy lines of one party in ascending byte order of
        # role, "-" (no role) first.
        if STRICT_ROLE_ORDER and idx == last_party:
            a = b"-" if last_role is None else last_role
            b = b"-" if cp.role is None else cp.role
            if not a < b:
                raise BundleError(name, n + 1,
                                  "copy lines of a party not in ascending role order")
        last_party, last_role = idx, cp.role
        seen.add((cp.party, cp.role))
        n += 1
        # §4.1: after its copy line, in this order and each at most once:
        # signer:, signer-title:, in-place-of:, reservation:, subject-to:.
        order = (b"signer", b"signer-title", b"in-place-of", b"reservation",
                 b"subject-to")
        at = 0
        while n < len(lines) and any(lines[n].startswith(k + b":") for k in order):
            key = next(k for k in order if lines[n].startswith(k + b":"))
            if order.index(key) < at:
                raise BundleError(name, n + 1, "'%s' out of its place (a copy's lines "
                                  "are copy, signer, signer-title, in-place-of, "
                                  "reservation, subject-to, each at most once)"
                                  % key.decode())
            at = order.index(key) + 1
            v = field(name, lines, n, key)
            if key == b"signer":
                cp.signer = parse_shown_name(name, n + 1, v, "signer name")
            elif key == b"signer-title":
                if cp.signer is None:
                    raise BundleError(name, n + 1, "signer-title without signer")
                cp.signer_title = parse_shown_name(name, n + 1, v, "signer title")
            elif key == b"in-place-of":
                if cp.mandate is None:
                    raise BundleError(name, n + 1,
                                      "in-place-of after a copy without a mandate")
                cp.in_place_of = parse_name(name, n + 1, v)
            elif key == b"reservation":
                cp.reservation = parse_hex(name, n + 1, v, 64, "reservation hash")
                cp.reservation_line = n + 1
            else:
                cp.condition = parse_condition(name, n + 1, v)
            n += 1
        c.copies.append(cp)
        if len(c.copies) > MAX_LIST:
            raise BundleError(name, cp.line, "more than 64 copy lines")
    if not c.copies:
        raise BundleError(name, n + 1 if n < len(lines) else 0,
                          "expected a copy line")
    if n < len(lines):
        raise BundleError(name, n + 1, "unexpected line")
    for p in c.parties:
        if not any(cp.party == p for cp in c.copies):
            raise BundleError(name, 6, "party %s has no copy line" % p.decode())

    compare_spelling(name, data, write_certificate(c))
    return c


def write_certificate(c):
    out = [CERT_MAGIC + b"\n",
           fieldline(b"agreement", b"%d" % c.agreement),
           fieldline(b"title", c.title),
           fieldline(b"revision", b"%d" % c.revision),
           fieldline(b"content-sha256", c.content_hash.hex().encode()),
           fieldline(b"parties", b" ".join(c.parties)),
           fieldline(b"observers", b" ".join(c.observers)),
           fieldline(b"released-at", format_time(c.released_at)),
           fieldline(b"effective-at", format_time(c.effective_at))]
    for p in c.principal_order:
        out.append(fieldline(b"principal", p + b" " + c.principals[p].hex().encode()))
    for p in c.frame_order:
        out.append(fieldline(b"frame", p + b" " + c.frames[p].hex().encode()))
    for cp in c.copies:
        v = b" ".join([cp.party, b"-" if cp.role is None else cp.role,
                       cp.key.hex().encode(), cp.sig.hex().encode(),
                       format_time(cp.signed_at)])
        if cp.mandate is not None:
            v += b" mandate %d" % cp.mandate
        out.append(fieldline(b"copy", v))
        if cp.signer is not None:
            out.append(fieldline(b"signer", cp.signer))
        if cp.signer_title is not None:
            out.append(fieldline(b"signer-title", cp.signer_title))
        if cp.in_place_of is not None:
            out.append(fieldline(b"in-place-of", cp.in_place_of))
        if cp.reservation is not None:
            out.append(fieldline(b"reservation", cp.reservation.hex().encode()))
        if cp.condition is not None:
            out.append(fieldline(b"subject-to", cp.condition))
    return b"".join(out)


# ---------------------------------------------------------------------------
# §4.2 certificate.sig
# ---------------------------------------------------------------------------

def parse_sig_file(data):
    name = "certificate.sig"
    check_text(name, data)
    if len(data) != 129 or not data.endswith(b"\n"):
        raise BundleError(name, 0 if len(data) != 129 else 1,
                          "not 128 hex digits and LF")
    return parse_hex(name, 1, data[:128], 128, "signature")


# ---------------------------------------------------------------------------
# §4.3 text.txt, §4.4 terms.txt, §4.5 calendar.txt
# ---------------------------------------------------------------------------

def check_text_file(data, name="text.txt"):
    """§4.3: text.txt, or a text-L.txt "under the same rules": UTF-8, no
    NUL, no CR, 1 to 524288 bytes; any other byte.

    AMBIGUITY (§2/§4.3): text.txt is free text, not a "file of lines": it
    need not end with LF and may hold empty lines.  §2's list of the free
    text files (text.txt and reservation-Ni.txt) does not name text-L.txt;
    4.3 puts it "under the same rules" as text.txt, so it is free text too."""
    if not (1 <= len(data) <= MAX_TEXT_BYTES):
        raise BundleError(name, 0, "size not 1 to 524288 bytes")
    check_text(name, data)


class Terms:
    """The values of terms.txt (§4.4).  version is the content version
    (§5.1): 1 for two lines, 2 for six, 3 for eight.  zone, signatories,
    extends and reaffirms are the raw values (bytes, b"" when empty), None
    in version 1; languages and authentic (bytes) and their tags (lists of
    bytes) are None but in version 3; eff_time is None for on-release, else
    the Unix time."""

    def __init__(self):
        self.version = 1
        self.effective = b""
        self.validity = b""
        self.eff_time = None
        self.zone = None
        self.signatories = None
        self.extends = None
        self.reaffirms = None
        self.required = None      # version 2: [(party, [roles] or None)]
        self.languages = None     # version 3: LANGUAGES, as written
        self.authentic = None     # version 3: AUTHENTIC, as written
        self.language_tags = None  # version 3: [tag], in their order
        self.authentic_tags = None  # version 3: [tag], in their order

    def text_names(self):
        """§3: the names of the texts: text.txt, or in version 3 the
        text-L.txt of each language L, in the order of LANGUAGES."""
        if self.version < 3:
            return ["text.txt"]
        return ["text-%s.txt" % l.decode("ascii") for l in self.language_tags]

    def v2_fields(self):
        if self.version == 1:
            return None
        return (self.zone, self.signatories, self.extends, self.reaffirms)


TERMS_KEYS = (b"effective", b"validity", b"zone", b"signatories", b"extends",
              b"reaffirms", b"languages", b"authentic")
TERMS_LINES = {2: 1, 6: 2, 8: 3}          # number of lines -> content version
ZONE_RE = re.compile(rb"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*")  # §4.4 ZONE
MAX_SIGNATORIES = 4000                                   # §4.4


def parse_terms(data, c=None):
    """§4.4: two field lines (content version 1), six (version 2) or eight
    (version 3).  Returns a Terms.  For versions 2 and 3 the signatories
    are checked against the certificate c (its parties: line and copy
    lines) and the relations against its agreement; c None skips those
    checks (parsing alone).

    AMBIGUITY (§7 step 4): "for version 2 the signatories against the
    certificate's parties and copy lines" was not extended to version 3;
    4.4 gives version 3 "exactly those six" lines, whose rules are the
    rules of SIGNATORIES whatever the version, so version 3 is checked too."""
    name = "terms.txt"
    lines = split_lines(name, data)
    if len(lines) not in TERMS_LINES:
        if len(lines) > 8:
            bad = 9
        else:
            bad = len(lines) + 1       # a line of the next version missing
        raise BundleError(name, bad, "not exactly two lines (version 1), "
                          "six lines (version 2) or eight lines (version 3)")
    t = Terms()
    t.version = TERMS_LINES[len(lines)]
    eff = field(name, lines, 0, b"effective")
    if eff == b"on-release":
        t.eff_time = None
    else:
        t.eff_time = parse_time(name, 1, eff, "effective time")
    val = field(name, lines, 1, b"validity", allow_empty=True)
    if val:
        if val.startswith(b"for ") and val.endswith(b"s"):
            parse_dec(name, 2, val[4:-1], 1, MAX_U64, "validity seconds")
        elif val.startswith(b"until "):
            parse_time(name, 2, val[6:], "validity end")
        else:
            raise BundleError(name, 2, "bad validity")
    t.effective, t.validity = eff, val
    values = [eff, val]
    if t.version >= 2:
        # ZONE: empty, or 1 to 63 bytes, parts of ASCII letters, digits,
        # _ + - separated by single "/" (no "/" at either end, no "//", no
        # ".").
        zone = field(name, lines, 2, b"zone", allow_empty=True)
        if zone and (len(zone) > 63 or not ZONE_RE.fullmatch(zone)):
            raise BundleError(name, 3, "bad zone")
        t.zone = zone
        # SIGNATORIES (the certificate is checked below).
        sigs = field(name, lines, 3, b"signatories", allow_empty=True)
        if len(sigs) > MAX_SIGNATORIES:
            raise BundleError(name, 4, "signatories longer than %d bytes"
                              % MAX_SIGNATORIES)
        t.signatories = sigs
        t.required = parse_signatories(name, 4, sigs)
        # EXTENDS, REAFFIRMS: empty or a decimal 1..2^64-1.
        rel = []
        for n, key in ((4, b"extends"), (5, b"reaffirms")):
            v = field(name, lines, n, key, allow_empty=True)
            if v:
                x = parse_dec(name, n + 1, v, 1, MAX_U64, key.decode())
                if c is not None and x == c.agreement:
                    raise BundleError(name, n + 1, "%s names the certificate's "
                                      "own agreement" % key.decode())
            rel.append(v)
        t.extends, t.reaffirms = rel
        values += [zone, sigs, t.extends, t.reaffirms]
    if t.version == 3:
        t.languages = field(name, lines, 6, b"languages")
        t.language_tags = parse_languages(name, 7, t.languages)
        t.authentic = field(name, lines, 7, b"authentic")
        t.authentic_tags = parse_authentic(name, 8, t.authentic,
                                           t.language_tags)
        values += [t.languages, t.authentic]
    again = b"".join(fieldline(k, v) for k, v in zip(TERMS_KEYS, values))
    compare_spelling(name, data, again)
    if t.version >= 2 and c is not None:
        check_signatories(c, t.required)
    return t


def parse_languages(name, lineno, v):
    """§4.4 LANGUAGES: 1 to 16 language tags (2 to 8 bytes, the first
    a-z, the others a-z, 0-9 or -), in ascending byte order, distinct,
    separated by one space.  Returns the tags.

    AMBIGUITY (§4.4): the grammar of a tag allows a "-" at its end or two
    in a row ("en-", "sr--x"), which no language tag of BCP 47 has; the
    grammar is taken as written (they are valid)."""
    tags = v.split(b" ")
    for tag in tags:
        if not LANG_RE.fullmatch(tag):
            raise BundleError(name, lineno, "bad language tag")
    if len(tags) > MAX_LANGUAGES:
        raise BundleError(name, lineno, "more than %d languages" % MAX_LANGUAGES)
    for i in range(len(tags) - 1):
        if tags[i] == tags[i + 1]:
            raise BundleError(name, lineno, "a language twice")
        if not tags[i] < tags[i + 1]:
            raise BundleError(name, lineno,
                              "languages not in ascending byte order")
    return tags


def parse_authentic(name, lineno, v, languages):
    """§4.4 AUTHENTIC: one or more of the languages, in the same order and
    spelling, each at most once (separated by one space, as LANGUAGES:
    AMBIGUITY, the separator is not restated for AUTHENTIC).  Returns the
    tags."""
    tags = v.split(b" ")
    last = -1
    for tag in tags:
        if not LANG_RE.fullmatch(tag):
            raise BundleError(name, lineno, "bad language tag in authentic")
        if tag not in languages:
            raise BundleError(name, lineno, "authentic language %s is not one "
                              "of the languages" % tag.decode())
        idx = languages.index(tag)
        if idx == last:
            raise BundleError(name, lineno, "an authentic language twice")
        if idx < last:
            raise BundleError(name, lineno, "authentic languages not in the "
                              "order of the languages")
        last = idx
    return tags


def parse_signatories(name, lineno, v):
    """§4.4 SIGNATORIES: party codes separated by one space, each followed,
    when roles are required of it, by "=" and its roles (identifiers, in
    ascending byte order, distinct) joined by "+".  Returns
    [(party, [roles] or None)]."""
    out = []
    for item in v.split(b" ") if v else []:
        party, eq, roles = item.partition(b"=")
        parse_ident(name, lineno, party, "party in signatories")
        if not eq:
            out.append((party, None))
            continue
        rs = roles.split(b"+")
        for r in rs:
            parse_ident(name, lineno, r, "role of %s in signatories"
                        % party.decode())
        if any(not rs[i] < rs[i + 1] for i in range(len(rs) - 1)):
            raise BundleError(name, lineno, "roles of %s in signatories not "
                              "distinct and in ascending order" % party.decode())
        out.append((party, rs))
    return out


def check_signatories(c, required):
    """§4.4: SIGNATORIES names every party of the certificate's parties:
    line, in that order; the certificate's copy lines are exactly the
    signatures it requires: for a party with roles one copy line for each
    role and no other, for a party without exactly one copy line."""
    name = "terms.txt"
    if [p for p, _ in required] != c.parties:
        raise BundleError(name, 4, "signatories do not name the certificate's "
                          "parties in their order")
    for party, roles in required:
        copies = [cp for cp in c.copies if cp.party == party]
        if roles is None:
            # Exactly one copy line, with or without a role (§4.4: its role,
            # if any, is the capacity its signer signed in).
            if len(copies) > 1:
                raise BundleError("certificate.txt", copies[1].line,
                                  "a second copy line of %s, whose "
                                  "signatories term requires one"
                                  % party.decode())
            continue
        for cp in copies:
            if cp.role not in roles:
                raise BundleError("certificate.txt", cp.line,
                                  "a copy line of %s %s, which the "
                                  "signatories term does not require"
                                  % (party.decode(), "without a role"
                                     if cp.role is None else
                                     "in role " + cp.role.decode()))
        have = set(cp.role for cp in copies)
        for r in roles:
            if r not in have:
                raise BundleError(name, 4, "no copy line of %s in role %s, "
                                  "which the signatories term requires"
                                  % (party.decode(), r.decode()))


def parse_calendar(data, parties):
    """§4.5: empty, or lines OFFSET | PARTY | DESCRIPTION | CONFIRM."""
    name = "calendar.txt"
    lines = split_lines(name, data)
    out = []
    for i, line in enumerate(lines):
        ln = i + 1
        parts = line.split(b"|")
        if len(parts) != 4:
            raise BundleError(name, ln, "not four fields separated by ' | '")
        if not (parts[0].endswith(b" ") and parts[1].startswith(b" ")
                and parts[1].endswith(b" ") and parts[2].startswith(b" ")
                and parts[2].endswith(b" ") and parts[3].startswith(b" ")):
            raise BundleError(name, ln, "fields not separated by ' | '")
        offset, party = parts[0][:-1], parts[1][1:-1]
        desc, confirm = parts[2][1:-1], parts[3][1:]
        # OFFSET
        if len(offset) > 31 or not OFFSET_RE.fullmatch(offset):
            raise BundleError(name, ln, "bad offset")
        for g in OFFSET_GROUP_RE.finditer(offset):
            if int(g.group(1)) > 100000:
                raise BundleError(name, ln, "offset group above 100000")
        # PARTY
        if party not in (b"all", b"mediator") and party not in parties:
            raise BundleError(name, ln, "bad party")
        # DESCRIPTION: 1-300 bytes, no |, no control but tab, no space or tab
        # at either end.
        if not (1 <= len(desc) <= 300) or has_control(desc, allow_tab=True) \
                or desc[:1] in (b" ", b"\t") or desc[-1:] in (b" ", b"\t"):
            raise BundleError(name, ln, "bad description")
        # CONFIRM
        if confirm not in (b"confirm", b"-"):
            raise BundleError(name, ln, "bad confirm field")
        if party == b"mediator" and confirm == b"confirm":
            raise BundleError(name, ln, "a mediator measure is never 'confirm'")
        out.append((offset, party, desc, confirm))
    again = b"".join(b" | ".join(t) + b"\n" for t in out)
    compare_spelling(name, data, again)
    return out


# ---------------------------------------------------------------------------
# §5 Hashes and signed layouts
# ---------------------------------------------------------------------------

def content_hash(text, effective, validity, calendar, v2=None, v3=None):
    """§5.1.  v2 None: content version 1.  Otherwise the version 2 values
    (ZONE, SIGNATORIES, EXTENDS, REAFFIRMS), each bytes (b"" when empty).
    v3 not None: content version 3, with v3 = (LANGUAGES, AUTHENTIC, [the
    bytes of text-L.txt for each L of LANGUAGES, in its order]); text is
    then unused."""
    if v2 is None:
        return sha256(b"parley-content-v1\x00" + lpfield(text)
                      + lpfield(effective) + lpfield(validity)
                      + lpfield(calendar))
    zone, signatories, extends, reaffirms = v2
    tail = (lpfield(effective) + lpfield(validity) + lpfield(calendar)
            + lpfield(zone) + lpfield(signatories) + lpfield(extends)
            + lpfield(reaffirms))
    if v3 is None:
        return sha256(b"parley-content-v2\x00" + lpfield(text) + tail)
    languages, authentic, texts = v3
    return sha256(b"parley-content-v3\x00" + lpfield(languages)
                  + lpfield(authentic) + b"".join(lpfield(t) for t in texts)
                  + tail)


def signing_payload(agreement, revision, chash, party, role, version=1,
                    reservation=None, condition=None, frame=None):
    """§5.2: version 1; version 2 with the reservation's bytes and the
    condition (each empty when none); version 3 with those and then the
    bytes of the party's frame-P.txt."""
    head = (lpfield(b"%d" % agreement) + u32(revision) + chash + lpfield(party)
            + lpfield(role or b""))
    if version == 1:
        return b"parley-sign-v1\x00" + head
    notes = lpfield(reservation or b"") + lpfield(condition or b"")
    if version == 2:
        return b"parley-sign-v2\x00" + head + notes
    return b"parley-sign-v3\x00" + head + notes + lpfield(frame or b"")


def mandate_payload(m):
    """§5.3"""
    return (b"parley-mandate-v1\x00" + lpfield(m.party) + m.signer_key
            + u32(len(m.roles)) + b"".join(lpfield(r) for r in m.roles)
            + lpfield(m.scope)
            + u64(m.valid_from)
            + u64(0 if m.valid_until is None else m.valid_until)
            + u64(m.issued_at) + u64(m.supersedes)
            + lpfield(m.in_place_of or b""))


# ---------------------------------------------------------------------------
# §4.6 copy-Ni.txt
# ---------------------------------------------------------------------------

def copy_sheet(c, cp):
    out = [fieldline(b"party", cp.party),
           fieldline(b"role", cp.role or b""),
           fieldline(b"revision", b"%d" % c.revision),
           fieldline(b"content-sha256", c.content_hash.hex().encode()),
           fieldline(b"signer-key", cp.key.hex().encode()),
           fieldline(b"signature", cp.sig.hex().encode()),
           fieldline(b"signed-at", format_time(cp.signed_at))]
    if cp.mandate is not None:
        out.append(fieldline(b"mandate", b"%d" % cp.mandate))
    if cp.signer is not None:
        out.append(fieldline(b"signer", cp.signer))
    if cp.signer_title is not None:
        out.append(fieldline(b"signer-title", cp.signer_title))
    if cp.in_place_of is not None:
        out.append(fieldline(b"in-place-of", cp.in_place_of))
    if cp.reservation is not None:
        out.append(fieldline(b"reservation-sha256", cp.reservation.hex().encode()))
    if cp.condition is not None:
        out.append(fieldline(b"subject-to", cp.condition))
    return b"".join(out)


# ---------------------------------------------------------------------------
# §4.11 reservation-Ni.txt
# ---------------------------------------------------------------------------

def is_bidi_control(cp):
    """§4.11: the bidi embeddings, overrides and isolates, U+202A..U+202E
    and U+2066..U+2069."""
    return 0x202A <= cp <= 0x202E or 0x2066 <= cp <= 0x2069


def check_shown_free_text(name, data):
    """§2 and §4.11/§4.12: free text that is shown as it is: UTF-8, no
    NUL, no CR; no control character but tab and LF; no bidi control."""
    check_text(name, data)          # UTF-8, no NUL, no CR
    text = data.decode("utf-8")
    lineno = 1
    for ch in text:
        o = ord(ch)
        if ch == "\n":
            lineno += 1
        elif ch == "\t":
            pass
        elif is_unicode_control(o):
            raise BundleError(name, lineno, "control character U+%04X" % o)
        elif is_bidi_control(o):
            raise BundleError(name, lineno, "bidi embedding, override or "
                              "isolate U+%04X" % o)


def check_reservation(cp, name, data):
    """§4.11: the reservation of copy cp, as signed: UTF-8, no NUL, no CR,
    1 to 65536 bytes; no control character but tab and LF; no bidi
    embedding, override or isolate; its SHA-256 is the certificate's
    reservation: value.  Returns the bytes (they enter the payload, §5.2).

    AMBIGUITY (§2/§4.11): §2 says every file but text.txt is read as
    lines (every line ends with LF, no empty line where the grammar shows
    none, at most 4095 bytes).  4.11 describes the reservation as free text
    like text.txt (4.3: "line endings are LF", 1 byte allowed), and a text
    of several paragraphs needs empty lines; so it is read as free text:
    it need not end with LF and its lines are not limited.

    AMBIGUITY (§4.11): "control character" is not defined for the
    reservation by bytes as it is for the title (§4.1); 4.11 speaks of
    characters (U+202A...) and of what a screen shows, so the Unicode
    control characters (general category Cc) are meant: U+0000..U+001F
    but tab and LF, U+007F, and the C1 controls U+0080..U+009F."""
    if not (1 <= len(data) <= MAX_RESERVATION_BYTES):
        raise BundleError(name, 0, "size not 1 to %d bytes"
                          % MAX_RESERVATION_BYTES)
    check_shown_free_text(name, data)
    if sha256(data) != cp.reservation:
        raise BundleError(name, 0, "SHA-256 is not the reservation: value "
                          "of certificate.txt line %d" % cp.reservation_line)
    return data


# ---------------------------------------------------------------------------
# §4.12 frame-P.txt, §4.13 sheet-P.txt
# ---------------------------------------------------------------------------

def check_frame(c, party, data):
    """§4.12: the frame of party P: UTF-8, no NUL, no CR, 9 to 16384
    bytes, no control character but tab and LF, no bidi control; free
    text, not read as lines; {{core}} exactly once, alone on its line (LF
    or the file's beginning before it, LF or the file's end after it); its
    SHA-256 is the hash of P's frame: line.  Returns (head, tail).

    AMBIGUITY (§2/§4.12): §2's list of free text files was not extended;
    4.12 says the frame "is free text, not read as lines", which is what is
    done (no final LF needed, no limit on a line's length)."""
    name = "frame-%s.txt" % party.decode("ascii")
    if not (MIN_FRAME_BYTES <= len(data) <= MAX_FRAME_BYTES):
        raise BundleError(name, 0, "size not %d to %d bytes"
                          % (MIN_FRAME_BYTES, MAX_FRAME_BYTES))
    check_shown_free_text(name, data)
    at = data.find(CORE_MARK)
    if at < 0:
        raise BundleError(name, 0, "no '{{core}}'")
    again = data.find(CORE_MARK, at + 1)
    if again >= 0:
        raise BundleError(name, line_of(data, again), "'{{core}}' twice")
    end = at + len(CORE_MARK)
    if (at > 0 and data[at - 1:at] != b"\n") \
            or (end < len(data) and data[end:end + 1] != b"\n"):
        raise BundleError(name, line_of(data, at),
                          "'{{core}}' not alone on its line")
    if sha256(data) != c.frames[party]:
        raise BundleError(name, 0, "SHA-256 is not the frame: value of "
                          "certificate.txt line %d" % c.frame_lines[party])
    return data[:at], data[end:]


def sheet_core(files, terms):
    """§4.13 the core: text.txt in content versions 1 and 2; in version 3,
    for each language L in the order of LANGUAGES, "--- L ---" (or "--- L
    (authentic) ---") and LF, the bytes of text-L.txt, an LF when those do
    not end with one, and one empty line between two languages."""
    if terms.version < 3:
        return files["text.txt"]
    parts = []
    for tag, tname in zip(terms.language_tags, terms.text_names()):
        text = files[tname]
        head = b"--- " + tag + (b" (authentic)" if tag in terms.authentic_tags
                                else b"") + b" ---\n"
        parts.append(head + text + (b"" if text.endswith(b"\n") else b"\n"))
    return b"\n".join(parts)


def check_sheet(party, data, head, tail, core):
    """§4.13: sheet-P.txt is the frame with its {{core}} replaced by the
    core, byte for byte.

    AMBIGUITY (§2/§4.13): a sheet holds the text, which may have lines of
    more than 4095 bytes and need not end with LF; it is compared as bytes,
    never read as lines."""
    name = "sheet-%s.txt" % party.decode("ascii")
    want = head + core + tail
    if data != want:
        i = 0
        n = min(len(data), len(want))
        while i < n and data[i] == want[i]:
            i += 1
        raise BundleError(name, line_of(data, i), "not frame-%s.txt with its "
                          "{{core}} replaced by the text"
                          % party.decode("ascii"))


# ---------------------------------------------------------------------------
# §4.7 mandate-Ni.txt
# ---------------------------------------------------------------------------

MANDATE_MAGIC = b"parley mandate v1"


class Mandate:
    pass


def parse_mandate(name, data):
    lines = split_lines(name, data)
    if not lines or lines[0] != MANDATE_MAGIC:
        raise BundleError(name, 1, "not '%s'" % MANDATE_MAGIC.decode())
    if len(lines) != 13:
        raise BundleError(name, count_error_line(lines, 13),
                          "not exactly 13 lines")
    m = Mandate()
    m.id = parse_dec(name, 2, field(name, lines, 1, b"id"), 1, MAX_U64, "id")
    m.party = parse_ident(name, 3, field(name, lines, 2, b"party"), "party")
    m.signer_key = parse_hex(name, 4, field(name, lines, 3, b"signer-key"),
                             64, "signer key")
    roles = field(name, lines, 4, b"roles").split(b" ")
    if not (1 <= len(roles) <= 8):
        raise BundleError(name, 5, "not 1 to 8 roles")
    for r in roles:
        parse_ident(name, 5, r, "role")
    if any(not roles[i] < roles[i + 1] for i in range(len(roles) - 1)):
        raise BundleError(name, 5, "roles not distinct and in ascending order")
    m.roles = roles
    scope = field(name, lines, 5, b"scope")
    if len(scope) > 300:                    # §4.7
        raise BundleError(name, 6, "scope longer than 300 bytes")
    m.scope_agreements = None
    if scope == b"any":
        pass
    elif scope.startswith(b"agreements:"):
        ids = [parse_dec(name, 6, x, 1, MAX_U64, "agreement in scope")
               for x in scope[len(b"agreements:"):].split(b",")]
        if any(not ids[i] < ids[i + 1] for i in range(len(ids) - 1)):
            raise BundleError(name, 6, "scope agreements not distinct and ascending")
        m.scope_agreements = ids
    elif scope.startswith(b"label:"):
        parse_ident(name, 6, scope[len(b"label:"):], "scope label")
    else:
        raise BundleError(name, 6, "bad scope")
    m.scope = scope
    m.valid_from = parse_time(name, 7, field(name, lines, 6, b"valid-from"),
                              "valid-from")
    vu = field(name, lines, 7, b"valid-until")
    m.valid_until = None if vu == b"-" else parse_time(name, 8, vu, "valid-until")
    # §4.7: valid-until is "-" or a time after 1970-01-01T00:00:00Z (the
    # payload writes u64(0) for "-", so Unix time 0 would not be bound by
    # the principal's signature; a time before it is refused as well).
    if m.valid_until is not None and m.valid_until <= 0:
        raise BundleError(name, 8, "valid-until is not after "
                          "1970-01-01T00:00:00Z")
    m.issued_at = parse_time(name, 9, field(name, lines, 8, b"issued-at"),
                             "issued-at")
    m.supersedes = parse_dec(name, 10, field(name, lines, 9, b"supersedes"),
                             0, MAX_U64, "supersedes")
    ipo = field(name, lines, 10, b"in-place-of", allow_empty=True)
    m.in_place_of = parse_name(name, 11, ipo) if ipo else None
    m.principal_key = parse_hex(name, 12, field(name, lines, 11, b"principal-key"),
                                64, "principal key")
    m.signature = parse_hex(name, 13, field(name, lines, 12, b"signature"),
                            128, "signature")
    compare_spelling(name, data, write_mandate(m))
    return m


def write_mandate(m):
    return b"".join([
        MANDATE_MAGIC + b"\n",
        fieldline(b"id", b"%d" % m.id),
        fieldline(b"party", m.party),
        fieldline(b"signer-key", m.signer_key.hex().encode()),
        fieldline(b"roles", b" ".join(m.roles)),
        fieldline(b"scope", m.scope),
        fieldline(b"valid-from", format_time(m.valid_from)),
        fieldline(b"valid-until", b"-" if m.valid_until is None
                  else format_time(m.valid_until)),
        fieldline(b"issued-at", format_time(m.issued_at)),
        fieldline(b"supersedes", b"%d" % m.supersedes),
        fieldline(b"in-place-of", m.in_place_of or b""),
        fieldline(b"principal-key", m.principal_key.hex().encode()),
        fieldline(b"signature", m.signature.hex().encode()),
    ])


def check_mandate(c, cp, name, data):
    """§4.7: the mandate holds for copy cp of certificate c."""
    m = parse_mandate(name, data)
    if m.id != cp.mandate:
        raise BundleError(name, 2, "id is not the copy's mandate id")
    if m.party != cp.party:
        raise BundleError(name, 3, "party is not the copy's party")
    if m.signer_key != cp.key:
        raise BundleError(name, 4, "signer-key is not the copy's key")
    if m.principal_key != c.principals.get(cp.party):
        raise BundleError(name, 12, "principal-key is not the certificate's")
    if not ed25519_verify(m.principal_key, m.signature, mandate_payload(m)):
        raise BundleError(name, 13, "principal's signature does not verify")
    if cp.role is None or cp.role not in m.roles:
        raise BundleError(name, 5, "the copy's role is not one of the roles")
    if not m.valid_from <= cp.signed_at:
        raise BundleError(name, 7, "copy signed before valid-from")
    if m.valid_until is not None and not cp.signed_at < m.valid_until:
        raise BundleError(name, 8, "copy signed at or after valid-until")
    if m.scope_agreements is not None and c.agreement not in m.scope_agreements:
        raise BundleError(name, 6, "scope does not list the agreement")
    if m.in_place_of != cp.in_place_of:
        raise BundleError(name, 11, "in-place-of differs from the certificate's")


# ---------------------------------------------------------------------------
# §4.8 checkpoint.txt
# ---------------------------------------------------------------------------

def b64_canonical(name, lineno, v, nbytes, what):
    """Standard base64 with padding, canonical (RFC 4648 §4): decode, then
    encode again and compare."""
    if not B64_RE.fullmatch(v) or len(v) % 4:
        raise BundleError(name, lineno, "bad base64 %s" % what)
    try:
        raw = base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError):
        raise BundleError(name, lineno, "bad base64 %s" % what)
    if len(raw) != nbytes or base64.b64encode(raw) != v:
        raise BundleError(name, lineno, "bad base64 %s" % what)
    return raw


def origin_of(key):
    """§4.8 ORIGIN: "parley/" and the first 16 hex digits of SHA-256(key)."""
    return b"parley/" + sha256(key).hex()[:16].encode()


def parse_checkpoint(data, key):
    """§4.8; returns (size, root)."""
    name = "checkpoint.txt"
    lines = split_lines(name, data)
    origin = origin_of(key)
    if not lines or lines[0] != origin:
        raise BundleError(name, 1, "origin is not the mediator key's")
    if len(lines) != 5:
        raise BundleError(name, count_error_line(lines, 5),
                          "not exactly five lines")
    size = parse_dec(name, 2, lines[1], 0, MAX_U64, "tree size")
    root = b64_canonical(name, 3, lines[2], 32, "root hash")
    if lines[3] != b"":
        raise BundleError(name, 4, "expected an empty line")
    prefix = EM_DASH + b" " + origin + b" "
    if not lines[4].startswith(prefix):
        raise BundleError(name, 5, "signature line not from the mediator key")
    blob = b64_canonical(name, 5, lines[4][len(prefix):], 68, "signature")
    keyid = sha256(origin + b"\n\x01" + key)[:4]
    if blob[:4] != keyid:
        raise BundleError(name, 5, "key id is not the mediator key's")
    body = b"".join(l + b"\n" for l in lines[:3])
    if not ed25519_verify(key, blob[4:], body):
        raise BundleError(name, 5, "signature does not verify")
    again = body + b"\n" + prefix + base64.b64encode(blob) + b"\n"
    compare_spelling(name, data, again)
    return size, root


# ---------------------------------------------------------------------------
# §4.9 journal-*.entry
# ---------------------------------------------------------------------------

ENTRY_MAGIC = b"parley journal entry v1"


class Entry:
    pass


def parse_entry(name, data):
    lines = split_lines(name, data)
    if not lines or lines[0] != ENTRY_MAGIC:
        raise BundleError(name, 1, "not '%s'" % ENTRY_MAGIC.decode())
    e = Entry()
    e.seq = parse_dec(name, 2, field(name, lines, 1, b"seq"), 0, MAX_U64, "seq")
    e.time = parse_time(name, 3, field(name, lines, 2, b"time"))
    e.kind = field(name, lines, 3, b"kind")
    if not KIND_RE.fullmatch(e.kind):
        raise BundleError(name, 4, "bad kind")
    e.agreement = parse_dec(name, 5, field(name, lines, 4, b"agreement"),
                            0, MAX_U64, "agreement")
    e.party = field(name, lines, 5, b"party")
    if e.party != b"-":
        parse_ident(name, 6, e.party, "party")
    n = 6
    e.hashes = []
    while n < len(lines) and lines[n].startswith(b"sha256:"):
        e.hashes.append(parse_hex(name, n + 1, field(name, lines, n, b"sha256"),
                                  64, "sha256"))
        n += 1
    e.note = None
    if n < len(lines) and lines[n].startswith(b"note:"):
        # NOTE: one or more bytes, none NUL, CR or LF (already refused).
        e.note = field(name, lines, n, b"note")
        n += 1
    if n < len(lines):
        raise BundleError(name, n + 1, "unexpected line")
    again = b"".join([ENTRY_MAGIC + b"\n",
                      fieldline(b"seq", b"%d" % e.seq),
                      fieldline(b"time", format_time(e.time)),
                      fieldline(b"kind", e.kind),
                      fieldline(b"agreement", b"%d" % e.agreement),
                      fieldline(b"party", e.party)]
                     + [fieldline(b"sha256", h.hex().encode()) for h in e.hashes]
                     + ([fieldline(b"note", e.note)] if e.note is not None else []))
    compare_spelling(name, data, again)
    return e


# ---------------------------------------------------------------------------
# §4.10 journal-*.proof and §5.5 the record's tree
# ---------------------------------------------------------------------------

def parse_proof(name, data, size):
    lines = split_lines(name, data)
    index = parse_dec(name, 1, field(name, lines, 0, b"index"), 0, MAX_U64, "index")
    if not index < size:
        raise BundleError(name, 1, "index not less than the checkpoint's size")
    if len(lines) - 1 > MAX_PROOF_HASHES:
        raise BundleError(name, 2 + MAX_PROOF_HASHES, "more than 64 hashes")
    path = [parse_hex(name, i + 2, l, 64, "hash") for i, l in enumerate(lines[1:])]
    again = b"index: %d\n" % index + b"".join(h.hex().encode() + b"\n" for h in path)
    compare_spelling(name, data, again)
    return index, path


def leaf_hash(entry):
    """§5.5: SHA-256(0x00 || entry bytes)."""
    return sha256(b"\x00" + entry)


def node_hash(left, right):
    """§5.5: SHA-256(0x01 || left || right)."""
    return sha256(b"\x01" + left + right)


def verify_inclusion(leaf_index, tree_size, leaf, path, root):
    """RFC 9162 section 2.1.3.2, step by step."""
    # 1. leaf_index >= tree_size: fail.
    if leaf_index >= tree_size:
        return False
    # 2. fn = leaf_index, sn = tree_size - 1.
    fn, sn = leaf_index, tree_size - 1
    # 3. r = hash.
    r = leaf
    # 4. for each p in inclusion_path:
    for p in path:
        # a. if sn is 0, stop and fail (a hash too many).
        if sn == 0:
            return False
        # b. if LSB(fn) is set, or fn == sn:
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # ii. if LSB(fn) is not set, right-shift fn and sn equally until
            #     either LSB(fn) is set or fn is 0.
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        # c. right-shift fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. sn == 0 (no hash too few) and r == root.
    return sn == 0 and r == root


def check_journal(c, files, size, root, cp, chash):
    """§4.9 and §4.10 for 'release' (cp None) or a copy."""
    base = "journal-release" if cp is None else "journal-copy-" + cp.name
    pname, ename = base + ".proof", base + ".entry"
    index, path = parse_proof(pname, files[pname], size)
    e = parse_entry(ename, files[ename])
    if cp is None:
        want = (b"released", b"-", [chash, sha256(files["certificate.txt"])])
    else:
        want = (b"copy-accepted", cp.party, [chash, sha256(cp.sig)])
    if e.kind != want[0]:
        raise BundleError(ename, 4, "kind is not '%s'" % want[0].decode())
    if e.agreement != c.agreement:
        raise BundleError(ename, 5, "agreement is not the certificate's")
    if e.party != want[1]:
        raise BundleError(ename, 6, "party is not '%s'" % want[1].decode())
    if len(e.hashes) != 2:
        raise BundleError(ename, 7, "not exactly two sha256 lines")
    if e.hashes[0] != want[2][0]:
        raise BundleError(ename, 7, "first sha256 is not the content hash")
    if e.hashes[1] != want[2][1]:
        raise BundleError(ename, 8, "second sha256 is not the %s's" %
                          ("certificate" if cp is None else "signature"))
    if e.seq != index:
        raise BundleError(ename, 2, "seq is not the proof's index")
    if not verify_inclusion(index, size, leaf_hash(files[ename]), path, root):
        raise BundleError(pname, 0, "inclusion proof does not give the checkpoint's root")


# ---------------------------------------------------------------------------
# §3 The files, and §7 the verification algorithm
# ---------------------------------------------------------------------------

FIXED_FILES = ("certificate.txt", "certificate.sig", "terms.txt",
               "calendar.txt", "checkpoint.txt",
               "journal-release.entry", "journal-release.proof")


def expected_files(c, terms):
    """§3: the exact file set from the certificate's copy and frame lines
    and the texts terms.txt names (text.txt, or a text-L.txt for each
    language of content version 3)."""
    names = set(FIXED_FILES)
    names.update(terms.text_names())
    for p in c.frame_order:
        names.add("frame-%s.txt" % p.decode("ascii"))
        names.add("sheet-%s.txt" % p.decode("ascii"))
    for cp in c.copies:
        names.add("copy-%s.txt" % cp.name)
        names.add("journal-copy-%s.entry" % cp.name)
        names.add("journal-copy-%s.proof" % cp.name)
        if cp.mandate is not None:
            names.add("mandate-%s.txt" % cp.name)
        if cp.reservation is not None:
            names.add("reservation-%s.txt" % cp.name)
    return names


def verify_files(files, mediator_key):
    """Verify a bundle given as {name: bytes}.  Returns a summary line;
    raises BundleError at the first failure (§7)."""
    if len(mediator_key) != 32:
        raise ValueError("mediator key must be 32 bytes")
    # §8 limits.
    if len(files) > MAX_FILES:
        raise BundleError(".", 0, "more than %d files" % MAX_FILES)
    for fname in sorted(files):
        if len(files[fname]) > max_file_bytes(fname):
            raise BundleError(fname, 0, "larger than %d MiB"
                              % (max_file_bytes(fname) >> 20))

    # 1. Certificate signature (§4.2).
    for fname in ("certificate.sig", "certificate.txt"):
        if fname not in files:
            raise BundleError(fname, 0, "missing file")
    cert = files["certificate.txt"]
    sig = parse_sig_file(files["certificate.sig"])
    if not ed25519_verify(mediator_key, sig, cert):
        raise BundleError("certificate.sig", 0,
                          "signature does not verify over certificate.txt")

    # 2. Certificate (§4.1).
    c = parse_certificate(cert)

    # 3. The file set (§3): from the certificate's copy and frame lines,
    # and the languages: line of terms.txt, which is therefore read first
    # (in full: its grammar is checked here rather than in step 4).
    if "terms.txt" not in files:
        raise BundleError("terms.txt", 0, "missing file")
    # terms.txt in its content version; for versions 2 and 3 the
    # signatories against the certificate's parties and copy lines.
    terms = parse_terms(files["terms.txt"], c)
    want = expected_files(c, terms)
    for fname in sorted(set(files) | want):
        if fname not in files:
            raise BundleError(fname, 0, "missing file")
        if fname not in want:
            raise BundleError(fname, 0, "unexpected file")

    # 4. Text and terms (§4.3, §4.4, §4.5, §5.1).
    texts = [files[tname] for tname in terms.text_names()]
    for tname, text in zip(terms.text_names(), texts):
        check_text_file(text, tname)
    # §4.3: the texts of content version 3 together at most 524288 bytes.
    if sum(len(t) for t in texts) > MAX_TEXT_BYTES:
        raise BundleError(terms.text_names()[-1], 0,
                          "the texts together are more than 524288 bytes")
    parse_calendar(files["calendar.txt"], c.parties)
    if terms.version < 3:
        chash = content_hash(texts[0], terms.effective, terms.validity,
                             files["calendar.txt"], terms.v2_fields())
    else:
        chash = content_hash(None, terms.effective, terms.validity,
                             files["calendar.txt"], terms.v2_fields(),
                             (terms.languages, terms.authentic, texts))
    if chash != c.content_hash:
        raise BundleError("certificate.txt", 5,
                          "content-sha256 is not the hash (content version %d) "
                          "of text%s, terms and calendar"
                          % (terms.version, "s" if terms.version == 3 else ""))
    # The effective-time rule (§4.4).
    if terms.eff_time is None:
        want_eff = c.released_at
    else:
        want_eff = max(c.released_at, terms.eff_time)
    if c.effective_at != want_eff:
        raise BundleError("certificate.txt", 9,
                          "effective-at does not follow the effective-time rule")

    # 5. Frames (§4.12, §4.13) and copies (§4.6, §4.7, §4.11, §5.2).
    frames = {}                 # party -> bytes of frame-P.txt
    if c.frame_order:
        core = sheet_core(files, terms)
    for p in c.frame_order:
        fname = "frame-%s.txt" % p.decode("ascii")
        head, tail = check_frame(c, p, files[fname])
        sname = "sheet-%s.txt" % p.decode("ascii")
        check_sheet(p, files[sname], head, tail, core)
        frames[p] = files[fname]
    mandate_files = {}          # mandate id -> (file name, bytes)
    for cp in c.copies:
        reservation = None
        if cp.reservation is not None:
            rname = "reservation-%s.txt" % cp.name
            reservation = check_reservation(cp, rname, files[rname])
        version = cp.payload_version
        payload = signing_payload(c.agreement, c.revision, c.content_hash,
                                  cp.party, cp.role, version, reservation,
                                  cp.condition, frames.get(cp.party))
        if not ed25519_verify(cp.key, cp.sig, payload):
            raise BundleError("certificate.txt", cp.line,
                              "copy signature does not verify (signing "
                              "payload version %d)" % version)
        sname = "copy-%s.txt" % cp.name
        compare_spelling(sname, files[sname], copy_sheet(c, cp))
        # The principal/mandate rule (§4.7, last paragraph).
        if cp.party in c.principals and cp.mandate is None:
            raise BundleError("certificate.txt", cp.line,
                              "copy of a party with a principal names no mandate")
        if cp.mandate is not None and cp.party not in c.principals:
            raise BundleError("certificate.txt", cp.line,
                              "copy names a mandate but its party has no principal")
        if cp.mandate is not None:
            mname = "mandate-%s.txt" % cp.name
            check_mandate(c, cp, mname, files[mname])
            # §4.7: two copies signed under one mandate have identical files.
            prev = mandate_files.get(cp.mandate)
            if prev is not None and prev[1] != files[mname]:
                raise BundleError(mname, 0, "not identical to %s, signed under "
                                  "the same mandate" % prev[0])
            mandate_files.setdefault(cp.mandate, (mname, files[mname]))

    # 6. The record (§4.8, §4.9, §4.10, §5.5).
    size, root = parse_checkpoint(files["checkpoint.txt"], mediator_key)
    check_journal(c, files, size, root, None, chash)
    for cp in c.copies:
        check_journal(c, files, size, root, cp, chash)

    nres = sum(cp.reservation is not None for cp in c.copies)
    ncond = sum(cp.condition is not None for cp in c.copies)
    nframe = len(c.frame_order)
    return ("agreement %d revision %d, %d cop%s%s%s, released-at %s, "
            "effective-at %s, content version %d%s"
            % (c.agreement, c.revision, len(c.copies),
               "y" if len(c.copies) == 1 else "ies",
               "".join(", %d with %s" % (k, w) for k, w in
                       ((nres, "a reservation"), (ncond, "a condition")) if k),
               ", %d part%s with a frame" % (nframe, "y" if nframe == 1
                                             else "ies") if nframe else "",
               format_time(c.released_at).decode(),
               format_time(c.effective_at).decode(), terms.version,
               " (languages %s, authentic %s)"
               % (terms.languages.decode(), terms.authentic.decode())
               if terms.version == 3 else ""))


def verify_file_list(pairs, mediator_key):
    """§3: a bundle handed over as a list of named files; a name given
    twice is refused."""
    files = {}
    for fname, data in pairs:
        if fname in files:
            raise BundleError(fname, 0, "name given twice")
        files[fname] = data
    return verify_files(files, mediator_key)


def load_dir(path):
    """Read a bundle directory (§3).  Every entry MUST be a regular file;
    links are refused, never followed (lstat, O_NOFOLLOW).  OSError for a
    directory that cannot be read."""
    names = sorted(os.listdir(path))
    if len(names) > MAX_FILES:
        raise BundleError(".", 0, "more than %d files" % MAX_FILES)
    files = {}
    for fname in names:
        full = os.path.join(path, fname)
        st = os.lstat(full)
        if not stat.S_ISREG(st.st_mode):
            raise BundleError(fname, 0, "not a regular file")
        limit = max_file_bytes(fname)
        if st.st_size > limit:
            raise BundleError(fname, 0, "larger than %d MiB" % (limit >> 20))
        fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        try:
            st2 = os.fstat(fd)
            if not stat.S_ISREG(st2.st_mode) or st2.st_ino != st.st_ino:
                raise BundleError(fname, 0, "not a regular file")
            chunks = []
            total = 0
            while True:
                b = os.read(fd, 1 << 20)
                if not b:
                    break
                total += len(b)
                if total > limit:
                    raise BundleError(fname, 0, "larger than %d MiB"
                                      % (limit >> 20))
                chunks.append(b)
        finally:
            os.close(fd)
        files[fname] = b"".join(chunks)
    return files


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def load_key_pem(path):
    with open(path, "rb") as f:
        pem = f.read()
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key.public_bytes(serialization.Encoding.Raw,
                            serialization.PublicFormat.Raw)


def parse_key_hex(h):
    if not re.fullmatch(r"[0-9a-fA-F]{64}", h):
        raise ValueError("not 64 hex digits")
    return bytes.fromhex(h)


def parse_args(argv, prog="verify_bundle.py"):
    """Returns (dir, key bytes); exits 2 on bad usage."""

    def usage_error(msg):
        sys.stderr.write("%s: %s\n" % (prog, msg))
        sys.stderr.write("usage: %s DIR --mediator-key FILE.pem\n"
                         "       %s DIR --mediator-key-hex HEX\n" % (prog, prog))
        sys.exit(2)

    d = None
    key = None
    i = 0
    try:
        while i < len(argv):
            a = argv[i]
            if "=" in a and a.startswith("--"):
                a, v = a.split("=", 1)
                step = 1
            elif i + 1 < len(argv):
                v, step = argv[i + 1], 2
            else:
                v, step = None, 2
            if a in ("--mediator-key", "--mediator-key-hex"):
                if v is None:
                    usage_error("%s needs a value" % a)
                if key is not None:
                    usage_error("mediator key given twice")
                key = load_key_pem(v) if a == "--mediator-key" else parse_key_hex(v)
                i += step
            elif a.startswith("-") and len(a) > 1:
                usage_error("unknown option %s" % a)
            else:
                if d is not None:
                    usage_error("more than one DIR")
                d = a
                i += 1
    except (OSError, ValueError, TypeError) as e:
        usage_error("mediator key: %s" % e)
    if d is None:
        usage_error("no DIR")
    if key is None:
        usage_error("no mediator key")
    if not os.path.isdir(d):
        usage_error("%s: not a directory" % d)
    return d, key


def main(argv):
    d, key = parse_args(argv)
    try:
        files = load_dir(d)
        summary = verify_files(files, key)
    except BundleError as e:
        print("invalid: %s" % e)
        return 1
    except OSError as e:
        sys.stderr.write("verify_bundle.py: %s\n" % e)
        return 2
    print("valid: %s" % summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
