#!/usr/bin/python3
"""The mediator's console in a real browser (headless Chromium, through
the DevTools protocol).

Usage: console_check.py URL ARTIFACTS AGREEMENT INCIDENT -- SIGN_CMD...

Loads each page, asserts on the rendered DOM, saves screenshots into
ARTIFACTS, then runs SIGN_CMD (the last copy of AGREEMENT) and waits for
the open board to show the agreement released, without a reload.  Every
request the pages made must be to the console itself.  Exit 0, or 1 with
the failures printed."""

import sys

from cdp import Browser, CDPError

TEXT = "document.getElementById('main').innerText"


def main():
    if "--" not in sys.argv or len(sys.argv) < 7:
        print(__doc__)
        return 2
    url, art, agreement, incident = sys.argv[1:5]
    sign = sys.argv[sys.argv.index("--") + 1:]
    base = url.split("/?")[0]
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    def page_text(p, hash_, marker):
        """Go to a page by its hash and wait until it was drawn (the page
        counts its redraws) and shows marker."""
        p.eval("location.hash = %r" % ("#" + hash_))
        p.wait("location.hash === %r && %s.includes(%r)" % ("#" + hash_, TEXT, marker))
        return p.eval(TEXT)

    with Browser() as b:
        p = b.open(url + "#board")
        p.wait("Number(document.body.dataset.refreshes) >= 1")
        # the token is out of the address bar (and so of history and of
        # any link copied from it)
        check(p.eval("location.search") == "", "the token stays in the address bar")
        # a tab opened without it reads nothing
        p2 = b.open(base + "/#board")
        p2.wait("document.getElementById('main').innerText.includes('no token')")
        # the board: who has signed what
        t = page_text(p, "board", "Agreements")
        check("awaited" in t, "the board shows no signature awaited")
        check(p.eval("document.querySelectorAll('tr[data-party]').length") >= 3,
              "the board has no party rows")
        check(p.eval("document.querySelectorAll('td.signed').length") >= 1,
              "the board shows no signature given")
        p.screenshot(art + "/console-board.png")
        # the agreement: its matrix and the Day-X calendar as a picture
        t = page_text(p, "agreement/" + agreement, "Day-X calendar")
        check(p.eval("document.querySelectorAll('svg[aria-label=\"Day-X calendar\"] circle').length") == 3,
              "the calendar does not show its three measures")
        check("Withdrawal" in p.eval("document.querySelector('svg').textContent"),
              "the calendar lacks a measure's label")
        p.screenshot(art + "/console-calendar.png")
        # incident clocks, the duty board, the agenda, validity
        t = page_text(p, "incidents", "Incidents")
        check("answer in" in t or "answer overdue" in t, "no incident clock: " + t[:200])
        check(p.eval("document.querySelectorAll('tr[data-incident=\"%s\"]').length" % incident) == 1,
              "the incident is not listed")
        t = page_text(p, "duty", "Duty board")
        check(p.eval("document.querySelectorAll('tr[data-party]').length") >= 3, "no duty rows")
        t = page_text(p, "agenda", "What needs the mediator")
        check("Signatures awaited" in t, "the agenda shows no signature awaited")
        t = page_text(p, "validity", "Validity")
        # live: the board changes when the last copy arrives
        page_text(p, "board", "circulating")
        before = p.eval("Number(document.body.dataset.refreshes)")
        import subprocess
        r = subprocess.run(sign, capture_output=True, text=True)
        check(r.returncode == 0, "the last signature failed: " + r.stdout + r.stderr)
        try:
            p.wait("Number(document.body.dataset.refreshes) > %d && %s.includes('in_force')"
                   % (before, TEXT), timeout=30)
        except CDPError as e:
            failures.append("the open board did not change when the last copy arrived: %s" % e)
        p.screenshot(art + "/console-released.png")
        t = page_text(p, "validity", "Validity")
        check(p.eval("document.querySelectorAll('svg[aria-label=\"validity\"] rect').length") >= 1,
              "no validity bar once in force")
        p.screenshot(art + "/console-validity.png")
        # the record: recomputed and verified, with the parties' countersignatures
        t = page_text(p, "record", "The record")
        p.wait("document.querySelector('[data-record]') !== null")
        check(p.eval("document.querySelector('[data-record]').dataset.record") == "ok",
              "the record page does not say the journal verifies: " + t[:300])
        signed = p.eval("[...document.querySelectorAll('tr[data-party]')].map(r => r.dataset.party)")
        check(set(signed) >= {"baku", "yerevan", "stepanakert"},
              "the record page lacks countersignatures: %s" % signed)
        p.screenshot(art + "/console-record.png")
        # it prints cleanly: the page's text, without the navigation
        page_text(p, "agreement/" + agreement, "Day-X calendar")
        p.pdf(art + "/console-print.pdf")
        import subprocess
        out = subprocess.run(["pdftotext", "-layout", art + "/console-print.pdf", "-"],
                             capture_output=True, text=True).stdout
        check("Agreement " + agreement in out and "Withdrawal" in out,
              "the printed agreement lacks its title or calendar: " + out[:300])
        check("Duty" not in out and "Agenda" not in out, "the navigation is printed")
        # nothing but the console itself was asked for
        outside = [u for u in p.requests if not u.startswith(base + "/")]
        check(not outside, "requests outside the console: %s" % outside[:5])
        check(len(p.requests) > 0, "no request recorded")
    for f in failures:
        print("FAIL:", f)
    print("console: %d checks failed; %d requests, all to the console" % (len(failures), len(p.requests)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
