#!/usr/bin/python3
"""The validity page in a real browser: bars on a time axis, a chain of
extension and reaffirmation joined, a gap marked, an agreement that
expired with nothing after it marked as ended.

Usage: validity_check.py URL ARTIFACTS GAP_ID ENDED_ID JOINED_ID...

GAP_ID took effect after what it continues had expired (a gap marked
before it); ENDED_ID expired with nothing after it; each JOINED_ID is
drawn joined to what it extends or reaffirms.  Exit 0, or 1 with the
failures printed."""

import sys

from cdp import Browser


def main():
    if len(sys.argv) < 6:
        print(__doc__)
        return 2
    url, art, gap, ended = sys.argv[1:5]
    joined = sys.argv[5:]
    failures = []
    with Browser() as b:
        p = b.open(url + "#validity")
        p.wait("document.querySelector('svg[aria-label=\"validity\"]') !== null")
        q = "document.querySelectorAll('svg[aria-label=\"validity\"] %s').length"
        bars = p.eval(q % "rect[data-agreement]")
        if bars < 4:
            failures.append("%d bars, not one for each agreement in effect" % bars)
        if p.eval(q % ('rect[data-gap="%s"]' % gap)) != 1:
            failures.append("no gap marked before agreement %s" % gap)
        if p.eval(q % "rect[data-gap]") != 1:
            failures.append("a gap marked where there is none")
        if p.eval(q % ('text[data-ended="%s"]' % ended)) != 1:
            failures.append("agreement %s expired with nothing after it, not marked ended" % ended)
        if p.eval(q % "text[data-ended]") != 1:
            failures.append("an agreement continued by another is marked ended")
        if p.eval(q % "line[stroke-dasharray]") != len(joined):
            failures.append("not %d joins for the chain" % len(joined))
        if "Lapsed before release" not in p.eval("document.getElementById('main').innerText"):
            failures.append("the lapsed agreement is not listed")
        p.screenshot(art + "/console-validity-chain.png")
    for f in failures:
        print("FAIL:", f)
    print("validity: %d checks failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
