#!/usr/bin/python3
"""Build a valid parley release bundle (version 2) from doc/bundle.md alone,
to test verify_bundle.py and tamper.py before a bundle made by parleyd is at
hand.  Section numbers ("§4.1") are those of doc/bundle.md.

Usage:
    make_test_bundle.py DIR --key-out FILE.pem [--variant full|minimal]
                        [--seed TEXT] [--content-version 1|2|3] [--no-notes]
                        [--frames]

DIR must not exist; it is created and filled.  FILE.pem receives the
mediator's public key (PEM, SubjectPublicKeyInfo).  Keys are derived from
--seed, so a run is reproducible.

Variant "full": three parties, one observer, two principals; party "baku"
signs under two roles sharing one mandate (so two identical mandate files),
"yerevan" under a mandate with in-place-of, "stepanakert" with no role and
no mandate; "baku.political" signed subject to a condition (Cyrillic) and
"yerevan.president" with a reservation (Armenian, after its in-place-of),
both with the signing payload of version 2, the two other copies with
version 1 (--no-notes leaves the condition and the reservation out); a
Day-X calendar; effective time after release; zone Europe/Moscow; a tree
of 37 journal entries.  Variant "minimal": one party,
no role, no mandate, no observer, empty calendar, on-release, open-ended,
empty zone, a tree of 2 entries.

terms.txt is of content version 2 (six lines, §4.4) unless
--content-version 1 (two lines, the form of revisions made before store
schema 17) or 3 (eight lines: the text in languages, §4.3, §4.4, §5.1;
the full variant has it in English, Armenian and Russian, Russian
authentic, the minimal one in English alone, authentic).  SIGNATORIES is built from the parties and the copies: a party
with more than one copy line is written with the roles of its copies
(baku=military+political), a party with one copy line without roles (its
copy's role, if any, is only the capacity its signer signed in: yerevan).
EXTENDS and REAFFIRMS are empty; build() can set them, the zone and the
signatories.

Reservations and conditions (§4.1, §4.6, §4.11, §5.2) are given per copy
name in `notes` (see build()): a copy with a reservation gets its
`reservation:` line, its `reservation-sha256:` sheet line and the file
reservation-Ni.txt; a copy with a condition its `subject-to:` lines; either
makes its signature one over the payload of version 2.

Frames (§4.1, §4.12, §4.13, §5.2) are given per party in `frames` (see
build()): a party with a frame gets its `frame:` line, the files
frame-P.txt and sheet-P.txt, and the signatures of all its copies are over
the payload of version 3.  --frames gives every party of the variant a
frame (FRAMES below, or one made by frame_for()).

The writer is deliberately separate from verify_bundle.py (it formats each
file by hand), so that the two cross-check each other a little.
"""

import argparse
import base64
import hashlib
import os
import struct
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


def sha256(b):
    return hashlib.sha256(b).digest()


def key_from_seed(seed, label):
    return ed25519.Ed25519PrivateKey.from_private_bytes(
        sha256(("%s/%s" % (seed, label)).encode()))


def pub_raw(priv):
    return priv.public_key().public_bytes(serialization.Encoding.Raw,
                                          serialization.PublicFormat.Raw)


def lp(s):                       # §2 field(s)
    return struct.pack(">I", len(s)) + s


def u64(x):                      # §2 u64, two's complement for times
    return struct.pack(">Q", x % (1 << 64))


def ts(s):
    """Unix seconds of a §2 time.  The year is shifted by 400 (146097 days,
    one Gregorian cycle) so that datetime, which has no year 0, can be used
    for year 0000 too."""
    import datetime
    shift = 400 if s.startswith("0000") else 0
    d = datetime.datetime.strptime("%04d" % (int(s[:4]) + shift) + s[4:],
                                   "%Y-%m-%dT%H:%M:%SZ")
    epoch = datetime.datetime(1970, 1, 1)
    return int((d - epoch).total_seconds()) - shift // 400 * 146097 * 86400


# -- §5.5 RFC 9162 Merkle tree -----------------------------------------------

def mth(leaves):
    """RFC 9162 2.1.1 MTH over leaf hashes already computed."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m, leaves):
    """RFC 9162 2.1.3.1 PATH(m, D[n])."""
    n = len(leaves)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


# -- the bundle ----------------------------------------------------------------

# The full variant's condition, on baku.political ("ratification by the
# Milli Majlis", in Russian), and reservation, on yerevan.president, which
# also has an in-place-of line ("The Republic of Armenia signs this
# protocol bearing in mind that the status of Nagorno-Karabakh is to be
# determined within the CSCE Minsk group", in Armenian, three lines, two
# of them beginning with a tab): §4.1, §4.11.
FULL_CONDITION = (
    "\u0440\u0430\u0442\u0438\u0444\u0438\u043a\u0430\u0446\u0438\u044f "
    "\u041c\u0438\u043b\u043b\u0438 \u041c\u0435\u0434\u0436\u043b\u0438"
    "\u0441\u043e\u043c")
FULL_RESERVATION = (
    "\u0540\u0561\u0575\u0561\u057d\u057f\u0561\u0576\u056b \u0540\u0561"
    "\u0576\u0580\u0561\u057a\u0565\u057f\u0578\u0582\u0569\u0575\u0578"
    "\u0582\u0576\u0568 \u057d\u057f\u0578\u0580\u0561\u0563\u0580\u0578"
    "\u0582\u0574 \u0567 \u057d\u0578\u0582\u0575\u0576 \u0561\u0580\u0571"
    "\u0561\u0576\u0561\u0563\u0580\u0578\u0582\u0569\u0575\u0578\u0582"
    "\u0576\u0568\u055d\n"
    "\t\u0576\u056f\u0561\u057f\u056b \u0578\u0582\u0576\u0565\u0576\u0561"
    "\u056c\u0578\u057e, \u0578\u0580 \u053c\u0565\u057c\u0576\u0561\u0575"
    "\u056b\u0576 \u0542\u0561\u0580\u0561\u0562\u0561\u0572\u056b \u056f"
    "\u0561\u0580\u0563\u0561\u057e\u056b\u0573\u0561\u056f\u0568\n"
    "\t\u0578\u0580\u0578\u0577\u057e\u0565\u056c\u0578\u0582 \u0567 \u0535"
    "\u0531\u0540\u053d \u0544\u056b\u0576\u057d\u056f\u056b \u056d\u0574"
    "\u0562\u056b \u0577\u0580\u057b\u0561\u0576\u0561\u056f\u0576\u0565"
    "\u0580\u0578\u0582\u0574\u0589\n")


# Frames (§4.12): the address block (head) and signature block (tail) of
# each side's sheet, around the line {{core}}, as on the faxed sheets of
# May 1994 (Russian for baku, Armenian for yerevan).
FRAMES = {
    "baku": ("Министру обороны Азербайджанской Республики\n"
             "г. Баку\n\n{{core}}\n\n"
             "За Азербайджанскую Республику:\n\t______________ (М. Мамедов)\n"),
    "stepanakert": ("To: the Chairman of the State Defence Committee\n"
                    "Stepanakert\n\n{{core}}\n\nFor the Nagorno-Karabakh "
                    "side:\n\t______________ (S. Babayan)\n"),
    "yerevan": ("ՀՀ պաշտպանության նախարարին\nԵրևան\n\n{{core}}\n\n"
                "Հայաստանի Հանրապետության կողմից՝\n"
                "\t______________ (Ս. Սարգսյան)\n"),
}


def frame_for(party):
    """FRAMES[party], or a plain frame for any other party."""
    return FRAMES.get(party, "To: %s\n\n{{core}}\n\nFor %s:\n\t____\n"
                      % (party, party))


# The full variant's text, and its texts of content version 3 (§4.3): in
# English (that text), Armenian and Russian, Russian authentic.
FULL_TEXT = ("Bishkek Protocol\n\n1.\tThe parties cease fire at midnight "
             "of 11 to 12 May 1994.\n2.\tObservers: \u041c\u043e\u0441"
             "\u043a\u0432\u0430.\n")
TEXT_HY = ("Բիշքեկյան արձանագրություն\n\n"
           "1.\tԿողմերը դադարեցնում են կրակը 1994 թ. մայիսի 11-ից 12-ի "
           "կեսգիշերին։\n2.\tԴիտորդներ՝ Մոսկվա։\n")
TEXT_RU = ("Бишкекский протокол\n\n"
           "1.\tСтороны прекращают огонь в полночь с 11 на 12 мая 1994 года.\n"
           "2.\tНаблюдатели: Москва.\n")


def signatories_of(parties, copies):
    """§4.4 SIGNATORIES from the parties and the copies (see the module's
    documentation): PARTY, or PARTY=R1+R2 (roles ascending) when the party
    has more than one copy line."""
    out = []
    for p in parties:
        roles = sorted(r for (party, r, *_rest) in copies if party == p)
        if len(roles) > 1:
            out.append(p + "=" + "+".join(roles))
        else:
            out.append(p)
    return " ".join(out)


def copy_name(party, role):
    """§3 copy name Ni: PARTY, or PARTY.ROLE."""
    return party if role == "-" else party + "." + role


def as_bytes(s):
    return s if isinstance(s, bytes) else s.encode()


def build(seed, variant, **over):
    """Returns ({name: bytes}, mediator PEM).  `over` (for tests of the
    verifier) replaces any of the local parameters below by name
    (content_version 1, 2 or 3, zone, signatories: None to build it from
    parties and copies, extends, reaffirms, notes, frames, texts, ...), and
    may give hooks: cert_edit(str) -> str applied to certificate.txt before
    it is signed, mandate_edit(dict) -> dict applied to a mandate before it
    is signed, entry_edit(kind, str) -> str applied to a journal entry of
    the release or a copy before the tree is built, terms_edit(str) -> str
    applied to terms.txt after the content hash is computed, and
    files_edit: {name: bytes, or None to delete} applied to the finished
    bundle (every file stays as signed).

    Content version 3 (§4.3, §4.4, §5.1):
        texts           [(L, text)] in the order they are written on the
                        languages: line and enter the content hash; each
                        gives text-L.txt (None: the variant's default)
        languages       the LANGUAGES written and hashed instead of the
                        tags of texts joined by spaces
        authentic       the AUTHENTIC written and hashed (str); None: the
                        variant's default (the full one: "ru" when it is
                        one of the texts, the minimal one: all languages)
        hash_texts      the tags of texts in the order their texts enter
                        the content hash, instead of the order of texts
        content_tag     the tag of the content hash instead of the one
                        of the version ("parley-content-v2", ...)

    `frames` maps a party to its frame (§4.12: str, or bytes that need not
    be UTF-8): the party gets its frame: line, frame-P.txt and sheet-P.txt
    (the frame with its first {{core}} replaced by the core, §4.13), and
    its copies are signed over the payload of version 3 (§5.2).  To build
    invalid bundles, `frame_opts` maps a party of frames to a dict of:
        hash            the hex written on the frame: line instead of the
                        SHA-256 of the frame
        line            False: no frame: line (the files are still
                        written, the copies signed as if unframed)
        sheet           the bytes of sheet-P.txt instead of the sheet
                        built; None: no sheet-P.txt
        sheet_edit      bytes -> bytes applied to the sheet built
        signed          the frame (str or bytes) that the party's
                        payloads of version 3 hold instead of its own

    `notes` maps a copy name (§3: "baku.political", "stepanakert") to a dict
    of what its signer wrote on it:
        reservation     the text of reservation-Ni.txt (str, or bytes to
                        write bytes that are not UTF-8); None: none
        condition       the CONDITION of its subject-to: line (str); None:
                        none
    and, to build invalid bundles whose other bytes are all correctly
    signed:
        payload         1, 2 or 3: sign with this payload version (§5.2)
                        instead of the one the lines call for (3 for a
                        copy of a party without a frame: with the frame
                        of frames, or an empty one)
        signed          (reservation, condition) that the payload holds
                        instead of the ones shown (each str, bytes or None)
        reservation_hash  the hex written in the certificate and the sheet
                        instead of the SHA-256 of the file
        reservation_file  the bytes of reservation-Ni.txt instead of the
                        reservation; written even when the copy has no
                        reservation: line
    A name in notes that is not a copy's is an error."""
    med = key_from_seed(seed, "mediator")
    medpub = pub_raw(med)
    files = {}

    if variant == "full":
        agreement, revision = 7, 2
        title = "Bishkek Protocol \u2014 ceasefire in Nagorno-Karabakh"
        parties = ["baku", "stepanakert", "yerevan"]
        observers = ["moscow"]
        released = "1994-05-11T20:01:00Z"
        effective, validity = "1994-05-12T00:00:00Z", "for 7776000s"
        zone = "Europe/Moscow"
        effective_at = "1994-05-12T00:00:00Z"
        text = FULL_TEXT
        calendar = ("X | all | Ceasefire in force | confirm\n"
                    "X-1d | mediator | Notify observers\tby cable | -\n"
                    "X+1d12h | baku | Withdraw heavy weapons 10 km | confirm\n"
                    "X+007d | yerevan | Exchange of prisoners | confirm\n"
                    "X+90m | stepanakert | Report positions | -\n")
        # party -> principal key
        principals = {"baku": key_from_seed(seed, "principal-baku"),
                      "yerevan": key_from_seed(seed, "principal-yerevan")}
        # mandates: id -> dict
        mandates = {
            3: dict(party="baku", signer="baku-signer",
                    roles=["military", "political"], scope="agreements:2,7,9",
                    valid_from="1994-01-01T00:00:00Z",
                    valid_until="1995-01-01T00:00:00Z",
                    issued_at="1993-12-30T10:00:00Z", supersedes=0,
                    in_place_of=""),
            5: dict(party="yerevan", signer="yerevan-signer",
                    roles=["president"], scope="any",
                    valid_from="1994-05-01T00:00:00Z", valid_until="-",
                    issued_at="1994-05-01T00:00:00Z", supersedes=2,
                    in_place_of="Levon Ter-Petrosyan"),
        }
        # copies: (party, role or "-", signer label, signed_at, mandate id)
        copies = [("baku", "military", "baku-signer", "1994-05-09T08:00:00Z", 3),
                  ("baku", "political", "baku-signer", "1994-05-09T08:05:00Z", 3),
                  ("stepanakert", "-", "stepanakert", "1994-05-10T12:00:00Z", None),
                  ("yerevan", "president", "yerevan-signer",
                   "1994-05-08T17:30:00Z", 5)]
        # copy name -> what its signer wrote on it (§4.1, §4.11)
        notes = {
            "baku.political": dict(condition=FULL_CONDITION),
            "stepanakert": dict(signer="Arkadi Ghukasyan",
                                signer_title="Head of the delegation"),
            "yerevan.president": dict(reservation=FULL_RESERVATION),
        }
        tree_size = 37
        positions = {"copy-0": 11, "copy-1": 12, "copy-2": 20, "copy-3": 9,
                     "release": 33}
    else:
        agreement, revision = 1, 1
        title = "t"
        parties = ["a"]
        observers = []
        released = "2024-02-29T23:59:59Z"
        effective, validity = "on-release", ""
        zone = ""
        effective_at = released
        text = "x"
        calendar = ""
        principals = {}
        mandates = {}
        copies = [("a", "-", "a", "2024-02-29T23:00:00Z", None)]
        notes = {}
        tree_size = 2
        positions = {"copy-0": 0, "release": 1}
    content_version = 2
    signatories = None           # built from parties and copies
    extends, reaffirms = "", ""
    texts = None                 # version 3: [(L, text)]
    languages = None             # version 3: built from texts
    authentic = None             # version 3: the variant's default
    hash_texts = None            # version 3: the order of texts
    content_tag = None           # the tag of the version
    frames = {}                  # party -> frame (§4.12)
    frame_opts = {}              # party -> what to get wrong about it
    loc = locals()
    for k, v in over.items():
        if k not in ("cert_edit", "mandate_edit", "entry_edit",
                     "terms_edit", "files_edit"):
            assert k in loc, k
    agreement = over.get("agreement", agreement)
    revision = over.get("revision", revision)
    title = over.get("title", title)
    parties = over.get("parties", parties)
    observers = over.get("observers", observers)
    released = over.get("released", released)
    effective = over.get("effective", effective)
    validity = over.get("validity", validity)
    effective_at = over.get("effective_at", effective_at)
    text = over.get("text", text)
    calendar = over.get("calendar", calendar)
    principals = over.get("principals", principals)
    mandates = over.get("mandates", mandates)
    copies = over.get("copies", copies)
    notes = over.get("notes", notes)
    unknown = set(notes) - set(copy_name(c[0], c[1]) for c in copies)
    assert not unknown, "notes for no copy: %s" % sorted(unknown)
    tree_size = over.get("tree_size", tree_size)
    positions = over.get("positions", positions)
    content_version = over.get("content_version", content_version)
    zone = over.get("zone", zone)
    signatories = over.get("signatories", signatories)
    if signatories is None:
        signatories = signatories_of(parties, copies)
    extends = over.get("extends", extends)
    reaffirms = over.get("reaffirms", reaffirms)
    texts = over.get("texts", texts)
    if texts is None:
        texts = ([("en", text), ("hy", TEXT_HY), ("ru", TEXT_RU)]
                 if variant == "full" else [("en", text)])
    languages = over.get("languages", languages)
    if languages is None:
        languages = " ".join(l for l, _ in texts)
    authentic = over.get("authentic", authentic)
    if authentic is None:
        if variant == "full":
            authentic = "ru" if "ru" in dict(texts) else texts[0][0]
        else:
            authentic = languages
    hash_texts = over.get("hash_texts", hash_texts)
    if hash_texts is None:
        hash_texts = [l for l, _ in texts]
    content_tag = over.get("content_tag", content_tag)
    if content_tag is None:
        content_tag = "parley-content-v%d" % content_version
    frames = over.get("frames", frames)
    frame_opts = over.get("frame_opts", frame_opts)
    assert not set(frames) - set(parties), "frames of no party"
    assert not set(frame_opts) - set(frames), "frame_opts of no frame"
    assert content_version in (1, 2, 3), content_version
    cert_edit = over.get("cert_edit", lambda s: s)
    mandate_edit = over.get("mandate_edit", lambda l: l)
    entry_edit = over.get("entry_edit", lambda k, s: s)
    terms_edit = over.get("terms_edit", lambda s: s)
    files_edit = over.get("files_edit", {})

    # §4.3, §4.4, §4.5 and the content hash §5.1
    cal_b = calendar.encode()
    terms = [("effective", effective), ("validity", validity)]
    if content_version >= 2:
        terms += [("zone", zone), ("signatories", signatories),
                  ("extends", extends), ("reaffirms", reaffirms)]
    if content_version == 3:
        terms += [("languages", languages), ("authentic", authentic)]
        for l, t in texts:
            files["text-%s.txt" % l] = as_bytes(t)
    else:
        files["text.txt"] = as_bytes(text)
    files["terms.txt"] = terms_edit("".join(
        "%s:%s\n" % (k, " " + v if v else "") for k, v in terms)).encode()
    files["calendar.txt"] = cal_b
    if content_version == 3:
        by_tag = dict(texts)
        hashed = (lp(languages.encode()) + lp(authentic.encode())
                  + b"".join(lp(as_bytes(by_tag[l])) for l in hash_texts))
    else:
        hashed = lp(as_bytes(text))
    hashed += lp(effective.encode()) + lp(validity.encode()) + lp(cal_b)
    if content_version >= 2:
        hashed += (lp(zone.encode()) + lp(signatories.encode())
                   + lp(extends.encode()) + lp(reaffirms.encode()))
    chash = sha256(content_tag.encode() + b"\x00" + hashed)

    # §4.13 the core of a sheet: the text, or in version 3 each language's
    # text under its heading, with an LF added where a text lacks its
    # last, and an empty line between two
    if content_version == 3:
        auth = authentic.split(" ")
        core = b"\n".join(
            ("--- %s%s ---\n" % (l, " (authentic)" if l in auth else "")).encode()
            + as_bytes(t) + (b"" if as_bytes(t).endswith(b"\n") else b"\n")
            for l, t in texts)
    else:
        core = as_bytes(text)
    # §4.12 frames, and the parties whose copies are signed over them
    framed = {}                  # party -> frame bytes the payloads hold
    for p, fr in frames.items():
        opts = frame_opts.get(p, {})
        fb = as_bytes(fr)
        files["frame-%s.txt" % p] = fb
        sheet = fb.replace(b"{{core}}", core, 1)
        sheet = opts.get("sheet_edit", lambda b: b)(sheet)
        sheet = opts.get("sheet", sheet)
        if sheet is not None:
            files["sheet-%s.txt" % p] = sheet
        if opts.get("line", True):
            framed[p] = as_bytes(opts.get("signed", fb))

    # copies: signatures §5.2 (version 2 for a copy with a reservation or
    # a condition, version 1 for any other, unless notes say otherwise)
    signed = []
    named = {}                   # copy name -> (signer name, signer title)
    shown = {}                   # copy name -> (reservation hash hex or
    #                              None, condition or None, file or None)
    for (party, role, signer, at, mid) in copies:
        sk = key_from_seed(seed, signer)
        note = notes.get(copy_name(party, role), {})
        res, cond = note.get("reservation"), note.get("condition")
        sres, scond = note.get("signed", (res, cond))
        version = note.get("payload", 3 if party in framed else
                           2 if res is not None or cond is not None else 1)
        payload = (b"parley-sign-v%d\x00" % version
                   + lp(str(agreement).encode())
                   + struct.pack(">I", revision) + chash + lp(party.encode())
                   + lp(b"" if role == "-" else role.encode()))
        if version >= 2:
            payload += (lp(b"" if sres is None else as_bytes(sres))
                        + lp(b"" if scond is None else as_bytes(scond)))
        if version == 3:
            payload += lp(framed.get(party, as_bytes(frames.get(party, b""))))
        sig = sk.sign(payload)
        ipo = mandates[mid]["in_place_of"] if mid else ""
        rfile = note.get("reservation_file",
                         None if res is None else as_bytes(res))
        rhash = None
        if res is not None:
            rhash = note.get("reservation_hash", sha256(as_bytes(res)).hex())
        shown[copy_name(party, role)] = (rhash, cond, rfile)
        named[copy_name(party, role)] = (note.get("signer"), note.get("signer_title"))
        signed.append((party, role, pub_raw(sk), sig, at, mid, ipo))

    # §4.1 certificate
    lines = ["parley release certificate v1",
             "agreement: %d" % agreement,
             "title: %s" % title,
             "revision: %d" % revision,
             "content-sha256: %s" % chash.hex(),
             "parties: " + " ".join(parties),
             "observers:" + "".join(" " + o for o in observers),
             "released-at: %s" % released,
             "effective-at: %s" % effective_at]
    for p in parties:
        if p in principals:
            lines.append("principal: %s %s" % (p, pub_raw(principals[p]).hex()))
    for p in parties:
        if p in frames and frame_opts.get(p, {}).get("line", True):
            lines.append("frame: %s %s" % (p, frame_opts.get(p, {}).get(
                "hash", sha256(as_bytes(frames[p])).hex())))
    for (party, role, key, sig, at, mid, ipo) in signed:
        l = "copy: %s %s %s %s %s" % (party, role, key.hex(), sig.hex(), at)
        if mid:
            l += " mandate %d" % mid
        lines.append(l)
        sname, stitle = named[copy_name(party, role)]
        if sname is not None:
            lines.append("signer: %s" % sname)
        if stitle is not None:
            lines.append("signer-title: %s" % stitle)
        if ipo:
            lines.append("in-place-of: %s" % ipo)
        rhash, cond, _ = shown[copy_name(party, role)]
        if rhash is not None:
            lines.append("reservation: %s" % rhash)
        if cond is not None:
            lines.append("subject-to: %s" % cond)
    cert = cert_edit("\n".join(lines) + "\n").encode()
    files["certificate.txt"] = cert
    files["certificate.sig"] = (med.sign(cert).hex() + "\n").encode()   # §4.2

    # §4.6 copy sheets and §4.7 mandates
    for (party, role, key, sig, at, mid, ipo) in signed:
        n = party if role == "-" else party + "." + role
        sheet = ["party: " + party,
                 "role:" + ("" if role == "-" else " " + role),
                 "revision: %d" % revision,
                 "content-sha256: " + chash.hex(),
                 "signer-key: " + key.hex(),
                 "signature: " + sig.hex(),
                 "signed-at: " + at]
        if mid:
            sheet.append("mandate: %d" % mid)
        sname, stitle = named[n]
        if sname is not None:
            sheet.append("signer: " + sname)
        if stitle is not None:
            sheet.append("signer-title: " + stitle)
        if ipo:
            sheet.append("in-place-of: " + ipo)
        rhash, cond, rfile = shown[n]
        if rhash is not None:
            sheet.append("reservation-sha256: " + rhash)
        if cond is not None:
            sheet.append("subject-to: " + cond)
        files["copy-%s.txt" % n] = ("\n".join(sheet) + "\n").encode()
        if rfile is not None:                                   # §4.11
            files["reservation-%s.txt" % n] = as_bytes(rfile)
        if mid:
            m = mandates[mid]
            pk = principals[m["party"]]
            vu = 0 if m["valid_until"] == "-" else ts(m["valid_until"])
            m = mandate_edit(m)
            payload = (b"parley-mandate-v1\x00" + lp(m["party"].encode()) + key
                       + struct.pack(">I", len(m["roles"]))
                       + b"".join(lp(r.encode()) for r in m["roles"])
                       + lp(m["scope"].encode()) + u64(ts(m["valid_from"]))
                       + u64(vu) + u64(ts(m["issued_at"]))
                       + u64(m["supersedes"]) + lp(m["in_place_of"].encode()))
            ml = ["parley mandate v1",
                  "id: %d" % mid,
                  "party: " + m["party"],
                  "signer-key: " + key.hex(),
                  "roles: " + " ".join(m["roles"]),
                  "scope: " + m["scope"],
                  "valid-from: " + m["valid_from"],
                  "valid-until: " + m["valid_until"],
                  "issued-at: " + m["issued_at"],
                  "supersedes: %d" % m["supersedes"],
                  "in-place-of:" + (" " + m["in_place_of"] if m["in_place_of"] else ""),
                  "principal-key: " + pub_raw(pk).hex(),
                  "signature: " + pk.sign(payload).hex()]
            files["mandate-%s.txt" % n] = ("\n".join(ml) + "\n").encode()

    # §4.9 journal entries: fillers, the copies and the release
    entries = [None] * tree_size
    kinds = ["opened", "turn", "proposal", "turn-closed", "registered"]
    for i in range(tree_size):
        e = ("parley journal entry v1\nseq: %d\ntime: 1994-05-0%dT0%d:00:%02dZ\n"
             "kind: %s\nagreement: %d\nparty: -\n"
             % (i, 1 + i % 9, i % 10, i % 60, kinds[i % len(kinds)],
                agreement if i % 3 else 0))
        if i % 4 == 0:
            e += "sha256: %s\n" % sha256(b"%d" % i).hex()
        if i % 5 == 0:
            e += "note: filler entry n\u00b0 %d\n" % i
        entries[i] = e.encode()
    names = {}
    for j, (party, role, key, sig, at, mid, ipo) in enumerate(signed):
        i = positions["copy-%d" % j]
        n = party if role == "-" else party + "." + role
        entries[i] = entry_edit("copy", "parley journal entry v1\nseq: %d\ntime: %s\n"
                                "kind: copy-accepted\nagreement: %d\nparty: %s\n"
                                "sha256: %s\nsha256: %s\n"
                                % (i, at, agreement, party, chash.hex(),
                                   sha256(sig).hex())).encode()
        names[i] = "journal-copy-" + n
    i = positions["release"]
    entries[i] = entry_edit("release", "parley journal entry v1\nseq: %d\ntime: %s\n"
                            "kind: released\nagreement: %d\nparty: -\nsha256: %s\n"
                            "sha256: %s\nnote: release of revision %d\n"
                            % (i, released, agreement, chash.hex(),
                               sha256(cert).hex(), revision)).encode()
    names[i] = "journal-release"
    leaves = [sha256(b"\x00" + e) for e in entries]
    root = mth(leaves)
    for i, base in names.items():
        files[base + ".entry"] = entries[i]
        files[base + ".proof"] = ("index: %d\n" % i + "".join(
            h.hex() + "\n" for h in path(i, leaves))).encode()

    # §4.8 checkpoint
    origin = "parley/" + sha256(medpub).hex()[:16]
    body = ("%s\n%d\n%s\n" % (origin, tree_size,
                              base64.b64encode(root).decode())).encode()
    keyid = sha256(origin.encode() + b"\n\x01" + medpub)[:4]
    sigline = base64.b64encode(keyid + med.sign(body)).decode()
    files["checkpoint.txt"] = body + ("\n\u2014 %s %s\n" % (origin, sigline)).encode()

    for name, data in files_edit.items():
        if data is None:
            files.pop(name, None)
        else:
            files[name] = data

    pem = med.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return files, pem


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--key-out", required=True)
    ap.add_argument("--variant", choices=["full", "minimal"], default="full")
    ap.add_argument("--seed", default="parley-interop")
    ap.add_argument("--content-version", type=int, choices=[1, 2, 3], default=2)
    ap.add_argument("--no-notes", action="store_true",
                    help="no reservation and no condition on any copy")
    ap.add_argument("--frames", action="store_true",
                    help="a frame on every party's sheet")
    a = ap.parse_args()
    over = dict(content_version=a.content_version)
    if a.no_notes:
        over["notes"] = {}
    if a.frames:
        over["frames"] = {p: frame_for(p) for p in (
            ["baku", "stepanakert", "yerevan"] if a.variant == "full" else ["a"])}
    files, pem = build(a.seed, a.variant, **over)
    os.mkdir(a.dir)
    for name, data in files.items():
        with open(os.path.join(a.dir, name), "wb") as f:
            f.write(data)
    with open(a.key_out, "wb") as f:
        f.write(pem)
    print("wrote %s (%d files) and %s" % (a.dir, len(files), a.key_out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
