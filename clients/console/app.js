// parley console: read-only pages built from what the console's program
// may see (GET /api?verb=... with the token), redrawn every 2 seconds.  Every text is
// set as text (textContent), never as markup; pictures are SVG built
// element by element.  No request leaves the console.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const main = document.getElementById("main");
let refreshes = 0;

// The token: from the URL the console printed, kept for this tab in
// sessionStorage (this origin's alone, port included) and taken out of
// the address bar; sent with each query in a header no other page can set.
const token = (() => {
	const t = new URLSearchParams(location.search).get("token");
	if (t) {
		sessionStorage.setItem("parley_token", t);
		history.replaceState(null, "", location.pathname + location.hash);
	}
	return sessionStorage.getItem("parley_token");
})();

async function q(verb, args) {
	const p = new URLSearchParams({ verb: verb });
	for (const [k, v] of Object.entries(args || {}))
		p.set(k, String(v));
	if (!token)
		throw new Error("no token: open the URL the console printed (it carries one)");
	const r = await fetch("/api?" + p.toString(), { headers: { "X-Parley-Token": token } });
	if (r.status === 403)
		throw new Error("the console refused the token: open the URL it printed");
	const j = await r.json();
	if (!r.ok)
		throw new Error(j.error || r.statusText);
	return j;
}

function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {}))
		if (v !== null && v !== undefined)
			e.setAttribute(k, v);
	for (const k of kids)
		e.append(k instanceof Node ? k : document.createTextNode(k === null ? "" : String(k)));
	return e;
}

function svg(tag, attrs, text) {
	const e = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {}))
		e.setAttribute(k, v);
	if (text !== undefined)
		e.textContent = text;
	return e;
}

function table(head, rows) {
	const t = el("table");
	t.append(el("tr", null, ...head.map(h => el("th", null, h))));
	for (const r of rows)
		t.append(r instanceof Node ? r : el("tr", null,
		    ...r.map(c => c instanceof HTMLTableCellElement ? c : el("td", null, c))));
	return t;
}

// Times as the daemon wrote them (each agreement's zone); ms for arithmetic.
const ms = t => t ? Date.parse(t) : NaN;
function span(secs) {
	const s = Math.abs(Math.round(secs));
	const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
	return (secs < 0 ? "-" : "") + (h ? h + " h " : "") + m + " min";
}

// ---- pages ----

async function board() {
	const list = await q("agreement list");
	const out = [el("h2", null, "Agreements")];
	const rows = [];
	for (const a of list.agreements) {
		const link = el("a", { href: "#agreement/" + a.id }, a.title);
		rows.push([String(a.id), link, el("span", { class: "state" }, a.state), String(a.revision), a.created_at]);
	}
	out.push(table(["ID", "Title", "State", "Revision", "Created"], rows));
	// who has signed what, for those in play
	for (const a of list.agreements.filter(x => x.state === "circulating" || x.state === "released" || x.state === "in_force")) {
		const s = await q("agreement show", { 1: a.id });
		out.push(el("h2", null, "Agreement " + a.id + ": " + s.title + " — " + s.state), matrix(s));
	}
	return out;
}

// Party × role: each signature required, with its time, or missing.
function matrix(s) {
	const roles = [...new Set(s.parties.flatMap(p => (p.signatures || []).map(x => x.role || "—")))].sort();
	const rows = s.parties.map(p => {
		const cells = roles.map(r => {
			const sig = (p.signatures || []).find(x => (x.role || "—") === r);
			if (!sig)
				return el("td", { class: "none" }, "");
			return el("td", { class: sig.signed_at ? "signed" : "missing" }, sig.signed_at || "awaited");
		});
		return el("tr", { "data-party": p.party }, el("th", null, p.party), ...cells,
		    el("td", null, p.receipt ? "received " + p.receipt : ""));
	});
	return table(["party", ...roles.map(r => r === "—" ? "signature" : "role " + r), "released bundle"], rows);
}

async function agreement(id) {
	const s = await q("agreement show", { 1: id });
	const out = [el("h2", null, "Agreement " + s.id + ": " + s.title),
	    el("p", null, el("span", { class: "state" }, s.state), " · revision " + s.revision +
	    " · zone " + (s.zone || "—") + " · effective " + (s.effective_at || s.effective) +
	    (s.expires_at ? " · expires " + s.expires_at : "")),
	    el("p", { class: "muted" }, "content SHA-256 " + s.content_sha256), matrix(s)];
	const tl = await q("timeline show", { 1: id }).catch(() => null);
	if (tl && tl.measures && tl.measures.length) {
		out.push(el("h2", null, "Day-X calendar" + (tl.x ? " (X = " + tl.x + ")" : " (X not bound)")));
		out.push(calendar(tl));
	}
	const am = verbs.has("amendment list") ? await q("amendment list", { 1: id }).catch(() => null) : null;
	if (am && am.amendments.length) {
		out.push(el("h2", null, "Amendments"));
		out.push(table(["AM", "proposer", "state", "answers"], am.amendments.map(a =>
		    [el("a", { href: "#amendment/" + a.id }, String(a.id)), a.proposer, a.state, a.responses || ""])));
	}
	return out;
}

// The calendar as a timeline: a lane per party, each measure at its due
// time (or its offset from X while X is unbound), coloured by status.
function calendar(tl) {
	const ms_ = tl.measures;
	const lanes = [...new Set(ms_.map(m => m.party))];
	// placed by due time once X is a time, else by offset from X
	const bound = tl.x && !isNaN(ms(tl.x)) && ms_.every(m => !isNaN(ms(m.due)));
	const xs = ms_.map(m => bound ? ms(m.due) : offset(m.offset) * 1000);
	const lo = Math.min(...xs), hi = Math.max(...xs), W = 760, L = 110, H = 40 + lanes.length * 36;
	const X = v => L + (hi > lo ? (v - lo) / (hi - lo) : 0.5) * (W - L - 40);
	const g = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "Day-X calendar" });
	lanes.forEach((p, i) => {
		const y = 30 + i * 36;
		g.append(svg("text", { x: 4, y: y + 4 }, p));
		g.append(svg("line", { x1: L, x2: W - 20, y1: y, y2: y, stroke: "#c9cdd3" }));
	});
	const colour = { pending: "#8aa4c8", conditional: "#c2c8d0",
	    due: "#e0a800", overdue: "#b3261e", confirmed: "#2e7d32" };
	ms_.forEach((m, k) => {
		const y = 30 + lanes.indexOf(m.party) * 36, x = X(xs[k]);
		const c = svg("circle", { cx: x, cy: y, r: 7, fill: colour[m.status] || "#888", "data-status": m.status });
		c.append(svg("title", {}, m.offset + " " + m.description + " (" + m.status + ")"));
		g.append(c);
		// a label near the right edge ends at its point
		const right = x > W - 220;
		g.append(svg("text", { x: right ? x - 9 : x + 9, y: y - 9, "text-anchor": right ? "end" : "start" },
		    m.offset + " " + m.description));
	});
	return g;
}

function offset(s) {
	const m = /^X(?:([+-])(.*))?$/.exec(s);
	if (!m || !m[1])
		return 0;
	let t = 0;
	for (const [, n, u] of m[2].matchAll(/(\d+)([smhdw])/g))
		t += Number(n) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[u];
	return m[1] === "-" ? -t : t;
}

async function amendment(id) {
	const a = await q("amendment show", { 1: id });
	const left = el("pre"), right = el("pre");
	for (const line of (a.diff || "").split("\n")) {
		if (line.startsWith("---") || line.startsWith("+++") || line.startsWith("@@"))
			continue;
		if (line.startsWith("-"))
			left.append(el("span", { class: "del" }, line.slice(1) + "\n"));
		else if (line.startsWith("+"))
			right.append(el("span", { class: "add" }, line.slice(1) + "\n"));
		else {
			left.append(line.slice(1) + "\n");
			right.append(line.slice(1) + "\n");
		}
	}
	return [el("h2", null, "Amendment " + a.id + " to agreement " + a.agreement + " revision " + a.revision),
	    el("p", null, "proposed by " + a.proposer + " · " + a.state + (a.note ? " · " + a.note : "")),
	    el("div", { class: "diff" }, el("div", null, el("h3", null, "revision " + a.revision), left),
	    el("div", null, el("h3", null, "amendment " + a.id), right)),
	    // the mediator sees every answer; a delegation its own
	    a.answers ? table(["party", "answer", "note"], a.answers.map(x => [x.party, x.accept ? "accepts" : "rejects", x.note]))
		: el("p", { "data-own-answer": a.answer ? "yes" : "no" }, a.answer ? "your answer: " +
		    (a.answer.accept ? "accept" : "reject") + (a.answer.note ? " — " + a.answer.note : "") : "you have not answered")];
}

async function incidents() {
	const l = await q("incident list");
	// on the daemon's clock: a delegation's list carries it, the
	// mediator's agenda does
	const ag = l.now ? l : await q("agenda");
	const now = ms(ag.now);
	const rows = l.incidents.map(i => {
		const due = (ms(i.respond_by) - now) / 1000, pub = (ms(i.publishable_at) - now) / 1000;
		return el("tr", { "data-incident": i.id }, el("td", null, String(i.id)), el("td", null, i.filer + " → " + i.against),
		    el("td", { class: i.state === "overdue" ? "overdue" : "" }, i.state),
		    el("td", null, i.answered_at ? "answered " + i.answered_at : (due >= 0 ? "answer in " + span(due) : "answer overdue by " + span(-due))),
		    el("td", null, i.publishable ? "publishable" : "publishable in " + span(pub)), el("td", null, i.nature));
	});
	return [el("h2", null, "Incidents (agreement time " + ag.now + ")"),
	    table(["N", "sides", "state", "answer", "publication", "nature"], rows)];
}

async function duty() {
	const d = await q("duty");
	return [el("h2", null, "Duty board"), table(["party", "endpoints", "online", "last seen", "offline since", "alert"],
	    d.parties.map(p => el("tr", { "data-party": p.party }, el("td", null, p.party), el("td", null, String(p.endpoints)),
		el("td", { class: p.online ? "ok" : "" }, String(p.online)), el("td", null, p.last_seen || "never"),
		el("td", null, p.online ? "" : p.offline_since || ""), el("td", { class: p.alert ? "alert" : "" }, p.alert ? "ALERT" : ""))))];
}

async function agenda() {
	const a = await q("agenda");
	const out = [el("h2", null, "What needs the mediator (" + a.now + ")")];
	const sections = [["signatures", "Signatures awaited", ["agreement", "party", "role", "sign_by"]],
	    ["amendments", "Amendments", ["amendment", "agreement", "proposer", "state"]],
	    ["incidents", "Incidents", ["incident", "filer", "against", "state", "respond_by", "waits"]],
	    ["measures", "Measures overdue", ["agreement", "measure", "party", "description", "due"]],
	    ["conditions", "Conditions not lifted", ["agreement", "party", "condition", "due"]],
	    ["duty_alerts", "Duty alerts", ["party", "offline_since"]],
	    ["observer_requests", "Observer requests", ["request", "agreement", "observer", "objections_until"]]];
	// what in an incident waits on the mediator, in words
	const flags = { complaint: "a complaint", meeting_requested: "a meeting asked for",
	    counter_protest_unforwarded: "a counter-protest to forward", meeting_time_proposed: "another meeting time proposed",
	    inspection_requested: "an inspection awaiting consent" };
	for (const i of a.incidents || [])
		i.waits = Object.keys(flags).filter(f => i[f]).map(f => flags[f]).join("; ");
	for (const [k, title, cols] of sections)
		if (a[k] && a[k].length)
			out.push(el("h3", null, title), table(cols, a[k].map(x => cols.map(c => x[c] === null || x[c] === undefined ? "" : String(x[c])))));
	if (!a.items)
		out.push(el("p", null, "Nothing needs the mediator now."));
	return out;
}

// Validity as bars on a time axis: an extension or a reaffirmation joined
// to what it continues, a gap between them marked, an agreement that
// expired with nothing after it marked as ended, one whose signing deadline
// passed listed as lapsed.
async function validity() {
	const list = await q("agreement list");
	const shown = [], lapsed = [];
	for (const a of list.agreements) {
		if (a.state === "lapsed") {
			lapsed.push(a);
			continue;
		}
		const s = await q("agreement show", { 1: a.id });
		if (s.effective_at)
			shown.push(s);
	}
	const out = [el("h2", null, "Validity")];
	if (lapsed.length)
		out.push(el("p", { class: "alert" }, "Lapsed before release (signing deadline passed): " +
		    lapsed.map(a => a.id + " " + a.title).join(", ")));
	if (!shown.length)
		return out.concat(el("p", null, "No agreement has taken effect yet."));
	const now = verbs.has("agenda") ? ms((await q("agenda")).now) : NaN;
	const ends = shown.map(s => ms(s.expires_at) || (isNaN(now) ? ms(s.effective_at) : now));
	const lo = Math.min(...shown.map(s => ms(s.effective_at)), isNaN(now) ? Infinity : now);
	const hi = Math.max(...ends, isNaN(now) ? -Infinity : now);
	const W = 760, L = 200, H = 50 + shown.length * 28;
	const X = v => L + (hi > lo ? (v - lo) / (hi - lo) : 0) * (W - L - 20);
	const g = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "validity" });
	const row = id => shown.findIndex(t => t.id === id);
	shown.forEach((s, i) => {
		const y = 20 + i * 28, x0 = X(ms(s.effective_at)), x1 = X(ends[i]);
		g.append(svg("text", { x: 4, y: y + 12 }, s.id + " " + s.title));
		const r = svg("rect", { x: x0, y: y, width: Math.max(2, x1 - x0), height: 16,
		    fill: s.state === "expired" ? "#b0b0b0" : s.state === "in_force" ? "#2e7d32" : "#8aa4c8", "data-agreement": s.id });
		r.append(svg("title", {}, s.effective_at + " – " + (s.expires_at || "open-ended") + " (" + s.state + ")"));
		g.append(r);
		// what this one continues: joined, and a gap between them marked
		const prev = row(s.extends || s.reaffirms);
		if (prev >= 0) {
			const py = 20 + prev * 28, pend = ends[prev];
			// from the row it continues, where it takes over
			const xj = Math.max(x0, X(Math.min(pend, ms(s.effective_at))));
			g.append(svg("line", { x1: xj, y1: py + 16, x2: xj, y2: y, stroke: "#20324a",
			    "stroke-width": 2, "stroke-dasharray": s.extends ? "4 2" : "1 2" }));
			const gap = (ms(s.effective_at) - pend) / 1000;
			if (gap > 0) {
				const m = svg("rect", { x: X(pend), y: y + 6, width: Math.max(2, x0 - X(pend)), height: 4,
				    fill: "#b3261e", "data-gap": s.id });
				m.append(svg("title", {}, "gap of " + span(gap) + " before " + s.id + " took effect"));
				g.append(m);
			}
		}
		// expired with nothing after it: ended
		const next = shown.some(t => t.extends === s.id || t.reaffirms === s.id);
		if (s.state === "expired" && !next) {
			const m = svg("text", { x: Math.min(x1 + 3, W - 60), y: y + 12, fill: "#b3261e", "data-ended": s.id }, "ended");
			m.append(svg("title", {}, "expired " + s.expires_at + " with no extension"));
			g.append(m);
		}
	});
	// the axis: its ends, in UTC (each bar's own times, in its zone, are in its tooltip)
	g.append(svg("text", { x: L, y: H - 6, "text-anchor": "start" }, new Date(lo).toISOString().slice(0, 10)));
	g.append(svg("text", { x: W - 20, y: H - 6, "text-anchor": "end" }, new Date(hi).toISOString().slice(0, 10)));
	if (!isNaN(now)) {
		g.append(svg("line", { x1: X(now), x2: X(now), y1: 10, y2: H - 34, stroke: "#e0a800" }));
		g.append(svg("text", { x: X(now), y: H - 22, "text-anchor": "middle" }, "now " + new Date(now).toISOString().slice(0, 16) + "Z"));
	}
	out.push(g, el("p", { class: "muted" }, "Dashed: extends; dotted: reaffirms; red: a gap, or ended without extension."));
	return out;
}

// The record: what this program has checked of the mediator's journal.
// The mediator's console recomputes every hash and signature (journal
// verify); a delegation's shows the checkpoint its endpoint keeps and what
// the last consistency check against it found.
async function record() {
	const out = [el("h2", null, "The record")];
	if (verbs.has("journal verify")) {
		const v = await q("journal verify");
		out.push(el("p", { class: v.ok ? "ok" : "alert", "data-record": v.ok ? "ok" : "bad" },
		    v.ok ? "The journal verifies: every hash recomputed, every signature checked." : "THE JOURNAL DOES NOT VERIFY"),
		    table(["origin", "entries", "signed checkpoints", "root"], [[v.origin, String(v.entries), String(v.checkpoints), v.root]]),
		    el("h3", null, "The parties' countersignatures (latest of each)"),
		    (v.countersigned || []).length ? table(["party", "checkpoint of", "at (UTC)"],
			v.countersigned.map(c => el("tr", { "data-party": c.party }, el("td", null, c.party),
			    el("td", null, c.size + " entries"), el("td", null, c.at))))
			: el("p", null, "No party has countersigned a checkpoint yet."));
	} else {
		const r = await q("record");
		out.push(el("p", { class: "ok", "data-record": "ok" }, "Consistent: " + r.summary +
		    " (checked " + span(r.checked_seconds_ago) + " ago, and countersigned by " + r.party + ")"));
		if (r.checkpoint)
			out.push(table(["origin", "entries", "root"], [[r.checkpoint.origin, String(r.checkpoint.size), r.checkpoint.root]]),
			    el("p", { class: "muted" }, "kept in " + r.kept_in + "; any later record must extend it, or parley says so loudly"));
	}
	return out;
}

// ---- routing and refresh ----

// The pages this console's program can draw (a delegation's console has
// no agenda and no duty board), from the verbs it has.
let verbs = null;
const needs = { agenda: ["agenda"], incidents: ["incident list"], duty: ["duty"], validity: ["agreement show"],
    record: ["journal verify", "record"] };
const can = page => !needs[page] || needs[page].some(v => verbs.has(v));
// pages that cost the daemon more than a query are redrawn less often
const every = { record: 30000 };
let drawn = { page: null, at: 0 };

async function draw(force) {
	if (verbs === null) {
		let c;
		try {
			c = await q("console");
		} catch (e) {
			main.replaceChildren(el("p", { class: "alert" }, "cannot read: " + e.message));
			return;
		}
		verbs = new Set(c.verbs);
		document.title = c.title;
		for (const a of document.querySelectorAll("header nav a")) {
			const page = a.getAttribute("href").slice(1);
			if (!can(page))
				a.remove();
		}
	}
	const [page, arg] = (location.hash.slice(1) || "board").split("/");
	const pages = { board, agreement, amendment, incidents, duty, agenda, validity, record };
	const f = pages[page] && can(page) ? pages[page] : board;
	if (!force && every[page] && drawn.page === location.hash && Date.now() - drawn.at < every[page])
		return;
	drawn = { page: location.hash, at: Date.now() };
	try {
		const parts = await f(arg);
		main.replaceChildren(...parts);
		refreshes++;
		document.body.dataset.refreshes = String(refreshes);
		document.getElementById("status").textContent = "updated " + new Date().toLocaleTimeString();
	} catch (e) {
		main.replaceChildren(el("p", { class: "alert" }, "cannot read: " + e.message));
	}
}

window.addEventListener("hashchange", () => draw(true));
draw(true);
setInterval(() => draw(false), 2000);
