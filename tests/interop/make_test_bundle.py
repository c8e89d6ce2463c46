#!/usr/bin/python3
"""Build a valid parley release bundle (version 2) from doc/bundle.md alone,
to test verify_bundle.py and tamper.py before a bundle made by parleyd is at
hand.  Section numbers ("§4.1") are those of doc/bundle.md.

Usage:
    make_test_bundle.py DIR --key-out FILE.pem [--variant full|minimal]
                        [--seed TEXT] [--content-version 1|2]

DIR must not exist; it is created and filled.  FILE.pem receives the
mediator's public key (PEM, SubjectPublicKeyInfo).  Keys are derived from
--seed, so a run is reproducible.

Variant "full": three parties, one observer, two principals; party "baku"
signs under two roles sharing one mandate (so two identical mandate files),
"yerevan" under a mandate with in-place-of, "stepanakert" with no role and
no mandate; a Day-X calendar; effective time after release; zone
Europe/Moscow; a tree of 37 journal entries.  Variant "minimal": one party,
no role, no mandate, no observer, empty calendar, on-release, open-ended,
empty zone, a tree of 2 entries.

terms.txt is of content version 2 (six lines, §4.4) unless
--content-version 1 (two lines, the form of revisions made before store
schema 17).  SIGNATORIES is built from the parties and the copies: a party
with more than one copy line is written with the roles of its copies
(baku=military+political), a party with one copy line without roles (its
copy's role, if any, is only the capacity its signer signed in: yerevan).
EXTENDS and REAFFIRMS are empty; build() can set them, the zone and the
signatories.

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


def build(seed, variant, **over):
    """Returns ({name: bytes}, mediator PEM).  `over` (for tests of the
    verifier) replaces any of the local parameters below by name
    (content_version 1 or 2, zone, signatories: None to build it from
    parties and copies, extends, reaffirms, ...), and may
    give hooks: cert_edit(str) -> str applied to certificate.txt before it
    is signed, mandate_edit(dict) -> dict applied to a mandate before it is
    signed, entry_edit(kind, str) -> str applied to a journal entry of the
    release or a copy before the tree is built."""
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
        text = ("Bishkek Protocol\n\n1.\tThe parties cease fire at midnight "
                "of 11 to 12 May 1994.\n2.\tObservers: \u041c\u043e\u0441"
                "\u043a\u0432\u0430.\n")
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
        tree_size = 2
        positions = {"copy-0": 0, "release": 1}
    content_version = 2
    signatories = None           # built from parties and copies
    extends, reaffirms = "", ""
    loc = locals()
    for k, v in over.items():
        if k not in ("cert_edit", "mandate_edit", "entry_edit"):
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
    tree_size = over.get("tree_size", tree_size)
    positions = over.get("positions", positions)
    content_version = over.get("content_version", content_version)
    zone = over.get("zone", zone)
    signatories = over.get("signatories", signatories)
    if signatories is None:
        signatories = signatories_of(parties, copies)
    extends = over.get("extends", extends)
    reaffirms = over.get("reaffirms", reaffirms)
    assert content_version in (1, 2), content_version
    cert_edit = over.get("cert_edit", lambda s: s)
    mandate_edit = over.get("mandate_edit", lambda l: l)
    entry_edit = over.get("entry_edit", lambda k, s: s)

    # §4.3, §4.4, §4.5 and the content hash §5.1
    text_b, cal_b = text.encode(), calendar.encode()
    files["text.txt"] = text_b
    terms = [("effective", effective), ("validity", validity)]
    if content_version == 2:
        terms += [("zone", zone), ("signatories", signatories),
                  ("extends", extends), ("reaffirms", reaffirms)]
    files["terms.txt"] = "".join(
        "%s:%s\n" % (k, " " + v if v else "") for k, v in terms).encode()
    files["calendar.txt"] = cal_b
    if content_version == 2:
        chash = sha256(b"parley-content-v2\x00" + lp(text_b)
                       + lp(effective.encode()) + lp(validity.encode())
                       + lp(cal_b) + lp(zone.encode())
                       + lp(signatories.encode()) + lp(extends.encode())
                       + lp(reaffirms.encode()))
    else:
        chash = sha256(b"parley-content-v1\x00" + lp(text_b)
                       + lp(effective.encode()) + lp(validity.encode())
                       + lp(cal_b))

    # copies: signatures §5.2
    signed = []
    for (party, role, signer, at, mid) in copies:
        sk = key_from_seed(seed, signer)
        payload = (b"parley-sign-v1\x00" + lp(str(agreement).encode())
                   + struct.pack(">I", revision) + chash + lp(party.encode())
                   + lp(b"" if role == "-" else role.encode()))
        sig = sk.sign(payload)
        ipo = mandates[mid]["in_place_of"] if mid else ""
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
    for (party, role, key, sig, at, mid, ipo) in signed:
        l = "copy: %s %s %s %s %s" % (party, role, key.hex(), sig.hex(), at)
        if mid:
            l += " mandate %d" % mid
        lines.append(l)
        if ipo:
            lines.append("in-place-of: %s" % ipo)
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
        if ipo:
            sheet.append("in-place-of: " + ipo)
        files["copy-%s.txt" % n] = ("\n".join(sheet) + "\n").encode()
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

    pem = med.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return files, pem


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--key-out", required=True)
    ap.add_argument("--variant", choices=["full", "minimal"], default="full")
    ap.add_argument("--seed", default="parley-interop")
    ap.add_argument("--content-version", type=int, choices=[1, 2], default=2)
    a = ap.parse_args()
    files, pem = build(a.seed, a.variant, content_version=a.content_version)
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
