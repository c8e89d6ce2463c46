#!/usr/bin/env python3
"""Check the daemon's layering (issue 19).

1. Includes: every `#include "X.h"` in daemon/M.c and daemon/M.h names M
   itself, a header outside daemon/, or a module that daemon/may_include
   lets M include.  Every daemon module has a row there.
2. Calls: built objects (nm of build/obj/daemon/*.o) show which module
   calls which; no two modules may call each other in a loop (callbacks,
   through function pointers, are how a lower module reaches up).

Usage: check-layers.py [OBJDIR]  (OBJDIR default build/obj/daemon; the call
check is skipped, with a note, when no object is built).  Exit 1 with one
line per breach."""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DAEMON = os.path.join(ROOT, "daemon")


def load_table():
    table = {}
    with open(os.path.join(DAEMON, "may_include")) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            mod, allowed = line[0], line[1:]
            if mod in table:
                sys.exit("daemon/may_include:%d: %s listed twice" % (n, mod))
            for a in allowed:
                if a != "*" and a not in table:
                    sys.exit("daemon/may_include:%d: %s may include %s, which is not in a "
                             "row above it" % (n, mod, a))
            table[mod] = allowed
    return table


def modules():
    return sorted({os.path.splitext(os.path.basename(p))[0]
                   for p in glob.glob(os.path.join(DAEMON, "*.[ch]"))})


def check_includes(table, mods):
    bad = []
    for m in mods:
        if m not in table:
            bad.append("daemon/%s: no row in daemon/may_include" % m)
            continue
        allowed = table[m]
        for ext in (".c", ".h"):
            path = os.path.join(DAEMON, m + ext)
            if not os.path.exists(path):
                continue
            with open(path) as f:
                for n, line in enumerate(f, 1):
                    hit = re.match(r'\s*#\s*include\s+"([a-z_0-9]+)\.h"', line)
                    if not hit:
                        continue
                    inc = hit.group(1)
                    if inc == m or inc not in mods or "*" in allowed:
                        continue
                    if inc not in allowed:
                        bad.append("daemon/%s%s:%d: includes %s.h; daemon/may_include "
                                   "does not let %s include %s" % (m, ext, n, inc, m, inc))
    for m in table:
        if m not in mods:
            bad.append("daemon/may_include: %s is not a daemon module" % m)
    return bad


def call_graph(objdir):
    defs, uses = {}, {}
    for o in sorted(glob.glob(os.path.join(objdir, "*.o"))):
        m = os.path.splitext(os.path.basename(o))[0]
        out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "TDBR":
                defs[p[2]] = m
            elif len(p) == 2 and p[0] == "U":
                uses.setdefault(m, set()).add(p[1])
    return {m: {defs[s] for s in u if s in defs and defs[s] != m} for m, u in uses.items()}


def cycles(g):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def main():
    objdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/obj/daemon")
    mods = modules()
    bad = check_includes(load_table(), mods)
    if glob.glob(os.path.join(objdir, "*.o")):
        g = call_graph(objdir)
        for comp in cycles(g):
            edges = ["%s->%s" % (a, b) for a in comp for b in sorted(g[a]) if b in comp]
            bad.append("calls go round in a loop between %s: %s" %
                       (", ".join(comp), " ".join(edges)))
    else:
        print("check-layers: no objects in %s; calls not checked" % objdir)
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
