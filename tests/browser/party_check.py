#!/usr/bin/python3
"""A delegation's console in a real browser: it shows what the embargo
lets that party see and nothing more.

Usage: party_check.py URL ARTIFACTS PARTY AGREEMENT FORWARDED KEPT OTHER...

Before release the board and the agreement's page show PARTY's own
signature row only; no OTHER party's name appears in what they show of
the signing; of the amendments, FORWARDED (another's, forwarded to PARTY)
is listed and shown as a diff, KEPT (another's, kept by the mediator) is
not; the pages a delegation cannot have (agenda, duty) are not offered;
every request stays in the console.  Exit 0, or 1 with the failures
printed."""

import sys

from cdp import Browser

MAIN = "document.getElementById('main').innerText"


def main():
    if len(sys.argv) < 8:
        print(__doc__)
        return 2
    url, art, party, agreement, forwarded, kept = sys.argv[1:7]
    others = sys.argv[7:]
    base = url.split("/?")[0]
    failures = []
    with Browser() as b:
        p = b.open(url + "#board")
        p.wait("Number(document.body.dataset.refreshes) >= 1 && %s.includes('Agreements')" % MAIN)
        rows = p.eval("[...document.querySelectorAll('tr[data-party]')].map(r => r.dataset.party)")
        if rows != [party]:
            failures.append("the board shows the rows of %s, not %s's alone" % (rows, party))
        nav = p.eval("[...document.querySelectorAll('header nav a')].map(a => a.textContent)")
        for page in ("Agenda", "Duty"):
            if page in nav:
                failures.append("a delegation is offered the %s page" % page)
        p.screenshot(art + "/console-party.png")
        seen = p.eval(MAIN)
        p.eval("location.hash = '#agreement/%s'" % agreement)
        # the agreement's own page (the board names the agreement too)
        p.wait("location.hash === '#agreement/%s' && %s.includes('content SHA-256')"
               % (agreement, MAIN))
        page = p.eval(MAIN)
        # the signing, before the amendments (whose proposers are named)
        seen += page.split("\nAmendments\n")[0]
        seen += p.eval("document.querySelector('svg') ? document.querySelector('svg').textContent : ''")
        ams = p.eval("[...document.querySelectorAll('a[href^=\"#amendment/\"]')].map(a => a.textContent)")
        if ams != [forwarded]:
            failures.append("the amendments listed are %s, not %s alone" % (ams, forwarded))
        p.eval("location.hash = '#amendment/%s'" % forwarded)
        p.wait("location.hash === '#amendment/%s' && document.querySelector('[data-own-answer]') !== null"
               % forwarded)
        if not p.eval("document.querySelectorAll('.diff .add').length >= 1 && "
                      "document.querySelectorAll('.diff .del').length >= 1"):
            failures.append("the forwarded amendment is not shown as a diff")
        p.screenshot(art + "/console-party-amendment.png")
        p.eval("location.hash = '#amendment/%s'" % kept)
        p.wait("location.hash === '#amendment/%s' && %s.includes('cannot read')" % (kept, MAIN))
        for o in others:
            if o in seen:
                failures.append("%s's console shows %s" % (party, o))
        # its incident clocks run on the daemon's clock
        p.eval("location.hash = '#incidents'")
        p.wait("location.hash === '#incidents' && %s.includes('Incidents (agreement time')" % MAIN)
        t = p.eval(MAIN)
        if "answer in" not in t and "answer overdue" not in t:
            failures.append("no incident clock in the party console: " + t[:200])
        # the record as this endpoint holds the mediator to it
        p.eval("location.hash = '#record'")
        p.wait("location.hash === '#record' && document.querySelector('[data-record]') !== null")
        t = p.eval(MAIN)
        if "Consistent: record of" not in t or "countersigned by " + party not in t:
            failures.append("the party's record page: " + t[:300])
        p.screenshot(art + "/console-party-record.png")
        outside = [u for u in p.requests if not u.startswith(base + "/")]
        if outside:
            failures.append("requests outside the console: %s" % outside[:5])
    for f in failures:
        print("FAIL:", f)
    print("party console: %d checks failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
