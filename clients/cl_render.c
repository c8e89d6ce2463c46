/* The printable record; see cl_render.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#include "cert.h"
#include "cl_render.h"
#include "crypto.h"
#include "ptime.h"

/* A4 in points, and the margins. */
#define PAGE_W 595.0
#define PAGE_H 842.0
#define MARGIN 56.0

enum style { BODY, TITLE, HEADING, MONO, SMALL };

struct doc {
	cairo_surface_t *surface;
	cairo_t *cr;
	double y;		/* where the next paragraph goes */
	int page;
	PangoFontDescription *font[5];
};

static const char *const font_names[] = {
	"DejaVu Sans 10", "DejaVu Sans Bold 16", "DejaVu Sans Bold 12", "DejaVu Sans Mono 7.5",
	"DejaVu Sans 8"
};

static const struct bundle_file *
file(const struct bundle_files *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0)
			return &f->v[i];
	return NULL;
}

/* ---- the calendar as a picture ---- */

/* Seconds from X of an offset of doc/bundle.md 4.5 ("X-1d12h"). */
static long long
offset_seconds(const char *s)
{
	long long t = 0, v;
	const char *p = s + 2;
	int sign;

	if (s[0] != 'X' || s[1] == '\0')
		return 0;
	sign = s[1] == '-' ? -1 : 1;
	while (*p) {
		for (v = 0; *p >= '0' && *p <= '9'; p++)
			v = v * 10 + (*p - '0');
		switch (*p) {
		case 's': t += v; break;
		case 'm': t += v * 60; break;
		case 'h': t += v * 3600; break;
		case 'd': t += v * 86400; break;
		case 'w': t += v * 604800; break;
		default: return sign * t;
		}
		p++;
	}
	return sign * t;
}

/* A calendar.txt (verified: OFFSET | PARTY | DESCRIPTION | CONFIRM, one a
 * line) as measures placed on lanes; every measure, however many.  Each
 * label ("X+3d Withdrawal") and lane name is a string in buf. */
struct cal {
	size_t n, nlanes;
	long long *off, lo, hi;
	size_t *lane;
	const char **label, **lanes;
	char *buf;
};

static void
cal_free(struct cal *c)
{
	free(c->off);
	free(c->lane);
	free(c->label);
	free(c->lanes);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

static int
cal_parse(const struct bundle_file *x, struct cal *c)
{
	const char *p = (const char *)x->data, *end = p + x->len, *nl, *a, *b, *d;
	size_t lines = 1, i, k, ol, pl, dl;
	char *w;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < x->len; i++)
		lines += x->data[i] == '\n';
	/* a label and a lane name a line are each shorter than it */
	c->off = calloc(lines, sizeof(*c->off));
	c->lane = calloc(lines, sizeof(*c->lane));
	c->label = calloc(lines, sizeof(*c->label));
	c->lanes = calloc(lines, sizeof(*c->lanes));
	c->buf = malloc(2 * x->len + 2 * lines);
	if (c->off == NULL || c->lane == NULL || c->label == NULL || c->lanes == NULL ||
	    c->buf == NULL) {
		cal_free(c);
		return -1;
	}
	for (w = c->buf; p < end; p = nl + 1) {
		char off[64];
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((a = strstr(p, " | ")) == NULL || a > nl || (b = strstr(a + 3, " | ")) == NULL ||
		    b > nl || (d = strstr(b + 3, " | ")) == NULL || d > nl)
			break;
		ol = (size_t)(a - p);
		pl = (size_t)(b - a - 3);
		dl = (size_t)(d - b - 3);
		snprintf(off, sizeof(off), "%.*s", (int)ol, p);
		c->off[c->n] = offset_seconds(off);
		/* "X+3d Withdrawal" */
		c->label[c->n] = w;
		memcpy(w, p, ol);
		w[ol] = ' ';
		memcpy(w + ol + 1, b + 3, dl);
		w[ol + 1 + dl] = '\0';
		w += ol + dl + 2;
		for (k = 0; k < c->nlanes && (strlen(c->lanes[k]) != pl ||
		    strncmp(c->lanes[k], a + 3, pl) != 0); k++)
			;
		if (k == c->nlanes) {
			c->lanes[c->nlanes++] = w;
			memcpy(w, a + 3, pl);
			w[pl] = '\0';
			w += pl + 1;
		}
		c->lane[c->n] = k;
		if (c->n == 0 || c->off[c->n] < c->lo)
			c->lo = c->off[c->n];
		if (c->n == 0 || c->off[c->n] > c->hi)
			c->hi = c->off[c->n];
		c->n++;
	}
	return 0;
}

#define LANE_H 34.0
#define LABELS_MAX 40	/* more measures: points alone, the table has the words */

static double
cal_height(const struct cal *c)
{
	return 24 + LANE_H * (double)c->nlanes;
}

/* The picture at (x0, y0), w wide: a lane per party (and the mediator),
 * each measure a point at its offset from X. */
static void
cal_draw(cairo_t *cr, const struct cal *c, double x0, double y0, double w,
    PangoFontDescription *font)
{
	double L = 110, R = c->n <= LABELS_MAX ? 220 : 20;
	size_t i, k;

	for (k = 0; k < c->nlanes; k++) {
		double y = y0 + 20 + LANE_H * (double)k;
		PangoLayout *l = pango_cairo_create_layout(cr);
		cairo_set_source_rgb(cr, 0.8, 0.8, 0.83);
		cairo_move_to(cr, x0 + L, y);
		cairo_line_to(cr, x0 + w - 10, y);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		pango_layout_set_font_description(l, font);
		pango_layout_set_width(l, (int)((L - 12) * PANGO_SCALE));
		pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
		pango_layout_set_text(l, c->lanes[k], -1);
		cairo_move_to(cr, x0 + 4, y - 7);
		pango_cairo_show_layout(cr, l);
		g_object_unref(l);
	}
	for (i = 0; i < c->n; i++) {
		double x = x0 + L + (c->hi > c->lo ? (double)(c->off[i] - c->lo) /
		    (double)(c->hi - c->lo) : 0.5) * (w - L - R), y = y0 + 20 + LANE_H *
		    (double)c->lane[i];
		cairo_set_source_rgb(cr, 0.13, 0.2, 0.29);
		cairo_new_path(cr);	/* no segment from where the last label ended */
		cairo_arc(cr, x, y, 5, 0, 6.2832);
		cairo_fill(cr);
		if (c->n <= LABELS_MAX) {
			PangoLayout *l = pango_cairo_create_layout(cr);
			pango_layout_set_font_description(l, font);
			pango_layout_set_width(l, (int)((R - 14) * PANGO_SCALE));
			pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
			pango_layout_set_text(l, c->label[i], -1);
			/* alternately above and below its lane, so neighbours do not meet */
			size_t before = 0, j;
			for (j = 0; j < i; j++)
				before += c->lane[j] == c->lane[i];
			cairo_move_to(cr, x + 7, before % 2 ? y + 3 : y - 17);
			pango_cairo_show_layout(cr, l);
			g_object_unref(l);
		}
	}
}

static void
footer(struct doc *d)
{
	PangoLayout *l = pango_cairo_create_layout(d->cr);
	char buf[64];

	snprintf(buf, sizeof(buf), "page %d", d->page);
	pango_layout_set_font_description(l, d->font[SMALL]);
	pango_layout_set_text(l, buf, -1);
	cairo_move_to(d->cr, MARGIN, PAGE_H - MARGIN / 2);
	pango_cairo_show_layout(d->cr, l);
	g_object_unref(l);
}

static void
new_page(struct doc *d)
{
	footer(d);
	cairo_show_page(d->cr);
	d->page++;
	d->y = MARGIN;
}

/* One paragraph (text as it is, never markup), wrapped to the page's
 * width and drawn line by line, each line on a new page when it does not
 * fit what is left: a paragraph longer than a page goes on over the next,
 * none of it lost. */
static void
para(struct doc *d, enum style st, const char *text, size_t len, double space_after)
{
	PangoLayout *l = pango_cairo_create_layout(d->cr);
	PangoLayoutIter *it;

	pango_layout_set_font_description(l, d->font[st]);
	pango_layout_set_width(l, (int)((PAGE_W - 2 * MARGIN) * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_text(l, len ? text : " ", len ? (int)len : -1);
	it = pango_layout_get_iter(l);
	do {
		PangoRectangle r;
		double h, above;

		pango_layout_iter_get_line_extents(it, NULL, &r);
		h = (double)r.height / PANGO_SCALE;
		above = (double)(pango_layout_iter_get_baseline(it) - r.y) / PANGO_SCALE;
		if (d->y + h > PAGE_H - MARGIN && d->y > MARGIN)
			new_page(d);
		cairo_move_to(d->cr, MARGIN + (double)r.x / PANGO_SCALE, d->y + above);
		pango_cairo_show_layout_line(d->cr, pango_layout_iter_get_line_readonly(it));
		d->y += h;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	d->y += space_after;
	g_object_unref(l);
}

static void
line(struct doc *d, enum style st, const char *text)
{
	para(d, st, text, strlen(text), st == HEADING ? 6 : 2);
}

/* A text, paragraph by paragraph (one a line). */
static void
block(struct doc *d, enum style st, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		para(d, st, p, (size_t)(nl - p), 1);
		p = nl + 1;
	}
	d->y += 8;
}

static void
fmt(struct doc *d, enum style st, const char *f, ...) __attribute__((format(printf, 3, 4)));

static void
fmt(struct doc *d, enum style st, const char *f, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	line(d, st, buf);
}

/* The texts: text.txt, or each text-L.txt under its language. */
static void
texts(struct doc *d, const struct bundle_files *f)
{
	const struct bundle_file *x = file(f, "text.txt"), *last, *next;
	size_t i;

	line(d, HEADING, "The agreed text");
	if (x != NULL) {
		block(d, BODY, (const char *)x->data, x->len);
		return;
	}
	/* in the order of the languages line: ascending tags */
	for (last = NULL;; last = next) {
		next = NULL;
		for (i = 0; i < f->n; i++)
			if (strncmp(f->v[i].name, "text-", 5) == 0 &&
			    (last == NULL || strcmp(f->v[i].name, last->name) > 0) &&
			    (next == NULL || strcmp(f->v[i].name, next->name) < 0))
				next = &f->v[i];
		if (next == NULL)
			break;
		fmt(d, BODY, "— %.*s —", (int)(strlen(next->name) - 9), next->name + 5);
		block(d, BODY, (const char *)next->data, next->len);
	}
}

static void
copy_name(const struct cert_copy *k, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s", k->party, *k->role ? "." : "", k->role);
}

/* Each signature, with what was signed with it. */
static void
signatures(struct doc *d, const struct bundle_files *f, const struct cert *c)
{
	char hex[129], when[PTIME_BUFLEN], name[80], fn[120];
	const struct bundle_file *x;
	size_t i;

	line(d, HEADING, "The signatures");
	for (i = 0; i < c->ncopies; i++) {
		const struct cert_copy *k = &c->copies[i];
		hex_encode(k->key, 32, hex);
		ptime_format_utc(k->signed_at, when);
		fmt(d, BODY, "%s%s%s — signed %s by key %.16s…%s%s%s%s", k->party,
		    *k->role ? " as " : "", k->role, when, hex, *k->signer_name ? ", " : "",
		    k->signer_name, *k->signer_title ? ", " : "", k->signer_title);
		if (k->mandate != 0)
			fmt(d, SMALL, "    under mandate %llu of its principal key%s%s",
			    (unsigned long long)k->mandate, *k->in_place_of ? ", in place of " : "",
			    k->in_place_of);
		if (*k->condition)
			fmt(d, BODY, "    subject to: %s", k->condition);
		copy_name(k, name, sizeof(name));
		snprintf(fn, sizeof(fn), "reservation-%s.txt", name);
		if (k->has_reservation && (x = file(f, fn)) != NULL) {
			line(d, BODY, "    with this reservation:");
			block(d, BODY, (const char *)x->data, x->len);
		}
	}
	d->y += 6;
}

/* Each party's sheet, where the mediator framed one. */
static void
sheets(struct doc *d, const struct bundle_files *f, const struct cert *c)
{
	const struct bundle_file *x;
	char fn[80];
	size_t i;

	for (i = 0; i < c->nframes; i++) {
		snprintf(fn, sizeof(fn), "sheet-%s.txt", c->frames[i].party);
		if ((x = file(f, fn)) == NULL)
			continue;
		new_page(d);
		fmt(d, HEADING, "The sheet %s signed", c->frames[i].party);
		block(d, BODY, (const char *)x->data, x->len);
	}
}

/* The calendar table's picture, below it (on the next page if it does
 * not fit what is left of this one). */
static void
calendar_picture(struct doc *d, const struct bundle_file *x)
{
	struct cal *c = malloc(sizeof(*c));
	double h;

	if (c == NULL || cal_parse(x, c) != 0) {
		free(c);
		line(d, SMALL, "(no picture of the calendar: out of memory; the table above is whole)");
		return;
	}
	h = cal_height(c);
	if (h > PAGE_H - 2 * MARGIN) {
		line(d, SMALL, "(no picture of the calendar: its lanes do not fit a page; the table "
		    "above is whole)");
	} else {
		if (d->y + h > PAGE_H - MARGIN)
			new_page(d);
		cal_draw(d->cr, c, MARGIN, d->y, PAGE_W - 2 * MARGIN, d->font[SMALL]);
		d->y += h + 8;
	}
	cal_free(c);
	free(c);
}

/* What a verifier needs to find and check this record, as a QR code at the
 * right of the verification block: the agreement, the content hash, the
 * mediator key's SHA-256 and the checkpoint's three lines. */
static void
qr(struct doc *d, const struct cert *c, const char *mkey, const char *content,
    const struct bundle_file *cp)
{
	char text[1200];
	int n = 0;
	QRcode *q;
	double m = 2.0, side, x0, y0;
	int i, j;

	n = snprintf(text, sizeof(text), "parley release bundle\nagreement %llu revision %u\n"
	    "content sha256 %s\nmediator key sha256 %s\n", (unsigned long long)c->agreement,
	    c->revision, content, mkey);
	if (cp != NULL) {
		/* the checkpoint's body: origin, size, root */
		const char *p = (const char *)cp->data, *end = p + cp->len, *e = p;
		int lines = 0;
		while (e < end && lines < 3)
			if (*e++ == '\n')
				lines++;
		if (n >= 0 && (size_t)n < sizeof(text))
			n += snprintf(text + n, sizeof(text) - (size_t)n, "checkpoint\n%.*s",
			    (int)(e - p), p);
	}
	if ((q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL) {
		line(d, SMALL, "(no QR code: it could not be made)");
		return;
	}
	side = m * (q->width + 8);
	if (d->y + side > PAGE_H - MARGIN)
		new_page(d);
	x0 = MARGIN - 4 * m;	/* the code's own margin (its quiet zone) in the page's */
	y0 = d->y;
	cairo_set_source_rgb(d->cr, 1, 1, 1);
	cairo_rectangle(d->cr, x0, y0, side, side);
	cairo_fill(d->cr);
	cairo_set_source_rgb(d->cr, 0, 0, 0);
	for (i = 0; i < q->width; i++)
		for (j = 0; j < q->width; j++)
			if (q->data[i * q->width + j] & 1)
				cairo_rectangle(d->cr, x0 + m * (j + 4), y0 + m * (i + 4), m, m);
	cairo_fill(d->cr);
	QRcode_free(q);
	d->y = y0 + side;
	line(d, SMALL, "This QR code holds the agreement, the content hash, the mediator key's "
	    "SHA-256 and the checkpoint, for a verifier to compare.");
	d->y += 6;
}

static void
record(struct doc *d, const struct bundle_files *f, const uint8_t mediator[32],
    const struct cert *c)
{
	char mkey[65];
	const struct bundle_file *x;
	uint8_t h[32];
	char hex[65];

	new_page(d);
	line(d, HEADING, "How to verify this record");
	crypto_sha256(mediator, 32, h);
	hex_encode(h, 32, mkey);
	fmt(d, BODY, "The mediator's key (its SHA-256): %s", mkey);
	hex_encode(c->content_hash, 32, hex);
	fmt(d, BODY, "The content hash every signature covers: %s", hex);
	qr(d, c, mkey, hex, file(f, "checkpoint.txt"));
	if ((x = file(f, "checkpoint.txt")) != NULL) {
		line(d, BODY, "The mediator's record, as of this signed checkpoint:");
		block(d, MONO, (const char *)x->data, x->len);
	}
	line(d, BODY, "This document was printed from a release bundle that verified. The "
	    "bundle itself is the proof: check it, with nothing but the mediator's public key, "
	    "by running");
	line(d, MONO, "parley verify BUNDLE_DIR --mediator-key mediator.pub");
	line(d, BODY, "or any verifier written from doc/bundle.md.");
	d->y += 8;
	line(d, HEADING, "The mediator's release certificate");
	if ((x = file(f, "certificate.txt")) != NULL)
		block(d, MONO, (const char *)x->data, x->len);
}

static int
draw(struct doc *d, const struct bundle_files *f, const uint8_t mediator[32],
    const struct cert *c, const char *summary)
{
	const struct bundle_file *x;
	char when[PTIME_BUFLEN], eff[PTIME_BUFLEN];
	size_t i;

	d->y = MARGIN;
	d->page = 1;
	fmt(d, TITLE, "%s", c->title);
	ptime_format_utc(c->released_at, when);
	ptime_format_utc(c->effective_at, eff);
	fmt(d, BODY, "Agreement %llu, revision %u. Released %s; in effect from %s.",
	    (unsigned long long)c->agreement, c->revision, when, eff);
	{
		char parties[2200] = "", observers[2200] = "";
		size_t off = 0, oo = 0;
		for (i = 0; i < c->nparties; i++)
			off += (size_t)snprintf(parties + off, sizeof(parties) - off, "%s%s",
			    i ? ", " : "", c->parties[i]);
		for (i = 0; i < c->nobservers; i++)
			oo += (size_t)snprintf(observers + oo, sizeof(observers) - oo, "%s%s",
			    i ? ", " : "", c->observers[i]);
		fmt(d, BODY, "Parties: %s.%s%s%s", parties, c->nobservers ? " Observers: " : "",
		    observers, c->nobservers ? "." : "");
	}
	fmt(d, SMALL, "Verified: %s", summary);
	d->y += 10;
	if ((x = file(f, "terms.txt")) != NULL) {
		line(d, HEADING, "The terms signed with the text");
		block(d, BODY, (const char *)x->data, x->len);
	}
	texts(d, f);
	if ((x = file(f, "calendar.txt")) != NULL && x->len > 0) {
		line(d, HEADING, "The Day-X calendar (OFFSET | PARTY | MEASURE | CONFIRM)");
		block(d, MONO, (const char *)x->data, x->len);
		calendar_picture(d, x);
	}
	signatures(d, f, c);
	sheets(d, f, c);
	record(d, f, mediator, c);
	footer(d);
	cairo_show_page(d->cr);
	return cairo_status(d->cr) == CAIRO_STATUS_SUCCESS ? 0 : -1;
}

/* The file being written: a new one beside the destination (mkstemp: never
 * one that exists, nor a link planted there), renamed over it once whole. */
struct out_file {
	char tmp[4096];
	const char *path;
	int fd;
	int failed;
};

static int
out_open(struct out_file *o, const char *path, char *err, size_t errlen)
{
	o->path = path;
	o->failed = 0;
	o->fd = -1;
	if ((size_t)snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", path) >= sizeof(o->tmp)) {
		snprintf(err, errlen, "%s: the path is too long", path);
		return -1;
	}
	if ((o->fd = mkstemp(o->tmp)) < 0) {
		snprintf(err, errlen, "cannot write beside %s: %s", path, strerror(errno));
		return -1;
	}
	/* a record to file and share: readable as a document is */
	(void)fchmod(o->fd, 0644);
	return 0;
}

static cairo_status_t
out_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct out_file *o = closure;
	ssize_t w;

	while (len > 0) {
		if ((w = write(o->fd, data, len)) < 0) {
			if (errno == EINTR)
				continue;
			o->failed = 1;
			return CAIRO_STATUS_WRITE_ERROR;
		}
		data += w;
		len -= (unsigned int)w;
	}
	return CAIRO_STATUS_SUCCESS;
}

/* ok: the drawing succeeded.  0 with the file in place, or -1 (err) with
 * nothing left behind. */
static int
out_close(struct out_file *o, int ok, char *err, size_t errlen)
{
	if (close(o->fd) != 0)
		o->failed = 1;
	if (!ok || o->failed || rename(o->tmp, o->path) != 0) {
		unlink(o->tmp);
		snprintf(err, errlen, "cannot write %s", o->path);
		return -1;
	}
	return 0;
}

int
render_pdf(const struct bundle_files *f, const uint8_t mediator[32], const char *path,
    char *err, size_t errlen)
{
	const struct bundle_file *ct;
	char summary[1600];
	struct out_file out;
	struct cert *c = NULL;
	struct doc d;
	size_t i;
	int rc = -1;

	/* Only what verifies is printed. */
	if (bundle_check(f, mediator, summary, sizeof(summary), err, errlen) != 0)
		return -1;
	if ((ct = file(f, "certificate.txt")) == NULL || (c = malloc(sizeof(*c))) == NULL ||
	    cert_parse((const char *)ct->data, ct->len, c, err, errlen) != 0) {
		if (c == NULL)
			snprintf(err, errlen, "out of memory");
		free(c);
		return -1;
	}
	if (out_open(&out, path, err, errlen) != 0) {
		free(c);
		return -1;
	}
	memset(&d, 0, sizeof(d));
	d.surface = cairo_pdf_surface_create_for_stream(out_write, &out, PAGE_W, PAGE_H);
	if (cairo_surface_status(d.surface) == CAIRO_STATUS_SUCCESS) {
		cairo_pdf_surface_set_metadata(d.surface, CAIRO_PDF_METADATA_TITLE, c->title);
		cairo_pdf_surface_set_metadata(d.surface, CAIRO_PDF_METADATA_CREATOR, "parley render");
		d.cr = cairo_create(d.surface);
		for (i = 0; i < 5; i++)
			d.font[i] = pango_font_description_from_string(font_names[i]);
		rc = draw(&d, f, mediator, c, summary);
		for (i = 0; i < 5; i++)
			pango_font_description_free(d.font[i]);
		cairo_destroy(d.cr);
		cairo_surface_finish(d.surface);
		if (cairo_surface_status(d.surface) != CAIRO_STATUS_SUCCESS)
			rc = -1;
	}
	cairo_surface_destroy(d.surface);
	free(c);
	return out_close(&out, rc == 0, err, errlen);
}

int
render_calendar_svg(const struct bundle_files *f, const uint8_t mediator[32], const char *path,
    char *err, size_t errlen)
{
	const struct bundle_file *x;
	char summary[1600];
	struct out_file out;
	cairo_surface_t *surf;
	cairo_t *cr;
	PangoFontDescription *font;
	struct cal c;
	double W = 900;
	int ok;

	if (bundle_check(f, mediator, summary, sizeof(summary), err, errlen) != 0)
		return -1;
	if ((x = file(f, "calendar.txt")) == NULL || x->len == 0) {
		snprintf(err, errlen, "the agreement has no Day-X calendar");
		return -1;
	}
	if (cal_parse(x, &c) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (out_open(&out, path, err, errlen) != 0) {
		cal_free(&c);
		return -1;
	}
	surf = cairo_svg_surface_create_for_stream(out_write, &out, W, cal_height(&c) + 10);
	cr = cairo_create(surf);
	font = pango_font_description_from_string("DejaVu Sans 9");
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cal_draw(cr, &c, 0, 0, W, font);
	pango_font_description_free(font);
	cal_free(&c);
	cairo_destroy(cr);
	cairo_surface_finish(surf);
	ok = cairo_surface_status(surf) == CAIRO_STATUS_SUCCESS;
	cairo_surface_destroy(surf);
	return out_close(&out, ok, err, errlen);
}
