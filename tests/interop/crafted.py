#!/usr/bin/python3
"""Crafted bundles: correctly signed, unusual, and valid or invalid by
doc/bundle.md.  Each is built with make_test_bundle.py, written to a
directory and given to both verifiers, `parley verify` and verify_bundle.py;
both MUST reach the verdict stated here (exit 0 valid, 1 invalid).

Usage:
    crafted.py PARLEY            (the parley binary, e.g. build/parley)

Prints one line per case; exit 1 if any verdict differs from the expected
one (either verifier), 2 on bad usage.
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_test_bundle as mtb  # noqa: E402

VERIFY_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "verify_bundle.py")
SEED = "parley-interop"
U64 = 2 ** 64 - 1


class Raw(str):
    """A str whose encode() gives chosen bytes: lets an edit hook of
    make_test_bundle put bytes that are not UTF-8 into a file."""

    def __new__(cls, raw):
        o = str.__new__(cls, raw.decode("latin-1"))
        o.raw = raw
        return o

    def encode(self, *a, **k):
        return self.raw


def full_mandates(baku_scope="agreements:2,7,9", **yerevan):
    """make_test_bundle's two mandates of the full variant, with yerevan's
    (id 5) changed as given."""
    m = {3: dict(party="baku", signer="baku-signer",
                 roles=["military", "political"], scope=baku_scope,
                 valid_from="1994-01-01T00:00:00Z",
                 valid_until="1995-01-01T00:00:00Z",
                 issued_at="1993-12-30T10:00:00Z", supersedes=0,
                 in_place_of=""),
         5: dict(party="yerevan", signer="yerevan-signer", roles=["president"],
                 scope="any", valid_from="1994-05-01T00:00:00Z",
                 valid_until="-", issued_at="1994-05-01T00:00:00Z",
                 supersedes=2, in_place_of="Levon Ter-Petrosyan")}
    m[5].update(yerevan)
    return m


def full_copies(yerevan_at="1994-05-08T17:30:00Z", baku_signers=("baku-signer",
                                                                 "baku-signer")):
    return [("baku", "military", baku_signers[0], "1994-05-09T08:00:00Z", 3),
            ("baku", "political", baku_signers[1], "1994-05-09T08:05:00Z", 3),
            ("stepanakert", "-", "stepanakert", "1994-05-10T12:00:00Z", None),
            ("yerevan", "president", "yerevan-signer", yerevan_at, 5)]


def release_entry(f):
    return lambda kind, s: f(s) if kind == "release" else s


def full_notes(**by_name):
    """make_test_bundle's notes of the full variant (a condition on
    baku.political, a reservation on yerevan.president), with the notes of
    the copies given (by copy name, "." written "_") replaced."""
    n = {"baku.political": dict(condition=mtb.FULL_CONDITION),
         "stepanakert": dict(signer="Arkadi Ghukasyan", signer_title="Head of the delegation"),
         "yerevan.president": dict(reservation=mtb.FULL_RESERVATION)}
    for k, v in by_name.items():
        k = k.replace("_", ".")
        if v is None:
            n.pop(k, None)
        else:
            n[k] = v
    return n


def note_a(**note):
    """Notes for the minimal variant's one copy, "a"."""
    return dict(notes={"a": note})


def swap_lines(first, second):
    """A cert_edit hook: swap the first line beginning with `first` with
    the line after it, which must begin with `second`."""
    def edit(s):
        lines = s.split("\n")
        for i in range(len(lines) - 1):
            if lines[i].startswith(first):
                assert lines[i + 1].startswith(second), (lines[i], lines[i + 1])
                lines[i], lines[i + 1] = lines[i + 1], lines[i]
                return "\n".join(lines)
        raise AssertionError("no line " + first)
    return edit


def repeat_line(prefix):
    """A cert_edit hook: write the first line beginning with prefix twice."""
    def edit(s):
        lines = s.split("\n")
        i = next(i for i, l in enumerate(lines) if l.startswith(prefix))
        return "\n".join(lines[:i + 1] + lines[i:])
    return edit


# A reservation (Russian: "Reservation: the line of contact as of 12 May
# 1994.") and a condition ("ratification by the Milli Meclis").
RES = ("\u041e\u0433\u043e\u0432\u043e\u0440\u043a\u0430: the line of "
       "contact as of 12 May 1994.\n")
COND = "ratification by the Milli Meclis"
# 1024 lines of 64 bytes (31 Cyrillic letters, ".", LF): 65536 bytes.
RES_65536 = ("\u0416" * 31 + ".\n") * 1024
RES_65537 = ("\u0416" * 31 + ".\n") * 1023 + "\u0416" * 31 + "..\n"


def many(n, role=False):
    """n parties (or one party in n roles), each copy at index i."""
    pos = dict({"copy-%d" % i: i for i in range(n)}, release=n)
    if role:
        return dict(copies=[("a", "r%02d" % i, "a", "2024-02-29T23:00:00Z", None)
                            for i in range(n)], positions=pos, tree_size=n + 1)
    ps = ["p%02d" % i for i in range(n)]
    return dict(parties=ps, copies=[(p, "-", p, "2024-02-29T23:00:00Z", None)
                                    for p in ps], positions=pos, tree_size=n + 1)


def insert_before(prefix, line):
    """A cert_edit hook: insert `line` before the first line beginning
    with prefix."""
    def edit(s):
        lines = s.split("\n")
        i = next(i for i, l in enumerate(lines) if l.startswith(prefix))
        return "\n".join(lines[:i] + [line] + lines[i:])
    return edit


def move_before(prefix, before):
    """A cert_edit hook: move the first line beginning with prefix to just
    before the first (other) line beginning with `before`."""
    def edit(s):
        lines = s.split("\n")
        i = next(i for i, l in enumerate(lines) if l.startswith(prefix))
        moved = lines.pop(i)
        j = next(j for j, l in enumerate(lines) if l.startswith(before))
        return "\n".join(lines[:j] + [moved] + lines[j:])
    return edit


def framed(*parties, **more):
    """Frames (make_test_bundle's) on the parties named, with more
    overrides."""
    return dict(more, frames={p: mtb.frame_for(p) for p in parties})


def frame_a(frame, **opts):
    """The minimal variant's one party, "a", with this frame (and what to
    get wrong about it, see make_test_bundle's frame_opts)."""
    return dict(frames={"a": frame}, frame_opts={"a": opts} if opts else {})


def v3(**more):
    """Content version 3: the full variant's texts in English, Armenian
    and Russian, Russian authentic, unless more says otherwise."""
    return dict(more, content_version=3)


def drop_line(prefix):
    """A terms_edit hook: leave out the line beginning with prefix."""
    return lambda s: "".join(l for l in s.splitlines(True)
                             if not l.startswith(prefix))


def swap_terms(first, second):
    """A terms_edit hook: swap the line beginning with `first` and the
    one after it, beginning with `second`."""
    def edit(s):
        lines = s.splitlines(True)
        i = next(i for i, l in enumerate(lines) if l.startswith(first))
        assert lines[i + 1].startswith(second)
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
        return "".join(lines)
    return edit


def tags(n):
    """n language tags in ascending order: "la", "lb", ..."""
    return ["l" + chr(ord("a") + i) for i in range(n)]


# A frame of 16384 bytes (its head filled with Cyrillic lines), and one of
# 16385; the smallest, of 9.
FRAME_16384 = ("\u0416" * 31 + ".\n") * 255 + "\u0416" * 15 + "\n" + \
    "{{core}}\n" + "x" * (16384 - 255 * 64 - 31 - 9 - 1) + "\n"
FRAME_16385 = FRAME_16384 + "y"
FRAME_9 = "{{core}}\n"
# What a sheet becomes when the line of {{core}} (with its LF) is
# replaced by the text, rather than the 8 bytes {{core}} alone.
WHOLE_LINE = b"To: a\n\nx\nFor a:\n\t____\n"


def most_files():
    """The most files a bundle can have (8 + 5 * 64, doc/bundle.md 8): one
    party in 64 roles, each copy under a mandate (eight mandates of eight
    roles, one signer key) and with a reservation."""
    o = many(64, role=True)
    a = o["copies"][0][3]
    o["copies"] = [(p, r, s, at, 1 + i // 8)
                   for i, (p, r, s, at, _) in enumerate(o["copies"])]
    o["principals"] = {"a": mtb.key_from_seed(SEED, "principal-a")}
    o["mandates"] = {k: dict(party="a", signer="a",
                             roles=["r%02d" % i for i in range(8 * k - 8, 8 * k)],
                             scope="any", valid_from=a, valid_until="-",
                             issued_at=a, supersedes=0, in_place_of="")
                     for k in range(1, 9)}
    o["notes"] = {"a.r%02d" % i: dict(reservation=RES) for i in range(64)}
    return o


# (label, variant, expected exit status, overrides of make_test_bundle.build)
CASES = [
    ("full", "full", 0, {}),
    ("minimal", "minimal", 0, {}),
    # extreme values, all valid
    ("agreement 2^64-1, scope and supersedes at 2^64-1", "full", 0,
     dict(agreement=U64, mandates=full_mandates(
         baku_scope="agreements:2,%d" % U64, scope="agreements:7,%d" % U64,
         supersedes=U64))),
    ("agreement 2^64", "minimal", 1, dict(agreement=U64 + 1)),
    ("revision 2^32-1", "minimal", 0, dict(revision=2 ** 32 - 1)),
    ("year 0000", "minimal", 0,
     dict(released="0000-01-01T00:00:00Z", effective_at="0000-01-01T00:00:00Z",
          copies=[("a", "-", "a", "0000-02-29T23:00:00Z", None)])),
    ("year 9999", "minimal", 0,
     dict(released="9999-12-31T23:59:59Z", effective_at="9999-12-31T23:59:59Z",
          copies=[("a", "-", "a", "9999-12-31T23:59:59Z", None)])),
    ("effective 9999, released 0000", "minimal", 0,
     dict(released="0000-01-01T00:00:00Z", effective="9999-12-31T23:59:59Z",
          effective_at="9999-12-31T23:59:59Z",
          validity="until 0000-01-01T00:00:00Z")),
    ("effective before release: takes effect at release", "minimal", 0,
     dict(released="2000-01-01T00:00:00Z", effective="1999-12-31T23:59:59Z",
          effective_at="2000-01-01T00:00:00Z")),
    ("effective before release, effective-at says the earlier", "minimal", 1,
     dict(released="2000-01-01T00:00:00Z", effective="1999-12-31T23:59:59Z",
          effective_at="1999-12-31T23:59:59Z")),
    ("validity for 2^64-1 s", "minimal", 0, dict(validity="for %ds" % U64)),
    ("validity for 2^64 s", "minimal", 1, dict(validity="for %ds" % (U64 + 1))),
    ("64 parties", "minimal", 0, many(64)),
    ("65 parties", "minimal", 1, many(65)),
    ("64 roles of one party", "minimal", 0, many(64, role=True)),
    ("64 observers", "minimal", 0,
     dict(observers=["o%02d" % i for i in range(64)])),
    ("65 observers", "minimal", 1,
     dict(observers=["o%02d" % i for i in range(65)])),
    ("title of 200 bytes of Cyrillic", "minimal", 0, dict(title="\u0416" * 100)),
    ("title of 201 bytes", "minimal", 1, dict(title="\u0416" * 100 + "x")),
    ("title with a tab", "minimal", 1, dict(title="a\tb")),
    ("calendar with odd offsets and a tab", "minimal", 0,
     dict(calendar="X+000000s | a | x\ty | -\nX-100000w | all | \u0416 | confirm\n"
                   "X+1s1s1s1s1s1s1s1s1s1s1s1s1s1s | mediator | m | -\n")),
    ("calendar offset of 32 bytes", "minimal", 1,
     dict(calendar="X+1s1s1s1s1s1s1s1s1s1s1s1s1s1s1s | a | x | -\n")),
    ("a code both party and observer", "minimal", 1, dict(observers=["a"])),
    ("identifiers of 32 bytes", "minimal", 0,
     dict(parties=["a" * 32],
          copies=[("a" * 32, "b" * 32, "a", "2024-02-29T23:00:00Z", None)])),
    # mandates
    ("mandate: 8 roles, label scope, Cyrillic in-place-of of 100 bytes", "full", 0,
     dict(mandates=full_mandates(roles=["a", "b", "c", "d", "e", "f", "g", "president"],
                                 scope="label:x", in_place_of="\u0416" * 50))),
    ("mandate: signed at valid-from", "full", 0,
     dict(copies=full_copies("1994-05-01T00:00:00Z"))),
    ("mandate: signed before valid-from", "full", 1,
     dict(copies=full_copies("1994-04-30T23:59:59Z"))),
    ("mandate: signed at valid-until", "full", 1,
     dict(mandates=full_mandates(valid_until="1994-05-08T17:30:00Z"))),
    ("mandate: agreements scope without the agreement", "full", 1,
     dict(mandates=full_mandates(scope="agreements:1,2"))),
    ("mandate: in-place-of differs from the certificate's", "full", 1,
     dict(mandate_edit=lambda m: dict(m, in_place_of="Other")
          if m["party"] == "yerevan" else m)),
    ("mandate: valid-until 1970-01-01T00:00:01Z", "full", 0,
     dict(mandates=full_mandates(valid_from="0000-01-01T00:00:00Z",
                                 valid_until="1970-01-01T00:00:01Z"),
          copies=full_copies("1950-05-08T17:30:00Z"))),
    # Found by review: a valid-until before 1970 is no valid-until (4.7);
    # both verifiers accepted it.
    ("mandate: valid-until before 1970", "full", 1,
     dict(mandates=full_mandates(valid_from="0000-01-01T00:00:00Z",
                                 valid_until="1969-12-31T23:59:59Z"),
          copies=full_copies("1950-05-08T17:30:00Z"))),
    # Found by review: two copies citing mandate 3 with different mandate
    # files (two keys, each under a mandate the principal signed, both
    # showing id 3); parley verify accepted it.
    ("mandate: one id, two different mandate files", "full", 1,
     dict(copies=full_copies(baku_signers=("baku-signer", "baku-signer2")))),
    # terms of content version 2 (doc/bundle.md 4.4): every bundle below is
    # signed by its mediator; only the rules of the terms refuse it
    ("content version 1: two-line terms", "full", 0, dict(content_version=1)),
    ("v2: zone empty", "full", 0, dict(zone="")),
    ("v2: zone of 63 bytes", "full", 0, dict(zone="Z" * 63)),
    ("v2: zone of 64 bytes", "full", 1, dict(zone="Z" * 64)),
    ("v2: zone Europe//Moscow", "full", 1, dict(zone="Europe//Moscow")),
    ("v2: zone ending in /", "full", 1, dict(zone="Europe/")),
    ("v2: zone with a dot", "full", 1, dict(zone="Europe/Mos.cow")),
    ("v2: a required role with no copy", "full", 1,
     dict(signatories="baku=military+political+speaker stepanakert yerevan")),
    ("v2: a party with two copies written without roles", "full", 1,
     dict(signatories="baku stepanakert yerevan")),
    ("v2: the parties in another order", "full", 1,
     dict(signatories="stepanakert baku=military+political yerevan")),
    ("v2: a party left out", "full", 1,
     dict(signatories="baku=military+political stepanakert")),
    ("v2: roles not in ascending order", "full", 1,
     dict(signatories="baku=political+military stepanakert yerevan")),
    ("v2: two spaces", "full", 1,
     dict(signatories="baku=military+political  stepanakert yerevan")),
    ("v2: extends and reaffirms 2^64-1", "full", 0, dict(extends=str(U64), reaffirms=str(U64))),
    ("v2: extends itself", "full", 1, dict(extends="7")),
    ("v2: extends 0", "full", 1, dict(extends="0")),
    ("v2: extends with a leading zero", "full", 1, dict(extends="012")),
    ("v2: extends 2^64", "full", 1, dict(extends=str(U64 + 1))),
    ("v2: reaffirms itself", "full", 1, dict(reaffirms="7")),
    # journal entries
    ("entry: a note with ESC, tab, DEL and U+2028", "full", 0,
     dict(entry_edit=release_entry(lambda s: s.replace(
         "note: release", "note: \x1b[31m\t\x7f\u2028release")))),
    ("entry: a note of 4089 bytes (line of 4095)", "full", 0,
     dict(entry_edit=release_entry(lambda s: s.replace(
         "note: release of revision 2", "note: " + "x" * 4089)))),
    # Found by review: a note that is not UTF-8; parley verify accepted it.
    ("entry: a note that is not UTF-8", "full", 1,
     dict(entry_edit=release_entry(lambda s: Raw(s.encode().replace(
         b"note: release", b"note: \xff release"))))),
    ("entry: a note with a surrogate", "full", 1,
     dict(entry_edit=release_entry(lambda s: Raw(s.encode().replace(
         b"note: release", b"note: \xed\xa0\x80release"))))),
    # reservations and conditions (doc/bundle.md 4.1, 4.6, 4.11, 5.2): the
    # full variant has a condition on baku.political and a reservation on
    # yerevan.president (after its in-place-of line); every copy below is
    # signed by its own key over the payload its lines call for unless
    # the label says otherwise, and every certificate by the mediator
    ("reservation: valid, on a copy without a mandate", "minimal", 0,
     note_a(reservation=RES)),
    ("condition: valid", "minimal", 0, note_a(condition=COND)),
    ("reservation and condition on one copy", "minimal", 0,
     note_a(reservation=RES, condition=COND)),
    ("reservation and condition after in-place-of", "full", 0,
     dict(notes=full_notes(yerevan_president=dict(
         reservation=mtb.FULL_RESERVATION, condition=COND)))),
    ("reservation and condition on every copy", "full", 0,
     dict(notes={n: dict(reservation=RES + n + "\n", condition=COND + " " + n)
                 for n in ("baku.military", "baku.political", "stepanakert",
                           "yerevan.president")})),
    ("no reservation and no condition (payload v1 only)", "full", 0,
     dict(notes={})),
    ("64 copies with a mandate and a reservation: 328 files", "minimal", 0,
     most_files()),
    ("reservation of 65536 bytes", "minimal", 0, note_a(reservation=RES_65536)),
    ("reservation of 65537 bytes", "minimal", 1, note_a(reservation=RES_65537)),
    ("reservation of 0 bytes", "minimal", 1, note_a(reservation="")),
    # AMBIGUITY (2 vs 4.11): read as free text like text.txt, not as lines
    ("reservation of 1 byte, no final LF", "minimal", 0, note_a(reservation="x")),
    ("reservation with an empty line and a line of 5000 bytes", "minimal", 0,
     note_a(reservation="a\n\n" + "b" * 5000 + "\nc")),
    ("reservation with tab, U+200F, U+2028, U+2029, U+2065, U+206A", "minimal", 0,
     note_a(reservation="a\tb \u200f \u2028 \u2029 \u2065 \u206a.\n")),
    ("reservation with ESC", "minimal", 1,
     note_a(reservation="a \x1b[31mred\x1b[0m\n")),
    ("reservation with DEL", "minimal", 1, note_a(reservation="a\x7fb\n")),
    # AMBIGUITY (4.11): a C1 control is a control character
    ("reservation with U+009B (C1 CSI)", "minimal", 1,
     note_a(reservation="a\u009b31mb\n")),
    ("reservation with U+202E", "minimal", 1,
     note_a(reservation="a \u202eb\u202c c\n")),
    ("reservation with U+202A", "minimal", 1, note_a(reservation="\u202aa\n")),
    ("reservation with U+2066", "minimal", 1, note_a(reservation="\u2066a\n")),
    ("reservation with U+2069", "minimal", 1, note_a(reservation="a\u2069\n")),
    ("reservation with a CR", "minimal", 1, note_a(reservation="a\r\nb\r\n")),
    ("reservation with a NUL", "minimal", 1, note_a(reservation="a\x00b\n")),
    ("reservation that is not UTF-8", "minimal", 1,
     note_a(reservation=b"a \xff b\n")),
    ("reservation with a surrogate", "minimal", 1,
     note_a(reservation=b"a \xed\xa0\x80 b\n")),
    ("condition of 300 bytes of Cyrillic", "minimal", 0,
     note_a(condition="\u0416" * 150)),
    ("condition of 301 bytes", "minimal", 1,
     note_a(condition="\u0416" * 150 + "x")),
    ("condition with ESC", "minimal", 1, note_a(condition="a\x1b[31mb")),
    # §2: what is shown is what was signed -- no bidi control in a
    # condition, a title, a name or a measure either, nor a C1 control
    ("condition with U+202E", "minimal", 1, note_a(condition="a\u202eb")),
    ("condition with U+2066", "minimal", 1, note_a(condition="a\u2066b")),
    ("condition with U+200F (not a bidi control of §2)", "minimal", 0,
     note_a(condition="a\u200fb")),
    ("title with U+202E (made before section 2)", "minimal", 0, dict(title="Cease\u202efire")),
    # §4.1 signer: and signer-title: (the mediator's naming of a signer)
    ("signer and title in Armenian", "minimal", 0,
     note_a(signer="Լևոն Տեր-Պետրոսյան", signer_title="Հանրապետության Նախագահ")),
    ("signer alone", "minimal", 0, note_a(signer="Rasul Guliev")),
    ("signer-title without signer", "minimal", 1, note_a(signer_title="Speaker")),
    ("signer of 101 bytes", "minimal", 1, note_a(signer="x" * 101)),
    ("signer with a trailing space", "minimal", 1, note_a(signer="Rasul Guliev ")),
    ("signer with U+202E", "minimal", 1, note_a(signer="Rasul\u202eGuliev")),
    ("signer-title before signer", "full", 1,
     dict(cert_edit=swap_lines("signer:", "signer-title:"))),
    ("title with U+009B (made before section 2)", "minimal", 0, dict(title="Cease\u009bfire")),
    ("calendar description with U+2067 (made before section 2)", "minimal", 0,
     dict(calendar="X+1d | a | orders \u2067issued | -\n")),
    ("condition with a tab", "minimal", 1, note_a(condition="a\tb")),
    ("condition with DEL", "minimal", 1, note_a(condition="a\x7fb")),
    # AMBIGUITY (4.1): a C1 control is a control character (as in 4.11)
    ("condition with U+009B (C1 CSI)", "minimal", 1,
     note_a(condition="a\u009b31mb")),
    ("condition with U+0085 (C1 NEL)", "minimal", 1,
     note_a(condition="a\u0085b")),
    ("condition with a leading space", "minimal", 1, note_a(condition=" " + COND)),
    ("condition with a trailing space", "minimal", 1, note_a(condition=COND + " ")),
    ("reservation hash is not the file's", "minimal", 1,
     note_a(reservation=RES,
            reservation_hash=mtb.sha256((RES + "x").encode()).hex())),
    ("reservation hash in upper-case hex", "minimal", 1,
     note_a(reservation=RES,
            reservation_hash=mtb.sha256(RES.encode()).hex().upper())),
    ("reservation file for a copy without a reservation line", "minimal", 1,
     note_a(reservation_file=RES)),
    ("reservation line without its file", "full", 1,
     dict(notes=full_notes(yerevan_president=dict(
         reservation=mtb.FULL_RESERVATION, reservation_file=None)))),
    ("subject-to before reservation", "full", 1,
     dict(notes=full_notes(yerevan_president=dict(
         reservation=mtb.FULL_RESERVATION, condition=COND)),
          cert_edit=swap_lines("reservation:", "subject-to:"))),
    ("reservation before in-place-of", "full", 1,
     dict(cert_edit=swap_lines("in-place-of:", "reservation:"))),
    ("subject-to before in-place-of", "full", 1,
     dict(notes=full_notes(yerevan_president=dict(condition=COND)),
          cert_edit=swap_lines("in-place-of:", "subject-to:"))),
    ("subject-to before its copy line", "full", 1,
     dict(cert_edit=swap_lines("copy: baku political", "subject-to:"))),
    ("reservation line twice", "full", 1,
     dict(cert_edit=repeat_line("reservation:"))),
    ("subject-to line twice", "full", 1,
     dict(cert_edit=repeat_line("subject-to:"))),
    ("payload v1 although a reservation line", "minimal", 1,
     note_a(reservation=RES, payload=1)),
    ("payload v1 although a subject-to line", "minimal", 1,
     note_a(condition=COND, payload=1)),
    ("payload v2 (empty fields) for a copy with neither", "minimal", 1,
     note_a(payload=2)),
    ("reservation moved from one copy to another", "full", 1,
     dict(notes=full_notes(
         yerevan_president=dict(payload=2, signed=(mtb.FULL_RESERVATION, None)),
         stepanakert=dict(reservation=mtb.FULL_RESERVATION, payload=1)))),
    ("condition moved from one copy to another", "full", 1,
     dict(notes=full_notes(
         baku_political=dict(payload=2, signed=(None, mtb.FULL_CONDITION)),
         baku_military=dict(condition=mtb.FULL_CONDITION, payload=1)))),
    ("reservation left out (signed with it)", "full", 1,
     dict(notes=full_notes(yerevan_president=dict(
         payload=2, signed=(mtb.FULL_RESERVATION, None))))),
    ("reservation changed after signing (hash of the new text)", "minimal", 1,
     note_a(reservation=RES + "x", signed=(RES, None))),
    ("condition changed after signing", "minimal", 1,
     note_a(condition=COND + "s", signed=(None, COND))),
    ("reservation signed as the condition", "minimal", 1,
     note_a(reservation=RES, condition=COND, signed=(COND, RES))),
    # frames (doc/bundle.md 4.1, 4.12, 4.13, 5.2): a party with a frame:
    # line has frame-P.txt and sheet-P.txt, and each of its copies is
    # signed over the payload of version 3, which holds the frame; every
    # copy below is signed over the payload its lines call for unless the
    # label says otherwise, and every certificate by the mediator
    ("frame: on one party (yerevan, Armenian, its copy with a reservation)",
     "full", 0, framed("yerevan")),
    ("frame: on every party", "full", 0,
     framed("baku", "stepanakert", "yerevan")),
    ("frame: with a reservation and a condition on its copy", "full", 0,
     framed("yerevan", notes=full_notes(yerevan_president=dict(
         reservation=mtb.FULL_RESERVATION, condition=COND)))),
    ("frame: content version 1", "full", 0,
     framed("baku", "stepanakert", content_version=1)),
    ("frame: on a party whose signers hold a mandate, two copies", "full", 0,
     framed("baku", notes={})),
    ("frame: of 9 bytes, {{core}} first", "minimal", 0, frame_a(FRAME_9)),
    ("frame: {{core}} at the end, no final LF", "minimal", 0,
     frame_a("To: a\n\n{{core}}")),
    ("frame: of 16384 bytes", "minimal", 0, frame_a(FRAME_16384)),
    ("frame: Cyrillic, tabs, U+200F, empty lines, a line of 5000 bytes",
     "minimal", 0,
     frame_a("\u041a\u043e\u043c\u0443:\t\u0411\u0430\u043a\u0443 \u200f\n\n"
             "{{core}}\n\n\n" + "_" * 5000 + "\n")),
    ("frame: a text that holds {{core}} itself", "minimal", 0,
     dict(frame_a(mtb.frame_for("a")), text="see {{core}} below\n{{core}}\n")),
    ("frame: a text without a final LF", "full", 0,
     framed("stepanakert", text="Bishkek Protocol")),
    ("frame: {{core}} twice", "minimal", 1,
     frame_a("To: a\n{{core}}\n{{core}}\n")),
    ("frame: no {{core}}", "minimal", 1, frame_a("To: a\n\nFor a:\n")),
    ("frame: {{core}} misspelt {{ core }}", "minimal", 1,
     frame_a("To: a\n{{ core }}\n")),
    ("frame: {{core}} after text on its line", "minimal", 1,
     frame_a("To: a\nText: {{core}}\n")),
    ("frame: {{core}} before text on its line", "minimal", 1,
     frame_a("To: a\n{{core}} (end)\n")),
    ("frame: {{core}} after a tab on its line", "minimal", 1,
     frame_a("To: a\n\t{{core}}\n")),
    ("frame: {{{core}}}", "minimal", 1, frame_a("To: a\n{{{core}}}\n")),
    ("frame: of 8 bytes ({{core}} alone)", "minimal", 1, frame_a("{{core}}")),
    ("frame: of 16385 bytes", "minimal", 1, frame_a(FRAME_16385)),
    ("frame: with ESC", "minimal", 1, frame_a("To: \x1b[31ma\n{{core}}\n")),
    ("frame: with DEL", "minimal", 1, frame_a("To: a\x7f\n{{core}}\n")),
    ("frame: with U+0085 (C1 NEL)", "minimal", 1,
     frame_a("To: a\u0085\n{{core}}\n")),
    ("frame: with U+202E", "minimal", 1, frame_a("To: \u202ea\n{{core}}\n")),
    ("frame: with U+2067", "minimal", 1, frame_a("{{core}}\nFor \u2067a\n")),
    ("frame: with a CR", "minimal", 1, frame_a("To: a\r\n{{core}}\r\n")),
    ("frame: with a NUL", "minimal", 1, frame_a("To: a\x00\n{{core}}\n")),
    ("frame: not UTF-8", "minimal", 1, frame_a(b"To: \xff\n{{core}}\n")),
    ("frame: hash is not the file's", "minimal", 1,
     frame_a(mtb.frame_for("a"), hash=mtb.sha256(b"other").hex())),
    ("frame: hash in upper-case hex", "minimal", 1,
     frame_a(mtb.frame_for("a"),
             hash=mtb.sha256(mtb.frame_for("a").encode()).hex().upper())),
    ("frame: line for a party not in parties (an observer)", "full", 1,
     dict(cert_edit=insert_before("copy:", "frame: moscow " + "0" * 64))),
    ("frame: lines out of the order of parties", "full", 1,
     framed("baku", "yerevan",
            cert_edit=swap_lines("frame: baku", "frame: yerevan"))),
    ("frame: line twice", "full", 1,
     framed("baku", cert_edit=repeat_line("frame:"))),
    ("frame: line before a principal line", "full", 1,
     framed("stepanakert",
            cert_edit=swap_lines("principal: yerevan", "frame:"))),
    ("frame: line among the copy lines", "full", 1,
     framed("yerevan", cert_edit=move_before("frame:", "copy: stepanakert"))),
    ("frame: line without a hash", "full", 1,
     dict(cert_edit=insert_before("copy:", "frame: baku"))),
    ("frame: file present, no frame line", "minimal", 1,
     frame_a(mtb.frame_for("a"), line=False, sheet=None)),
    ("frame: frame and sheet files present, no frame line", "minimal", 1,
     frame_a(mtb.frame_for("a"), line=False)),
    ("frame: line without its frame file", "full", 1,
     framed("baku", files_edit={"frame-baku.txt": None})),
    ("sheet: missing", "minimal", 1, frame_a(mtb.frame_for("a"), sheet=None)),
    ("sheet: one byte of the text differs", "full", 1,
     dict(framed("baku"), frame_opts={"baku": dict(
         sheet_edit=lambda b: b.replace(b"1994", b"1995", 1))})),
    ("sheet: one byte of the head differs", "full", 1,
     dict(framed("stepanakert"), frame_opts={"stepanakert": dict(
         sheet_edit=lambda b: b.replace(b"To:", b"to:", 1))})),
    ("sheet: an LF more at its end", "minimal", 1,
     frame_a(mtb.frame_for("a"), sheet_edit=lambda b: b + b"\n")),
    ("sheet: the line of {{core}} replaced with its LF", "minimal", 1,
     frame_a(mtb.frame_for("a"), sheet=WHOLE_LINE)),
    ("sheet: the bare frame, {{core}} not replaced", "minimal", 1,
     frame_a(mtb.frame_for("a"), sheet=mtb.frame_for("a").encode())),
    ("sheet: another party's frame around the text", "full", 1,
     dict(framed("baku", "yerevan"), frame_opts={"baku": dict(
         sheet=mtb.FRAMES["yerevan"].replace("{{core}}", mtb.FULL_TEXT)
         .encode())})),
    ("payload v2 for a copy of a party with a frame", "full", 1,
     framed("baku", notes=full_notes(baku_military=dict(payload=2)))),
    ("payload v2 (its condition) for a framed copy with a condition", "full", 1,
     framed("baku", notes=full_notes(baku_political=dict(
         condition=mtb.FULL_CONDITION, payload=2)))),
    ("payload v1 for the copy of a party with a frame", "minimal", 1,
     dict(frame_a(mtb.frame_for("a")), notes={"a": dict(payload=1)})),
    ("payload v3 (empty frame) for a party without a frame line", "minimal", 1,
     note_a(payload=3)),
    ("frame: baku's copies signed over yerevan's frame", "full", 1,
     dict(framed("baku", "yerevan"), frame_opts={"baku": dict(
         signed=mtb.FRAMES["yerevan"])})),
    ("frame: changed after signing (hash of the new frame)", "full", 1,
     dict(frames={"baku": mtb.FRAMES["baku"].replace("\u0411\u0430\u043a\u0443",
                                                     "\u0413\u044f\u043d\u0434\u0436\u0430")},
          frame_opts={"baku": dict(signed=mtb.FRAMES["baku"])})),
    # language versions: content version 3 (doc/bundle.md 4.3, 4.4,
    # 4.13, 5.1), eight lines of terms, a text-L.txt for each language and
    # no text.txt
    ("languages: en hy ru, Cyrillic and Armenian, ru authentic", "full", 0,
     v3()),
    ("languages: all authentic", "full", 0, v3(authentic="en hy ru")),
    ("languages: one only (ru)", "minimal", 0,
     v3(texts=[("ru", mtb.TEXT_RU)], authentic="ru")),
    ("languages and frames on every party", "full", 0,
     v3(**framed("baku", "stepanakert", "yerevan"))),
    ("languages and a frame, two authentic, texts without a final LF",
     "full", 0,
     v3(texts=[("en", "Bishkek Protocol"), ("hy", mtb.TEXT_HY.rstrip("\n")),
               ("ru", mtb.TEXT_RU)], authentic="hy ru", **framed("yerevan"))),
    ("languages: content version 3 without reservation or condition",
     "full", 0, v3(notes={})),
    ("languages: sr-latn (8 bytes) and az", "minimal", 0,
     v3(texts=[("az", "a\n"), ("sr-latn", "b\n")], authentic="sr-latn")),
    ("languages: 16", "minimal", 0,
     v3(texts=[(t, t + "\n") for t in tags(16)], authentic="lp")),
    # AMBIGUITY (4.4): a final "-" fits the grammar of a language tag
    ("languages: tag 'x-' (the grammar allows a final -)", "minimal", 0,
     v3(texts=[("x-", "a\n")], authentic="x-")),
    # 4.3: the texts of content version 3 are at most 512 KiB together
    ("languages: two texts of 524288 bytes together", "minimal", 0,
     v3(texts=[(t, "\u0416" * 131072) for t in tags(2)], authentic="la")),
    ("languages: two texts of 524289 bytes together", "minimal", 1,
     v3(texts=[(t, "\u0416" * 131072 + "x" * i) for i, t in enumerate(tags(2))],
        authentic="la")),
    ("languages: 16 texts of 524288 bytes (8 MiB together)",
     "minimal", 1,
     v3(texts=[(t, "\u0416" * 262144) for t in tags(16)], authentic="la",
        **frame_a(mtb.frame_for("a")))),
    ("languages: 17", "minimal", 1,
     v3(texts=[(t, t + "\n") for t in tags(17)], authentic="la")),
    ("languages: text.txt present too", "full", 1,
     v3(files_edit={"text.txt": mtb.FULL_TEXT.encode()})),
    ("languages: text-hy.txt missing", "full", 1,
     v3(files_edit={"text-hy.txt": None})),
    ("languages: a text-fr.txt of no language", "full", 1,
     v3(files_edit={"text-fr.txt": b"Protocole de Bichkek\n"})),
    ("languages: text-en.txt in content version 2", "full", 1,
     dict(files_edit={"text-en.txt": mtb.FULL_TEXT.encode()})),
    ("languages: not in ascending order (ru en hy)", "full", 1,
     v3(texts=[("ru", mtb.TEXT_RU), ("en", mtb.FULL_TEXT),
               ("hy", mtb.TEXT_HY)])),
    ("languages: one twice (en en ru)", "full", 1,
     v3(texts=[("en", mtb.FULL_TEXT), ("en", mtb.FULL_TEXT),
               ("ru", mtb.TEXT_RU)])),
    ("languages: tag of one byte", "minimal", 1,
     v3(texts=[("e", "a\n")], authentic="e")),
    ("languages: tag of 9 bytes", "minimal", 1,
     v3(texts=[("abcdefghi", "a\n")], authentic="abcdefghi")),
    ("languages: tag in upper case", "minimal", 1,
     v3(texts=[("EN", "a\n")], authentic="EN")),
    ("languages: tag beginning with a digit", "minimal", 1,
     v3(texts=[("1e", "a\n")], authentic="1e")),
    ("languages: tag with _", "minimal", 1,
     v3(texts=[("en_us", "a\n")], authentic="en_us")),
    ("languages: empty", "minimal", 1,
     v3(texts=[], languages="", authentic="en")),
    ("languages: two spaces", "full", 1, v3(languages="en  hy ru")),
    ("authentic: empty", "full", 1, v3(authentic="")),
    ("authentic: not one of the languages (fr)", "full", 1,
     v3(authentic="fr")),
    ("authentic: not a subset (en fr)", "full", 1, v3(authentic="en fr")),
    ("authentic: not in order (ru en)", "full", 1, v3(authentic="ru en")),
    ("authentic: twice (ru ru)", "full", 1, v3(authentic="ru ru")),
    ("authentic: in another spelling (RU)", "full", 1, v3(authentic="RU")),
    ("terms: seven lines (no authentic)", "full", 1,
     v3(terms_edit=drop_line("authentic:"))),
    ("terms: seven lines (no languages)", "full", 1,
     v3(terms_edit=drop_line("languages:"))),
    ("terms: nine lines", "full", 1,
     v3(terms_edit=lambda s: s + "authentic: ru\n")),
    ("terms: authentic before languages", "full", 1,
     v3(terms_edit=swap_terms("languages:", "authentic:"))),
    ("text-L.txt empty", "full", 1,
     v3(texts=[("en", ""), ("hy", mtb.TEXT_HY), ("ru", mtb.TEXT_RU)])),
    ("text-L.txt with a CR", "full", 1,
     v3(texts=[("en", "a\r\n"), ("hy", mtb.TEXT_HY), ("ru", mtb.TEXT_RU)])),
    ("content hash over the languages in another order", "full", 1,
     v3(hash_texts=["ru", "en", "hy"])),
    ("content hash of eight-line terms under the tag v2", "full", 1,
     v3(content_tag="parley-content-v2")),
    ("sheet: languages without the empty line between them", "full", 1,
     v3(**dict(framed("baku"), frame_opts={"baku": dict(
         sheet_edit=lambda b: b.replace(b"\n\n--- ", b"\n--- "))}))),
    ("sheet: no (authentic) in the heading", "full", 1,
     v3(**dict(framed("baku"), frame_opts={"baku": dict(
         sheet_edit=lambda b: b.replace(b" (authentic)", b""))}))),
    ("sheet: the texts of version 3 without headings", "minimal", 1,
     v3(**frame_a(mtb.frame_for("a"),
                  sheet=mtb.frame_for("a").replace("{{core}}", "x\n").encode()))),
]


def main(argv):
    if len(argv) != 1:
        sys.stderr.write("usage: crafted.py PARLEY\n")
        return 2
    parley = argv[0]
    tmp = tempfile.mkdtemp(prefix="parley-crafted.")
    failed = 0
    try:
        for n, (label, variant, want, over) in enumerate(CASES):
            files, pem = mtb.build(SEED, variant, **over)
            d = os.path.join(tmp, "b%d" % n)
            os.mkdir(d)
            for name, data in files.items():
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
            key = os.path.join(tmp, "k%d.pem" % n)
            with open(key, "wb") as f:
                f.write(pem)
            got = []
            for cmd in ([parley, "verify", d, "--mediator-key", key],
                        ["/usr/bin/python3", VERIFY_PY, d, "--mediator-key", key]):
                r = subprocess.run(cmd, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=120)
                got.append((r.returncode, r.stdout.decode("utf-8", "replace").strip()))
            ok = got[0][0] == want and got[1][0] == want
            print("%s %s: want %d, parley %d, verify_bundle.py %d"
                  % ("ok  " if ok else "FAIL", label, want, got[0][0], got[1][0]))
            if not ok:
                failed += 1
                for who, (_, out) in zip(("parley", "verify_bundle.py"), got):
                    print("    %s: %s" % (who, out[-300:]))
    finally:
        shutil.rmtree(tmp)
    print("crafted: %d cases, %d failed" % (len(CASES), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
