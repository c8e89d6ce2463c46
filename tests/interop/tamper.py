#!/usr/bin/python3
"""Tamper with a valid parley release bundle in every way listed below and
check that verify_bundle.verify_files refuses every tampered copy.

Usage:
    tamper.py DIR --mediator-key FILE.pem
    tamper.py DIR --mediator-key-hex HEX

The bundle is read once; every case is verified in this one process.  The
enumeration is fixed, because a C program enumerates the same cases and the
counts must match:

  Files in byte-wise sorted order of name.  For each file F and each byte
  offset i of F, in order, five mutations, each skipped when it leaves the
  byte unchanged:
    (a) byte XOR 0x01      (b) byte XOR 0x20
    (c) replace by 0x20, or by 0x09 when the byte is a space
    (d) replace by 0x00    (e) replace by 0x0D
  Then per file F (same order):
    (f) drop the last byte (if F is not empty)
    (g) keep only the first len(F)//2 bytes (if len(F) >= 2)
    (h) append 0x0A        (i) append b"x"
    (j) make F empty (if not already)
    (k) delete F
  Then two added files, each on its own:
    (l) add manifest.txt = b"x\\n"
    (m) add extra.txt = b""

Prints "FILE: N cases, N accepted" per file, then "tamper: N cases, N
accepted".  Exit 1 if any case was accepted (the first few are shown) or if
the untampered bundle does not verify; 2 on bad usage.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify_bundle as vb  # noqa: E402

SHOW = 10


def byte_mutations(b):
    """(a)..(e) for one byte value: yields (label, new byte), skipping the
    ones that leave the byte unchanged."""
    for label, nb in (("xor 0x01", b ^ 0x01),
                      ("xor 0x20", b ^ 0x20),
                      ("space" if b != 0x20 else "tab", 0x20 if b != 0x20 else 0x09),
                      ("nul", 0x00),
                      ("cr", 0x0D)):
        if nb != b:
            yield label, nb


def cases(files):
    """Yields (file, offset or None, mutation, tampered dict) in the fixed
    order above."""
    names = sorted(files, key=lambda n: n.encode("utf-8", "surrogateescape"))
    for name in names:
        data = files[name]
        buf = bytearray(data)
        for i, b in enumerate(data):
            for label, nb in byte_mutations(b):
                buf[i] = nb
                t = dict(files)
                t[name] = bytes(buf)
                yield name, i, label, t
            buf[i] = b
    for name in names:
        data = files[name]
        whole = []
        if len(data) >= 1:
            whole.append(("drop last byte", data[:-1]))
        if len(data) >= 2:
            whole.append(("keep first half", data[:len(data) // 2]))
        whole.append(("append LF", data + b"\n"))
        whole.append(("append x", data + b"x"))
        if data:
            whole.append(("make empty", b""))
        for label, nd in whole:
            t = dict(files)
            t[name] = nd
            yield name, None, label, t
        t = dict(files)
        del t[name]
        yield name, None, "delete", t
    for name, data in (("manifest.txt", b"x\n"), ("extra.txt", b"")):
        t = dict(files)
        t[name] = data          # a name of the bundle would be a replacement
        yield name, None, "add", t


def main(argv):
    d, key = vb.parse_args(argv, prog="tamper.py")
    try:
        files = vb.load_dir(d)
        summary = vb.verify_files(files, key)
    except vb.BundleError as e:
        print("tamper: the untampered bundle is invalid: %s" % e)
        return 1
    except OSError as e:
        sys.stderr.write("tamper.py: %s\n" % e)
        return 2
    print("untampered: valid: %s" % summary)

    start = time.monotonic()
    per_file = {}                 # name -> [cases, accepted]
    accepted = []
    total = 0
    for name, off, label, t in cases(files):
        total += 1
        counts = per_file.setdefault(name, [0, 0])
        counts[0] += 1
        try:
            vb.verify_files(t, key)
        except vb.BundleError:
            continue
        counts[1] += 1
        accepted.append((name, off, label))
    elapsed = time.monotonic() - start

    # Per file, in the order of the enumeration: the bundle's files in
    # byte-wise order of name, then the two added ones.
    for name in sorted(files, key=lambda n: n.encode("utf-8", "surrogateescape")) \
            + ["manifest.txt", "extra.txt"]:
        n, a = per_file.get(name, (0, 0))
        print("%s: %d cases, %d accepted" % (name, n, a))
    for name, off, label in accepted[:SHOW]:
        print("ACCEPTED: %s offset %s: %s" % (
            name, "-" if off is None else off, label))
    sys.stderr.write("tamper.py: %.1f s\n" % elapsed)
    print("tamper: %d cases, %d accepted" % (total, len(accepted)))
    return 1 if accepted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
