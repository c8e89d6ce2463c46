/* Release bundles: doc/bundle.md is the specification; section numbers in
 * the comments below are its sections.  The writer and the verifier share
 * one formatter per file kind, and the verifier checks every file by
 * parsing it and writing it again: a file passes only if it is exactly the
 * bytes that formatter writes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert.h"
#include "checkpoint.h"
#include "cl_bundle.h"
#include "crypto.h"
#include "drift.h"
#include "merkle.h"
#include "ptime.h"
#include "sheet.h"
#include "sign.h"
#include "text.h"

#define TEXT_MAX_BYTES (512 * 1024)
#define CAL_DESC_MAX 300
#define LANG_TAG_MAX 8		/* a language tag (drift_lang_valid) */
#define CAL_OFFSET_MAX 31
#define MANDATE_FILE_SCOPE_MAX 300

/* ---- the file set ---- */

void
bundle_files_clear(struct bundle_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].data);
	f->n = 0;
}

int
bundle_files_add(struct bundle_files *f, const char *name, const void *data, size_t len)
{
	struct bundle_file *x;

	if (f->n == BUNDLE_MAX_FILES || strlen(name) >= BUNDLE_NAME_MAX)
		return -1;
	x = &f->v[f->n];
	/* One byte more, a NUL: the parsers below may treat a file as a string
	 * once they have checked it holds no NUL. */
	if ((x->data = malloc(len + 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(x->data, data, len);
	x->data[len] = '\0';
	x->len = len;
	snprintf(x->name, sizeof(x->name), "%s", name);
	f->n++;
	return 0;
}

static const struct bundle_file *
find_file(const struct bundle_files *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0)
			return &f->v[i];
	return NULL;
}

/* "FILE:LINE: reason" */
static int
bad(char *err, size_t errlen, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
bad(char *err, size_t errlen, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s:%d: ", file, line);

	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The copy name of section 3: PARTY, or PARTY.ROLE. */
static void
copy_name(const struct cert_copy *k, char out[2 * CERT_CODE_MAX + 2])
{
	snprintf(out, 2 * CERT_CODE_MAX + 2, "%s%s%s", k->party, *k->role ? "." : "", k->role);
}

/* ---- formatters shared by the writer and the verifier ---- */

/* A memstream's text, or NULL (freed) if it failed.  *buf is read only
 * after fclose, which sets it. */
static char *
mem_close(FILE *f, char **buf)
{
	if (fclose(f) != 0) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

/* The signatories term of t (sign_signatories), malloc'd; NULL. */
static char *
signatories_of(const Parley__AgreementText *t)
{
	return sign_signatories((const char *const *)t->parties, t->n_parties,
	    (const char *const *)t->roles, t->n_roles);
}

int
bundle_versions(const Parley__AgreementText *t, struct sheet_version *v, size_t max)
{
	size_t i;

	if (t->n_versions > max)
		return -1;
	for (i = 0; i < t->n_versions; i++) {
		v[i].lang = t->versions[i]->lang;
		v[i].text = t->versions[i]->text;
		v[i].authentic = t->versions[i]->authentic;
	}
	return (int)t->n_versions;
}

const char *
bundle_frame_of(const Parley__AgreementText *t, const char *party)
{
	size_t i;

	for (i = 0; i < t->n_frames; i++)
		if (strcmp(t->frames[i]->party, party) == 0)
			return t->frames[i]->frame;
	return "";
}

char *
bundle_core(const Parley__AgreementText *t)
{
	struct sheet_version v[SIGN_MAX_VERSIONS];
	int n = bundle_versions(t, v, SIGN_MAX_VERSIONS);

	return n < 0 ? NULL : sheet_core(t->text, v, (size_t)n);
}

int
bundle_content_hash(const Parley__AgreementText *t, const char *text, uint8_t out[32])
{
	struct sign_content c = {
		.version = t->content_version ? (int)t->content_version : SIGN_CONTENT_V1,
		.text = text ? text : t->text, .effective = t->effective,
		.validity = t->validity, .calendar = t->calendar, .zone = t->zone,
		.extends = t->extends, .reaffirms = t->reaffirms,
	};
	struct sheet_version v[SIGN_MAX_VERSIONS];
	const char *texts[SIGN_MAX_VERSIONS];
	char *sig = NULL, *langs = NULL, *auth = NULL;
	int rc = -1, n, i;

	if (c.version == SIGN_CONTENT_V3) {
		/* Only versions in ascending order of tag are well formed. */
		if (text != NULL || (n = bundle_versions(t, v, SIGN_MAX_VERSIONS)) <= 0 ||
		    sheet_terms(v, (size_t)n, &langs, &auth) != 0)
			return -1;
		for (i = 0; i < n; i++)
			texts[i] = v[i].text;
		c.languages = langs;
		c.authentic = auth;
		c.texts = texts;
		c.ntexts = (size_t)n;
	} else if (t->n_versions > 0) {
		return -1;
	}
	if (c.version > SIGN_CONTENT_V1 && (sig = signatories_of(t)) == NULL)
		goto done;
	c.signatories = sig;
	rc = sign_content_hash(&c, out);
done:
	free(langs);
	free(auth);
	free(sig);
	return rc;
}

/* 4.6: a copy's sheet, from its certificate line. */
static char *
copy_sheet(const struct cert *c, const struct cert_copy *k)
{
	char *buf = NULL, hex[129], when[PTIME_BUFLEN];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "party: %s\nrole:%s%s\nrevision: %u\n", k->party, *k->role ? " " : "",
	    k->role, c->revision);
	hex_encode(c->content_hash, 32, hex);
	fprintf(f, "content-sha256: %s\n", hex);
	hex_encode(k->key, 32, hex);
	fprintf(f, "signer-key: %s\n", hex);
	hex_encode(k->sig, 64, hex);
	ptime_format_utc(k->signed_at, when);
	fprintf(f, "signature: %s\nsigned-at: %s\n", hex, when);
	if (k->mandate != 0)
		fprintf(f, "mandate: %llu\n", (unsigned long long)k->mandate);
	if (*k->signer_name)
		fprintf(f, "signer: %s\n", k->signer_name);
	if (*k->signer_title)
		fprintf(f, "signer-title: %s\n", k->signer_title);
	if (*k->in_place_of)
		fprintf(f, "in-place-of: %s\n", k->in_place_of);
	if (k->has_reservation) {
		hex_encode(k->reservation, 32, hex);
		fprintf(f, "reservation-sha256: %s\n", hex);
	}
	if (*k->condition)
		fprintf(f, "subject-to: %s\n", k->condition);
	return mem_close(f, &buf);
}

/* The reservation the daemon sent with copy k (its party and role). */
static const char *
reservation_of(const Parley__Bundle *b, const struct cert_copy *k)
{
	size_t i;

	for (i = 0; i < b->n_copies; i++)
		if (strcmp(b->copies[i]->party, k->party) == 0 &&
		    strcmp(b->copies[i]->role, k->role) == 0)
			return b->copies[i]->reservation;
	return "";
}

/* 4.4: the languages and authentic lines of content version 3. */
static int
terms_languages(const Parley__AgreementText *t, FILE *f)
{
	struct sheet_version v[SIGN_MAX_VERSIONS];
	char *langs, *auth;
	int n = bundle_versions(t, v, SIGN_MAX_VERSIONS);

	if (n <= 0 || sheet_terms(v, (size_t)n, &langs, &auth) != 0)
		return -1;
	fprintf(f, "languages: %s\nauthentic: %s\n", langs, auth);
	free(langs);
	free(auth);
	return 0;
}

/* 4.4: terms.txt, in t's content version. */
static char *
terms_text(const Parley__AgreementText *t)
{
	char *buf = NULL, *sig = NULL;
	size_t len = 0;
	FILE *f;

	if (t->content_version > SIGN_CONTENT_V1 && (sig = signatories_of(t)) == NULL)
		return NULL;
	if ((f = open_memstream(&buf, &len)) == NULL) {
		free(sig);
		return NULL;
	}
	fprintf(f, "effective: %s\nvalidity:%s%s\n", t->effective, *t->validity ? " " : "",
	    t->validity);
	if (sig != NULL) {
		fprintf(f, "zone:%s%s\nsignatories: %s\n", *t->zone ? " " : "", t->zone, sig);
		if (t->extends)
			fprintf(f, "extends: %llu\n", (unsigned long long)t->extends);
		else
			fprintf(f, "extends:\n");
		if (t->reaffirms)
			fprintf(f, "reaffirms: %llu\n", (unsigned long long)t->reaffirms);
		else
			fprintf(f, "reaffirms:\n");
	}
	if (t->content_version == SIGN_CONTENT_V3 && terms_languages(t, f) != 0) {
		fclose(f);
		free(buf);
		free(sig);
		return NULL;
	}
	free(sig);
	return mem_close(f, &buf);
}

/* A mandate file's values (4.7). */
struct mfile {
	unsigned long long id, supersedes;
	char party[CERT_CODE_MAX + 1];
	uint8_t signer_key[32], principal_key[32], sig[64];
	char roles[SIGN_MANDATE_MAX_ROLES][CERT_CODE_MAX + 1];
	size_t nroles;
	char scope[400];
	int64_t valid_from, valid_until, issued_at;	/* valid_until 0: none */
	char in_place_of[CERT_NAME_MAX + 1];
};

static char *
mandate_text(const struct mfile *m)
{
	char *buf = NULL, hex[129], when[PTIME_BUFLEN];
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "parley mandate v1\nid: %llu\nparty: %s\n", m->id, m->party);
	hex_encode(m->signer_key, 32, hex);
	fprintf(f, "signer-key: %s\nroles:", hex);
	for (i = 0; i < m->nroles; i++)
		fprintf(f, " %s", m->roles[i]);
	fprintf(f, "\nscope: %s\n", m->scope);
	ptime_format_utc(m->valid_from, when);
	fprintf(f, "valid-from: %s\n", when);
	if (m->valid_until != 0)
		ptime_format_utc(m->valid_until, when);
	fprintf(f, "valid-until: %s\n", m->valid_until ? when : "-");
	ptime_format_utc(m->issued_at, when);
	fprintf(f, "issued-at: %s\nsupersedes: %llu\nin-place-of:%s%s\n", when, m->supersedes,
	    *m->in_place_of ? " " : "", m->in_place_of);
	hex_encode(m->principal_key, 32, hex);
	fprintf(f, "principal-key: %s\n", hex);
	hex_encode(m->sig, 64, hex);
	fprintf(f, "signature: %s\n", hex);
	return mem_close(f, &buf);
}

/* 4.10: a proof file */
static char *
proof_text(uint64_t index, const uint8_t *path, size_t nhashes)
{
	char *buf = NULL, hex[65];
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "index: %llu\n", (unsigned long long)index);
	for (i = 0; i < nhashes; i++) {
		hex_encode(path + i * MERKLE_HASH_LEN, MERKLE_HASH_LEN, hex);
		fprintf(f, "%s\n", hex);
	}
	return mem_close(f, &buf);
}

/* ---- rendering (the writer) ---- */

static int
mfile_from_msg(const Parley__Mandate *md, struct mfile *m)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	if (md->signer_key.len != 32 || md->principal_key.len != 32 || md->signature.len != 64 ||
	    md->n_roles == 0 || md->n_roles > SIGN_MANDATE_MAX_ROLES ||
	    strlen(md->party) > CERT_CODE_MAX || strlen(md->scope) >= sizeof(m->scope) ||
	    strlen(md->in_place_of) > CERT_NAME_MAX)
		return -1;
	m->id = md->id;
	m->supersedes = md->supersedes;
	snprintf(m->party, sizeof(m->party), "%s", md->party);
	memcpy(m->signer_key, md->signer_key.data, 32);
	memcpy(m->principal_key, md->principal_key.data, 32);
	memcpy(m->sig, md->signature.data, 64);
	for (i = 0; i < md->n_roles; i++) {
		if (strlen(md->roles[i]) > CERT_CODE_MAX)
			return -1;
		snprintf(m->roles[i], sizeof(m->roles[i]), "%s", md->roles[i]);
	}
	m->nroles = md->n_roles;
	snprintf(m->scope, sizeof(m->scope), "%s", md->scope);
	m->valid_from = md->valid_from;
	m->valid_until = md->valid_until;
	m->issued_at = md->issued_at;
	snprintf(m->in_place_of, sizeof(m->in_place_of), "%s", md->in_place_of);
	return 0;
}

/* Add a formatted text (NULL: out of memory) and free it. */
static int
add_text(struct bundle_files *out, const char *name, char *text)
{
	int rc;

	if (text == NULL)
		return -1;
	rc = bundle_files_add(out, name, text, strlen(text));
	free(text);
	return rc;
}

/* text.txt, or text-L.txt for each language version. */
static int
render_texts(const Parley__AgreementText *t, struct bundle_files *out)
{
	char name[BUNDLE_NAME_MAX];
	size_t i;

	if (t->n_versions == 0)
		return bundle_files_add(out, "text.txt", t->text, strlen(t->text));
	for (i = 0; i < t->n_versions; i++) {
		snprintf(name, sizeof(name), "text-%.16s.txt", t->versions[i]->lang);
		if (bundle_files_add(out, name, t->versions[i]->text,
		    strlen(t->versions[i]->text)) != 0)
			return -1;
	}
	return 0;
}

static const Parley__JournalProof *
find_proof(const Parley__Bundle *b, const char *label)
{
	size_t i;

	for (i = 0; i < b->n_proofs; i++)
		if (strcmp(b->proofs[i]->label, label) == 0)
			return b->proofs[i];
	return NULL;
}

static int
render_proof(const Parley__Bundle *b, const char *label, struct bundle_files *out, char *err,
    size_t errlen)
{
	const Parley__JournalProof *pr = find_proof(b, label);
	char name[BUNDLE_NAME_MAX];

	if (pr == NULL || pr->path.len % MERKLE_HASH_LEN != 0 ||
	    pr->path.len / MERKLE_HASH_LEN > MERKLE_MAX_PATH) {
		snprintf(err, errlen, "the bundle lacks a well-formed record proof of %s", label);
		return -1;
	}
	snprintf(name, sizeof(name), "journal-%s.entry", label);
	if (bundle_files_add(out, name, pr->entry.data, pr->entry.len) != 0)
		goto oom;
	snprintf(name, sizeof(name), "journal-%s.proof", label);
	if (add_text(out, name, proof_text(pr->index, pr->path.data,
	    pr->path.len / MERKLE_HASH_LEN)) != 0)
		goto oom;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
bundle_render(const Parley__Bundle *b, struct bundle_files *out, char *err, size_t errlen)
{
	const Parley__AgreementText *t = b->text;
	struct cert *c = NULL;
	struct mfile m;
	char name[BUNDLE_NAME_MAX], cn[2 * CERT_CODE_MAX + 2], label[BUNDLE_NAME_MAX];
	char hex[130], why[300], *core;
	size_t i, k;
	int rc = -1, bad;

	if (t == NULL || b->certificate_sig.len != 64 || *b->checkpoint == '\0') {
		snprintf(err, errlen, "the bundle is incomplete");
		return -1;
	}
	if ((c = malloc(sizeof(*c))) == NULL)
		goto oom;
	/* Copy files and names come from the certificate, the signed part. */
	if (cert_parse((const char *)b->certificate.data, b->certificate.len, c, why,
	    sizeof(why)) != 0) {
		snprintf(err, errlen, "the bundle's certificate is malformed: %s", why);
		goto done;
	}
	hex_encode(b->certificate_sig.data, 64, hex);
	strcat(hex, "\n");
	if (bundle_files_add(out, "certificate.txt", b->certificate.data, b->certificate.len) ||
	    bundle_files_add(out, "certificate.sig", hex, strlen(hex)) ||
	    render_texts(t, out) != 0 ||
	    add_text(out, "terms.txt", terms_text(t)) ||
	    bundle_files_add(out, "calendar.txt", t->calendar, strlen(t->calendar)) ||
	    bundle_files_add(out, "checkpoint.txt", b->checkpoint, strlen(b->checkpoint)))
		goto oom;
	if (render_proof(b, "release", out, err, errlen) != 0)
		goto done;
	for (i = 0; i < c->nframes; i++) {
		const char *fr = bundle_frame_of(t, c->frames[i].party);
		if (*fr == '\0') {
			snprintf(err, errlen, "the bundle lacks the frame of %s", c->frames[i].party);
			goto done;
		}
		snprintf(name, sizeof(name), "frame-%s.txt", c->frames[i].party);
		if (bundle_files_add(out, name, fr, strlen(fr)) != 0)
			goto oom;
		snprintf(name, sizeof(name), "sheet-%s.txt", c->frames[i].party);
		if ((core = bundle_core(t)) == NULL)
			goto oom;
		bad = add_text(out, name, sheet_render(fr, core)) != 0;
		free(core);
		if (bad)
			goto oom;
	}
	for (i = 0; i < c->ncopies; i++) {
		const struct cert_copy *kc = &c->copies[i];
		copy_name(kc, cn);
		snprintf(name, sizeof(name), "copy-%s.txt", cn);
		if (add_text(out, name, copy_sheet(c, kc)) != 0)
			goto oom;
		if (kc->has_reservation) {
			const char *rv = reservation_of(b, kc);
			snprintf(name, sizeof(name), "reservation-%s.txt", cn);
			if (bundle_files_add(out, name, rv, strlen(rv)) != 0)
				goto oom;
		}
		snprintf(label, sizeof(label), "copy-%s", cn);
		if (render_proof(b, label, out, err, errlen) != 0)
			goto done;
		if (kc->mandate == 0)
			continue;
		for (k = 0; k < b->n_mandates && b->mandates[k]->id != kc->mandate; k++)
			;
		if (k == b->n_mandates || mfile_from_msg(b->mandates[k], &m) != 0) {
			snprintf(err, errlen, "the bundle lacks mandate %llu of %s",
			    (unsigned long long)kc->mandate, kc->party);
			goto done;
		}
		snprintf(name, sizeof(name), "mandate-%s.txt", cn);
		if (add_text(out, name, mandate_text(&m)) != 0)
			goto oom;
	}
	rc = 0;
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
done:
	free(c);
	if (rc != 0)
		bundle_files_clear(out);
	return rc;
}

/* ---- writing and reading directories ---- */

static int
write_file(const char *dir, const struct bundle_file *x, char *err, size_t errlen)
{
	char path[4096];
	int fd;
	ssize_t w;
	size_t off = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, x->name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		goto fail;
	while (off < x->len) {
		if ((w = write(fd, x->data + off, x->len - off)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			goto fail;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	return -1;
}

int
bundle_write(const char *dir, const Parley__Bundle *b, char *err, size_t errlen)
{
	struct bundle_files *f = calloc(1, sizeof(*f));
	struct dirent *de;
	DIR *d = NULL;
	size_t i;
	int rc = -1;

	if (f == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (bundle_render(b, f, err, errlen) != 0)
		goto done;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		goto done;
	}
	/* What else is in dir would make the bundle fail its verification. */
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
		goto done;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (find_file(f, de->d_name) == NULL) {
			snprintf(err, errlen, "%s already holds %s, which is not a file of this "
			    "bundle: write it into an empty or new directory", dir, de->d_name);
			goto done;
		}
	}
	if (errno != 0) {
		snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
		goto done;
	}
	for (i = 0; i < f->n; i++)
		if (write_file(dir, &f->v[i], err, errlen) != 0)
			goto done;
	rc = 0;
done:
	if (d != NULL)
		closedir(d);
	bundle_files_clear(f);
	free(f);
	return rc;
}

static int
load_one(int dfd, const char *name, struct bundle_files *out, char *err, size_t errlen)
{
	struct stat st, st2;
	uint8_t *buf = NULL;
	size_t off = 0;
	ssize_t r;
	int fd, rc = -1;

	if (strlen(name) >= BUNDLE_NAME_MAX)
		return bad(err, errlen, name, 0, "not a file of a release bundle");
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return bad(err, errlen, name, 0, "cannot read: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bad(err, errlen, name, 0, "not a regular file (a bundle holds only "
		    "regular files; links are not followed)");
	if (st.st_size > BUNDLE_FILE_MAX)
		return bad(err, errlen, name, 0, "larger than %d bytes", BUNDLE_FILE_MAX);
	/* The entry may have been replaced since fstatat: O_NONBLOCK so that a
	 * FIFO put in its place cannot make open wait for a writer, and the
	 * open file must be the regular file that was looked at. */
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return bad(err, errlen, name, 0, "cannot read: %s", strerror(errno));
	if (fstat(fd, &st2) != 0 || !S_ISREG(st2.st_mode) || st2.st_dev != st.st_dev ||
	    st2.st_ino != st.st_ino) {
		bad(err, errlen, name, 0, "not a regular file (it was replaced while it was read)");
		goto done;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		bad(err, errlen, name, 0, "out of memory");
		goto done;
	}
	/* Read to the end, whatever the size said, and no further than the cap. */
	for (;;) {
		if (off == (size_t)st.st_size + 1) {
			bad(err, errlen, name, 0, "changed while it was read");
			goto done;
		}
		r = read(fd, buf + off, (size_t)st.st_size + 1 - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			bad(err, errlen, name, 0, "cannot read: %s", strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	if (bundle_files_add(out, name, buf, off) != 0) {
		bad(err, errlen, name, 0, out->n == BUNDLE_MAX_FILES ? "more files than a bundle "
		    "can have" : "out of memory");
		goto done;
	}
	rc = 0;
done:
	free(buf);
	close(fd);
	return rc;
}

int
bundle_load(const char *dir, struct bundle_files *out, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rc = load_one(dirfd(d), de->d_name, out, err, errlen);
	}
	if (rc == 0 && errno != 0) {
		snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
		rc = -1;
	}
	closedir(d);
	if (rc != 0)
		bundle_files_clear(out);
	return rc;
}

/* ---- strict reading (the verifier) ---- */

/* Lines of one file: each ends with LF; no NUL. */
struct lr {
	const char *file;
	const char *p, *end;
	int no;
	char line[4096];
};

static void
lr_init(struct lr *l, const struct bundle_file *x)
{
	l->file = x->name;
	l->p = (const char *)x->data;
	l->end = l->p + x->len;
	l->no = 0;
}

/* The next line into l->line (without LF); -1 with err at the end or for a
 * line without its LF, too long, or holding a NUL or CR. */
static int
lr_next(struct lr *l, const char *what, char *err, size_t errlen)
{
	const char *nl;
	size_t n;

	if (l->p >= l->end)
		return bad(err, errlen, l->file, l->no + 1, "the file ends before %s", what);
	l->no++;
	if ((nl = memchr(l->p, '\n', (size_t)(l->end - l->p))) == NULL)
		return bad(err, errlen, l->file, l->no, "the last line has no LF");
	n = (size_t)(nl - l->p);
	if (n >= sizeof(l->line))
		return bad(err, errlen, l->file, l->no, "line too long");
	if (memchr(l->p, '\0', n) != NULL || memchr(l->p, '\r', n) != NULL)
		return bad(err, errlen, l->file, l->no, "a NUL or CR byte");
	memcpy(l->line, l->p, n);
	l->line[n] = '\0';
	l->p = nl + 1;
	return 0;
}

/* The value of the next line, which must be the field name (2: "NAME: V",
 * "NAME:" when empty); NULL with err. */
static const char *
lr_field(struct lr *l, const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);

	if (lr_next(l, name, err, errlen) != 0)
		return NULL;
	if (strncmp(l->line, name, n) != 0 || l->line[n] != ':') {
		bad(err, errlen, l->file, l->no, "expected \"%s:\"", name);
		return NULL;
	}
	if (l->line[n + 1] == '\0')
		return l->line + n + 1;
	if (l->line[n + 1] != ' ' || l->line[n + 2] == '\0') {
		bad(err, errlen, l->file, l->no, "\"%s:\" must be followed by one space and a "
		    "value, or end the line", name);
		return NULL;
	}
	return l->line + n + 2;
}

static int
lr_done(const struct lr *l, char *err, size_t errlen)
{
	if (l->p != l->end)
		return bad(err, errlen, l->file, l->no + 1, "unexpected data after the last line");
	return 0;
}

/* Decimal without sign or leading zeros, at most max. */
static int
dec(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > (max - (unsigned)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	*out = v;
	return 0;
}

/* Lower-case hex of exactly n bytes. */
static int
lhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < 2 * n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	return hex_decode(s, out, n);
}

/* A time in its one spelling, YYYY-MM-DDTHH:MM:SSZ. */
static int
utc_time(const char *s, int64_t *out)
{
	char again[PTIME_BUFLEN];
	int64_t t;

	if (strlen(s) != 20 || ptime_parse(s, &t) != 0)
		return -1;
	ptime_format_utc(t, again);
	if (strcmp(again, s) != 0)
		return -1;
	*out = t;
	return 0;
}

/* A file must equal what its formatter writes. */
static int
same_bytes(const struct bundle_file *x, const char *want, const char *what, char *err,
    size_t errlen)
{
	size_t n;

	if (want == NULL)
		return bad(err, errlen, x->name, 0, "out of memory");
	n = strlen(want);
	if (n != x->len || memcmp(want, x->data, n) != 0)
		return bad(err, errlen, x->name, text_first_diff_line(want, n,
		    (const char *)x->data, x->len), "differs from %s", what);
	return 0;
}

/* UTF-8, no NUL, no CR (4.3-4.5). */
static int
clean_text(const struct bundle_file *x, char *err, size_t errlen)
{
	const char *p = (const char *)x->data, *q;

	if ((q = memchr(p, '\0', x->len)) != NULL || (q = memchr(p, '\r', x->len)) != NULL)
		return bad(err, errlen, x->name, text_first_diff_line(p, (size_t)(q - p), p, x->len),
		    "a %s byte", *q ? "CR" : "NUL");
	if (!text_utf8_valid(p, x->len)) {
		size_t i = 0, k;
		while (i < x->len && (k = text_utf8_len(p + i, x->len - i)) != 0)
			i += k;
		return bad(err, errlen, x->name, text_first_diff_line(p, i, p, x->len),
		    "not well-formed UTF-8");
	}
	return 0;
}

/* ---- the checks of section 7 ---- */

/* Step 1: certificate.sig verifies over certificate.txt. */
static int
check_signature(const struct bundle_file *ct, const struct bundle_file *cs,
    const uint8_t mediator[32], char *err, size_t errlen)
{
	uint8_t sig[64];
	char hex[129];
	int rc;

	if (cs->len != 129 || cs->data[128] != '\n')
		return bad(err, errlen, cs->name, 1, "not 128 hex digits and a LF");
	memcpy(hex, cs->data, 128);
	hex[128] = '\0';
	if (lhex(hex, sig, 64) != 0)
		return bad(err, errlen, cs->name, 1, "not 128 lower-case hex digits");
	rc = crypto_verify(mediator, ct->data, ct->len, sig);
	if (rc == -2)
		return bad(err, errlen, cs->name, 0, "out of memory checking the signature");
	if (rc != 0)
		return bad(err, errlen, ct->name, 0, "not signed by this mediator key (the "
		    "certificate or its signature was altered, or the key is another)");
	return 0;
}

/* Step 2: cert_parse is strict; its "certificate line N: " becomes FILE:N. */
static int
check_cert(const struct bundle_file *ct, struct cert *c, char *err, size_t errlen)
{
	char why[400];
	int line = 0, off = 0;

	if (cert_parse((const char *)ct->data, ct->len, c, why, sizeof(why)) == 0)
		return 0;
	if (sscanf(why, "certificate line %d: %n", &line, &off) == 1 && off > 0)
		return bad(err, errlen, ct->name, line, "%s", why + off);
	return bad(err, errlen, ct->name, line, "%s", why);
}

/* The languages a terms.txt of eight lines names on its seventh, for the
 * file set (the line's spelling is check_terms'): their number, 0 when it
 * names none. */
static size_t
set_languages(const struct bundle_files *f, char langs[SIGN_MAX_VERSIONS][LANG_TAG_MAX + 1])
{
	const struct bundle_file *te = find_file(f, "terms.txt");
	const char *p, *end, *q;
	size_t lines = 0, n = 0, i;

	if (te == NULL)
		return 0;
	for (i = 0; i < te->len; i++)
		lines += te->data[i] == '\n';
	if (lines != 8)
		return 0;
	p = (const char *)te->data;
	end = p + te->len;
	for (i = 0; i < 6 && (q = memchr(p, '\n', (size_t)(end - p))) != NULL; i++)
		p = q + 1;
	if (strncmp(p, "languages: ", 11) != 0)
		return 0;
	for (p += 11; n < SIGN_MAX_VERSIONS && *p != '\n'; p = q + (*q == ' ')) {
		for (q = p; *q != ' ' && *q != '\n'; q++)
			;
		if (q == p || q - p > LANG_TAG_MAX)
			return n;
		memcpy(langs[n], p, (size_t)(q - p));
		langs[n++][q - p] = '\0';
	}
	return n;
}

/* Step 3: exactly the files the certificate (and terms.txt's languages)
 * call for. */
static int
check_set(const struct bundle_files *f, const struct cert *c, char *err, size_t errlen)
{
	static const char *const fixed[] = { "certificate.txt", "certificate.sig",
	    "terms.txt", "calendar.txt", "checkpoint.txt", "journal-release.entry",
	    "journal-release.proof" };
	char want[BUNDLE_MAX_FILES][BUNDLE_NAME_MAX], cn[2 * CERT_CODE_MAX + 2];
	char langs[SIGN_MAX_VERSIONS][LANG_TAG_MAX + 1];
	size_t n = 0, i, k, nl = set_languages(f, langs);

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		snprintf(want[n++], BUNDLE_NAME_MAX, "%s", fixed[i]);
	if (nl == 0)
		snprintf(want[n++], BUNDLE_NAME_MAX, "text.txt");
	for (i = 0; i < nl; i++)
		snprintf(want[n++], BUNDLE_NAME_MAX, "text-%s.txt", langs[i]);
	for (i = 0; i < c->nframes; i++) {
		snprintf(want[n++], BUNDLE_NAME_MAX, "frame-%s.txt", c->frames[i].party);
		snprintf(want[n++], BUNDLE_NAME_MAX, "sheet-%s.txt", c->frames[i].party);
	}
	for (i = 0; i < c->ncopies; i++) {
		copy_name(&c->copies[i], cn);
		snprintf(want[n++], BUNDLE_NAME_MAX, "copy-%s.txt", cn);
		snprintf(want[n++], BUNDLE_NAME_MAX, "journal-copy-%s.entry", cn);
		snprintf(want[n++], BUNDLE_NAME_MAX, "journal-copy-%s.proof", cn);
		if (c->copies[i].mandate != 0)
			snprintf(want[n++], BUNDLE_NAME_MAX, "mandate-%s.txt", cn);
		if (c->copies[i].has_reservation)
			snprintf(want[n++], BUNDLE_NAME_MAX, "reservation-%s.txt", cn);
	}
	for (i = 0; i < f->n; i++) {
		if (f->v[i].name[0] == '\0')
			return bad(err, errlen, "(a file without a name)", 0, "not a file of this "
			    "bundle");
		for (k = 0; k < i; k++)
			if (strcmp(f->v[k].name, f->v[i].name) == 0)
				return bad(err, errlen, f->v[i].name, 0, "given twice");
		for (k = 0; k < n && strcmp(want[k], f->v[i].name) != 0; k++)
			;
		if (k == n)
			return bad(err, errlen, f->v[i].name, 0, "not a file of this bundle (the "
			    "certificate calls for %zu files)", n);
	}
	for (k = 0; k < n; k++)
		if (find_file(f, want[k]) == NULL)
			return bad(err, errlen, want[k], 0, "missing");
	return 0;
}

/* "for Ns", N >= 1 without leading zeros. */
static int
for_seconds(const char *v, unsigned long long *secs)
{
	char d[32];
	size_t n = strlen(v);

	if (n < 6 || n - 5 >= sizeof(d) || strncmp(v, "for ", 4) != 0 || v[n - 1] != 's')
		return -1;
	memcpy(d, v + 4, n - 5);
	d[n - 5] = '\0';
	return dec(d, UINT64_MAX, secs) == 0 && *secs > 0 ? 0 : -1;
}

/* terms.txt's values (4.4). */
struct terms {
	int version;
	char effective[PTIME_BUFLEN], validity[64], zone[64];
	char signatories[SIGN_SIGNATORIES_MAX + 1];
	unsigned long long extends, reaffirms;
	/* version 3 */
	char languages[SIGN_MAX_VERSIONS * (LANG_TAG_MAX + 1)];
	char authentic[SIGN_MAX_VERSIONS * (LANG_TAG_MAX + 1)];
	char lang[SIGN_MAX_VERSIONS][LANG_TAG_MAX + 1];
	int is_authentic[SIGN_MAX_VERSIONS];
	size_t nlang;
};

/* 4.4: a list of language tags, ascending, one space apart, into tags. */
static int
tag_list(const char *v, char tags[SIGN_MAX_VERSIONS][LANG_TAG_MAX + 1], size_t *n)
{
	const char *p = v, *q;

	*n = 0;
	if (*v == '\0')
		return -1;
	for (;;) {
		q = strchr(p, ' ');
		if (q == NULL)
			q = p + strlen(p);
		if (*n == SIGN_MAX_VERSIONS || q == p || q - p > LANG_TAG_MAX)
			return -1;
		memcpy(tags[*n], p, (size_t)(q - p));
		tags[*n][q - p] = '\0';
		if (!drift_lang_valid(tags[*n]) || (*n > 0 && strcmp(tags[*n - 1], tags[*n]) >= 0))
			return -1;
		(*n)++;
		if (*q == '\0')
			return 0;
		p = q + 1;
	}
}

/* 4.4: the languages and authentic lines of content version 3. */
static int
check_languages(struct lr *l, const struct bundle_file *x, struct terms *tm, char *err,
    size_t errlen)
{
	char auth[SIGN_MAX_VERSIONS][LANG_TAG_MAX + 1];
	const char *v;
	size_t na, i, k;

	if ((v = lr_field(l, "languages", err, errlen)) == NULL)
		return -1;
	if (tag_list(v, tm->lang, &tm->nlang) != 0)
		return bad(err, errlen, x->name, l->no, "languages must be 1 to %d language tags "
		    "(ru, en, hy) in ascending order, each once, one space apart",
		    SIGN_MAX_VERSIONS);
	snprintf(tm->languages, sizeof(tm->languages), "%s", v);
	if ((v = lr_field(l, "authentic", err, errlen)) == NULL)
		return -1;
	if (tag_list(v, auth, &na) != 0)
		return bad(err, errlen, x->name, l->no, "authentic must be one or more of the "
		    "languages, in the same order, each once, one space apart");
	for (k = 0; k < na; k++) {
		for (i = 0; i < tm->nlang && strcmp(tm->lang[i], auth[k]) != 0; i++)
			;
		if (i == tm->nlang)
			return bad(err, errlen, x->name, l->no, "%s is authentic but not one of the "
			    "languages", auth[k]);
		tm->is_authentic[i] = 1;
	}
	snprintf(tm->authentic, sizeof(tm->authentic), "%s", v);
	return 0;
}

/* A zone's spelling (4.4): empty, or 1 to 63 bytes of parts separated by
 * single /, each one or more letters, digits, _ + -. */
static int
zone_spelling(const char *z)
{
	size_t i, n = strlen(z);
	int part = 0;

	if (n == 0)
		return 0;
	if (n > 63)
		return -1;
	for (i = 0; i < n; i++) {
		if (z[i] == '/') {
			if (part == 0)
				return -1;
			part = 0;
		} else if ((z[i] >= 'a' && z[i] <= 'z') || (z[i] >= 'A' && z[i] <= 'Z') ||
		    (z[i] >= '0' && z[i] <= '9') || strchr("_+-", z[i]) != NULL) {
			part++;
		} else {
			return -1;
		}
	}
	return part > 0 ? 0 : -1;
}

/* The roles of party's copy lines in c, in their order: their number. */
static size_t
copies_of(const struct cert *c, const char *party, const char **roles, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < c->ncopies; i++)
		if (strcmp(c->copies[i].party, party) == 0 && n < max)
			roles[n++] = c->copies[i].role;
	return n;
}

/* 4.4: the signatories term against the certificate: its parties in the
 * order of parties:, each role of a party written once, ascending, and the
 * copy lines exactly the signatures it requires. */
static int
check_signatories(const char *v, const struct cert *c, const char *file, int line,
    char *err, size_t errlen)
{
	char buf[SIGN_SIGNATORIES_MAX + 1], *tok, *save = NULL, *role, *rsave, *eq;
	const char *have[CERT_MAX_COPIES];
	size_t np = 0, nr, k;

	if (*v == '\0' || strlen(v) > SIGN_SIGNATORIES_MAX || v[strlen(v) - 1] == ' ' ||
	    strstr(v, "  ") != NULL || v[0] == ' ')
		return bad(err, errlen, file, line, "signatories must be party codes separated "
		    "by one space");
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save), np++) {
		if ((eq = strchr(tok, '=')) != NULL)
			*eq = '\0';
		if (np >= c->nparties || strcmp(tok, c->parties[np]) != 0)
			return bad(err, errlen, file, line, "signatories must name the parties of "
			    "the certificate, in its order");
		nr = copies_of(c, tok, have, CERT_MAX_COPIES);
		if (eq == NULL) {
			if (nr != 1)
				return bad(err, errlen, file, line, "%s, of which no role is "
				    "required, has %zu copy lines, not one", tok, nr);
			continue;
		}
		if (eq[1] == '\0' || eq[1] == '+' || eq[strlen(eq + 1)] == '+' ||
		    strstr(eq + 1, "++") != NULL)
			return bad(err, errlen, file, line, "the roles of %s must be names joined "
			    "by +", tok);
		k = 0;
		for (role = strtok_r(eq + 1, "+", &rsave); role; role = strtok_r(NULL, "+",
		    &rsave), k++) {
			if (!ident_valid(role))
				return bad(err, errlen, file, line, "\"%s\" is not a role name", role);
			if (k >= nr || strcmp(have[k], role) != 0)
				return bad(err, errlen, file, line, "the copy lines of %s are not one "
				    "for each role required of it, in ascending order", tok);
		}
		if (k != nr)
			return bad(err, errlen, file, line, "the copy lines of %s are not one for "
			    "each role required of it", tok);
	}
	if (np != c->nparties)
		return bad(err, errlen, file, line, "signatories must name every party of the "
		    "certificate");
	return 0;
}

/* extends: and reaffirms: empty, or an agreement other than this one. */
static int
term_agreement(const char *v, const struct cert *c, unsigned long long *out)
{
	*out = 0;
	if (*v == '\0')
		return 0;
	return dec(v, UINT64_MAX, out) == 0 && *out != 0 && *out != c->agreement ? 0 : -1;
}

/* 4.4: terms.txt (two lines: content version 1; six: version 2); the
 * effective-time rule. */
static int
check_terms(const struct bundle_file *x, const struct cert *c, struct terms *tm,
    char *err, size_t errlen)
{
	static const char *const rel[2] = { "extends", "reaffirms" };
	unsigned long long secs, *relv[2] = { &tm->extends, &tm->reaffirms };
	struct lr l;
	const char *v;
	int64_t t;
	int i;

	memset(tm, 0, sizeof(*tm));
	lr_init(&l, x);
	if ((v = lr_field(&l, "effective", err, errlen)) == NULL)
		return -1;
	if (strcmp(v, "on-release") != 0 && utc_time(v, &t) != 0)
		return bad(err, errlen, x->name, l.no, "effective must be on-release or a time "
		    "like 1994-05-12T00:01:00Z");
	snprintf(tm->effective, sizeof(tm->effective), "%s", v);
	if ((v = lr_field(&l, "validity", err, errlen)) == NULL)
		return -1;
	if (!(*v == '\0' || for_seconds(v, &secs) == 0 ||
	    (strncmp(v, "until ", 6) == 0 && utc_time(v + 6, &t) == 0)))
		return bad(err, errlen, x->name, l.no, "validity must be empty, \"for Ns\" or "
		    "\"until TIME\"");
	snprintf(tm->validity, sizeof(tm->validity), "%s", v);
	tm->version = SIGN_CONTENT_V1;
	if (l.p != l.end) {
		tm->version = SIGN_CONTENT_V2;
		if ((v = lr_field(&l, "zone", err, errlen)) == NULL)
			return -1;
		if (zone_spelling(v) != 0)
			return bad(err, errlen, x->name, l.no, "zone must be empty or a time zone "
			    "name such as Europe/Moscow");
		snprintf(tm->zone, sizeof(tm->zone), "%s", v);
		if ((v = lr_field(&l, "signatories", err, errlen)) == NULL ||
		    check_signatories(v, c, x->name, l.no, err, errlen) != 0)
			return -1;
		snprintf(tm->signatories, sizeof(tm->signatories), "%s", v);
		for (i = 0; i < 2; i++) {
			if ((v = lr_field(&l, rel[i], err, errlen)) == NULL)
				return -1;
			if (term_agreement(v, c, relv[i]) != 0)
				return bad(err, errlen, x->name, l.no, "%s must be empty or the number "
				    "of another agreement", rel[i]);
		}
	}
	if (l.p != l.end) {
		tm->version = SIGN_CONTENT_V3;
		if (check_languages(&l, x, tm, err, errlen) != 0)
			return -1;
	}
	if (lr_done(&l, err, errlen) != 0)
		return -1;
	/* The effective-time rule. */
	if (strcmp(tm->effective, "on-release") == 0)
		t = c->released_at;
	else if (utc_time(tm->effective, &t) == 0 && t < c->released_at)
		t = c->released_at;
	if (t != c->effective_at)
		return bad(err, errlen, "certificate.txt", 9, "effective-at is not what terms.txt "
		    "and the release time make it (doc/bundle.md 4.4)");
	return 0;
}

/* An offset of 4.5. */
static int
cal_offset(const char *s)
{
	const char *p = s + 2;
	unsigned long v;
	int digits;

	if (strlen(s) > CAL_OFFSET_MAX || s[0] != 'X')
		return -1;
	if (s[1] == '\0')
		return 0;
	if ((s[1] != '+' && s[1] != '-') || *p == '\0')
		return -1;
	while (*p) {
		for (v = 0, digits = 0; *p >= '0' && *p <= '9'; p++, digits++)
			v = v * 10 + (unsigned long)(*p - '0');
		if (digits == 0 || digits > 6 || v > 100000 || !strchr("smhdw", *p) || *p == '\0')
			return -1;
		p++;
	}
	return 0;
}

/* 4.5: calendar.txt, line by line. */
static int
check_calendar(const struct bundle_file *x, const struct cert *c, char *err, size_t errlen)
{
	struct lr l;
	char *f[4], *q;
	size_t k, n;

	lr_init(&l, x);
	while (l.p < l.end) {
		if (lr_next(&l, "a measure", err, errlen) != 0)
			return -1;
		for (k = 0, q = l.line; k < 4; k++) {
			f[k] = q;
			q = strstr(q, " | ");
			if (k < 3 && q == NULL)
				return bad(err, errlen, x->name, l.no, "not OFFSET | PARTY | "
				    "DESCRIPTION | CONFIRM");
			if (q != NULL && k < 3) {
				*q = '\0';
				q += 3;
			}
		}
		if (cal_offset(f[0]) != 0)
			return bad(err, errlen, x->name, l.no, "bad offset \"%s\"", f[0]);
		if (strcmp(f[1], "all") != 0 && strcmp(f[1], "mediator") != 0) {
			for (k = 0; k < c->nparties && strcmp(c->parties[k], f[1]) != 0; k++)
				;
			if (k == c->nparties)
				return bad(err, errlen, x->name, l.no, "\"%s\" is not all, mediator "
				    "nor a party of the certificate", f[1]);
		}
		n = strlen(f[2]);
		if (n == 0 || n > CAL_DESC_MAX || f[2][0] == ' ' || f[2][0] == '\t' ||
		    f[2][n - 1] == ' ' || f[2][n - 1] == '\t' || strchr(f[2], '|') != NULL)
			return bad(err, errlen, x->name, l.no, "bad description");
		/* no byte below 0x20 but tab, no 0x7F: parleyd asks more of a
		 * new measure (shown as it is), not of a calendar signed before */
		for (k = 0; k < n; k++)
			if ((((unsigned char)f[2][k] < 0x20 && f[2][k] != '\t') || f[2][k] == 0x7f))
				return bad(err, errlen, x->name, l.no, "a control character in the "
				    "description");
		if (strcmp(f[3], "-") != 0 && (strcmp(f[3], "confirm") != 0 ||
		    strcmp(f[1], "mediator") == 0))
			return bad(err, errlen, x->name, l.no, "the last field must be confirm or "
			    "- (and - for the mediator)");
	}
	return 0;
}

/* 4.3: a text file. */
static int
check_text_file(const struct bundle_file *x, char *err, size_t errlen)
{
	if (clean_text(x, err, errlen) != 0)
		return -1;
	if (x->len == 0 || x->len > TEXT_MAX_BYTES)
		return bad(err, errlen, x->name, 0, "the text must be 1 to %d bytes",
		    TEXT_MAX_BYTES);
	return 0;
}

/* The texts of tm's content version into sv (the one text, or each
 * text-L.txt), checked: their number, or -1. */
static int
content_texts(const struct bundle_files *f, const struct terms *tm,
    struct sheet_version *sv, char *err, size_t errlen)
{
	const struct bundle_file *x;
	char name[BUNDLE_NAME_MAX];
	size_t i, total = 0;

	if (tm->version != SIGN_CONTENT_V3) {
		if (check_text_file(x = find_file(f, "text.txt"), err, errlen) != 0)
			return -1;
		sv[0] = (struct sheet_version){ "", (const char *)x->data, 0 };
		return 1;
	}
	for (i = 0; i < tm->nlang; i++) {
		snprintf(name, sizeof(name), "text-%s.txt", tm->lang[i]);
		if ((x = find_file(f, name)) == NULL)
			return bad(err, errlen, name, 0, "missing");
		if (check_text_file(x, err, errlen) != 0)
			return -1;
		if ((total += x->len) > TEXT_MAX_BYTES)
			return bad(err, errlen, x->name, 0, "the texts together are more than %d "
			    "bytes", TEXT_MAX_BYTES);
		sv[i] = (struct sheet_version){ tm->lang[i], (const char *)x->data,
		    tm->is_authentic[i] };
	}
	return (int)tm->nlang;
}

/* Step 4: text, terms, calendar, the content hash; *core, the core of a
 * sheet (4.13), is malloc'd for the caller. */
static int
check_content(const struct bundle_files *f, const struct cert *c, char **core, char *err,
    size_t errlen)
{
	const struct bundle_file *te = find_file(f, "terms.txt");
	const struct bundle_file *ca = find_file(f, "calendar.txt");
	struct sheet_version sv[SIGN_MAX_VERSIONS];
	const char *texts[SIGN_MAX_VERSIONS];
	struct terms *tm;
	struct sign_content sc;
	uint8_t h[32];
	int rc, n, i;

	*core = NULL;
	if (clean_text(te, err, errlen) || clean_text(ca, err, errlen))
		return -1;
	if ((tm = malloc(sizeof(*tm))) == NULL)
		return bad(err, errlen, te->name, 0, "out of memory");
	if (check_terms(te, c, tm, err, errlen) != 0 || check_calendar(ca, c, err, errlen) != 0 ||
	    (n = content_texts(f, tm, sv, err, errlen)) < 0) {
		free(tm);
		return -1;
	}
	for (i = 0; i < n; i++)
		texts[i] = sv[i].text;
	sc = (struct sign_content){ .version = tm->version, .text = sv[0].text,
	    .effective = tm->effective, .validity = tm->validity,
	    .calendar = (const char *)ca->data, .zone = tm->zone,
	    .signatories = tm->signatories, .extends = tm->extends,
	    .reaffirms = tm->reaffirms, .languages = tm->languages,
	    .authentic = tm->authentic, .texts = texts, .ntexts = (size_t)n };
	rc = sign_content_hash(&sc, h);
	if (rc == 0)
		*core = tm->version == SIGN_CONTENT_V3 ? sheet_core(NULL, sv, (size_t)n) :
		    sheet_core(sv[0].text, NULL, 0);
	free(tm);
	if (rc != 0 || *core == NULL)
		return bad(err, errlen, "terms.txt", 0, "out of memory");
	if (memcmp(h, c->content_hash, 32) != 0) {
		free(*core);
		*core = NULL;
		return bad(err, errlen, "certificate.txt", 5, "the texts, terms.txt and "
		    "calendar.txt are not what was signed: their content hash differs from the "
		    "certificate's");
	}
	return 0;
}

/* Step 5, 4.12 and 4.13: each frame and the sheet it makes with core. */
static int
check_frames(const struct bundle_files *f, const struct cert *c, const char *core, char *err,
    size_t errlen)
{
	const struct bundle_file *x;
	char name[BUNDLE_NAME_MAX], why[200], *sheet;
	uint8_t h[32];
	size_t i;
	int rc;

	for (i = 0; i < c->nframes; i++) {
		snprintf(name, sizeof(name), "frame-%s.txt", c->frames[i].party);
		x = find_file(f, name);
		if (clean_text(x, err, errlen) != 0)
			return -1;
		if (sheet_frame_check((const char *)x->data, x->len, why, sizeof(why)) != 0)
			return bad(err, errlen, x->name, 0, "%s", why);
		if (crypto_sha256(x->data, x->len, h) != 0)
			return bad(err, errlen, x->name, 0, "out of memory");
		if (memcmp(h, c->frames[i].hash, 32) != 0)
			return bad(err, errlen, x->name, 0, "not the frame the certificate names (its "
			    "SHA-256 differs)");
		if ((sheet = sheet_render((const char *)x->data, core)) == NULL)
			return bad(err, errlen, x->name, 0, "out of memory");
		snprintf(name, sizeof(name), "sheet-%s.txt", c->frames[i].party);
		rc = same_bytes(find_file(f, name), sheet, "the frame around the agreed text", err,
		    errlen);
		free(sheet);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* roles: " R1 R2" ascending, distinct identifiers. */
static int
parse_roles(const char *v, struct mfile *m)
{
	char buf[400], *tok, *save = NULL;

	if (strlen(v) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	m->nroles = 0;
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (m->nroles == SIGN_MANDATE_MAX_ROLES || !ident_valid(tok) ||
		    (m->nroles > 0 && strcmp(m->roles[m->nroles - 1], tok) >= 0))
			return -1;
		snprintf(m->roles[m->nroles++], CERT_CODE_MAX + 1, "%s", tok);
	}
	return m->nroles > 0 ? 0 : -1;
}

/* SCOPE of 4.7; 1 if it lists agreement (or is any or a label), 0 if not. */
static int
scope_valid(const char *s, uint64_t agreement, int *covers)
{
	unsigned long long v, prev = 0;
	char buf[400], *tok, *save = NULL;

	*covers = 1;
	if (strcmp(s, "any") == 0)
		return 0;
	if (strncmp(s, "label:", 6) == 0)
		return ident_valid(s + 6) ? 0 : -1;
	if (strncmp(s, "agreements:", 11) != 0 || strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s + 11);
	if (buf[0] == '\0' || buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,"))
		return -1;
	*covers = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (dec(tok, UINT64_MAX, &v) != 0 || v == 0 || v <= prev)
			return -1;
		if (v == agreement)
			*covers = 1;
		prev = v;
	}
	return 0;
}

/* 4.7: parse a mandate file strictly. */
static int
parse_mandate(const struct bundle_file *x, struct mfile *m, char *err, size_t errlen)
{
	struct lr l;
	const char *v;

	memset(m, 0, sizeof(*m));
	lr_init(&l, x);
#define F(name) if ((v = lr_field(&l, name, err, errlen)) == NULL) return -1
#define B(what) return bad(err, errlen, x->name, l.no, "bad %s", what)
	if (lr_next(&l, "its first line", err, errlen) != 0)
		return -1;
	if (strcmp(l.line, "parley mandate v1") != 0)
		B("first line: not \"parley mandate v1\"");
	F("id");
	if (dec(v, UINT64_MAX, &m->id) != 0 || m->id == 0)
		B("id");
	F("party");
	if (!ident_valid(v))
		B("party");
	snprintf(m->party, sizeof(m->party), "%s", v);
	F("signer-key");
	if (lhex(v, m->signer_key, 32) != 0)
		B("signer key");
	F("roles");
	if (parse_roles(v, m) != 0)
		B("roles (1 to 8 distinct roles, ascending)");
	F("scope");
	if (strlen(v) > MANDATE_FILE_SCOPE_MAX)
		B("scope");
	snprintf(m->scope, sizeof(m->scope), "%s", v);
	F("valid-from");
	if (utc_time(v, &m->valid_from) != 0)
		B("valid-from");
	F("valid-until");
	/* 4.7: "-", or a time after 1970-01-01T00:00:00Z (the payload writes 0
	 * for "-"; an end before 1970 is no valid-until either). */
	if (strcmp(v, "-") != 0 && (utc_time(v, &m->valid_until) != 0 || m->valid_until <= 0))
		B("valid-until");
	F("issued-at");
	if (utc_time(v, &m->issued_at) != 0)
		B("issued-at");
	F("supersedes");
	if (dec(v, UINT64_MAX, &m->supersedes) != 0)
		B("supersedes");
	F("in-place-of");
	if (*v && !cert_name_valid(v))
		B("in-place-of name");
	snprintf(m->in_place_of, sizeof(m->in_place_of), "%s", v);
	F("principal-key");
	if (lhex(v, m->principal_key, 32) != 0)
		B("principal key");
	F("signature");
	if (lhex(v, m->sig, 64) != 0)
		B("signature");
#undef F
#undef B
	return lr_done(&l, err, errlen);
}

/* 4.7: the mandate of copy k, its file name name. */
static int
check_mandate(const struct bundle_file *x, const struct cert *c, const struct cert_copy *k,
    int sigs, char *err, size_t errlen)
{
	const char *rolev[SIGN_MANDATE_MAX_ROLES];
	const uint8_t *principal = cert_principal_key(c, k->party);
	struct sign_mandate_fields sf;
	struct mfile m;
	uint8_t *payload = NULL;
	size_t plen, i;
	char *again;
	int covers, in_roles = 0, rc;

	if (parse_mandate(x, &m, err, errlen) != 0)
		return -1;
	if (scope_valid(m.scope, c->agreement, &covers) != 0)
		return bad(err, errlen, x->name, 6, "bad scope");
	again = mandate_text(&m);
	rc = same_bytes(x, again, "the one spelling of its values", err, errlen);
	free(again);
	if (rc != 0)
		return -1;
	if (m.id != k->mandate)
		return bad(err, errlen, x->name, 2, "not mandate %llu, which the certificate "
		    "cites", (unsigned long long)k->mandate);
	if (strcmp(m.party, k->party) != 0)
		return bad(err, errlen, x->name, 3, "not a mandate of %s", k->party);
	if (memcmp(m.signer_key, k->key, 32) != 0)
		return bad(err, errlen, x->name, 4, "not for the key that signed the copy");
	if (memcmp(m.principal_key, principal, 32) != 0)
		return bad(err, errlen, x->name, 12, "not the principal key the certificate names "
		    "for %s", k->party);
	for (i = 0; i < m.nroles; i++) {
		rolev[i] = m.roles[i];
		if (strcmp(m.roles[i], k->role) == 0)
			in_roles = 1;
	}
	memset(&sf, 0, sizeof(sf));
	sf.party = m.party;
	sf.signer_key = m.signer_key;
	sf.roles = rolev;
	sf.nroles = m.nroles;
	sf.scope = m.scope;
	sf.valid_from = m.valid_from;
	sf.valid_until = m.valid_until;
	sf.issued_at = m.issued_at;
	sf.supersedes = m.supersedes;
	sf.in_place_of = m.in_place_of;
	if (sign_mandate(&sf, &payload, &plen) != 0)
		return bad(err, errlen, x->name, 0, "out of memory");
	rc = sigs ? crypto_verify(principal, payload, plen, m.sig) : 0;
	free(payload);
	if (rc != 0)
		return bad(err, errlen, x->name, 13, "the principal's signature does not verify "
		    "(the mandate was altered, or another key signed it)");
	if (!in_roles)
		return bad(err, errlen, x->name, 5, "does not give the role \"%s\"", k->role);
	if (k->signed_at < m.valid_from || (m.valid_until != 0 && k->signed_at >= m.valid_until))
		return bad(err, errlen, x->name, 7, "the copy was signed outside its validity");
	if (!covers)
		return bad(err, errlen, x->name, 6, "agreement %llu is outside its scope",
		    (unsigned long long)c->agreement);
	if (strcmp(m.in_place_of, k->in_place_of) != 0)
		return bad(err, errlen, x->name, 11, "in-place-of differs from the certificate's");
	return 0;
}

/* 4.7: copies that cite one mandate id carry identical mandate files (the
 * id is bound by the certificate only, not by the principal's signature:
 * two different mandates must not both show it). */
static int
same_mandate_file(const struct bundle_files *f, const struct cert *c, size_t i, char *err,
    size_t errlen)
{
	const struct bundle_file *x, *y;
	char name[BUNDLE_NAME_MAX], cn[2 * CERT_CODE_MAX + 2];
	size_t j;

	copy_name(&c->copies[i], cn);
	snprintf(name, sizeof(name), "mandate-%s.txt", cn);
	x = find_file(f, name);
	for (j = 0; j < i; j++) {
		if (c->copies[j].mandate != c->copies[i].mandate)
			continue;
		copy_name(&c->copies[j], cn);
		snprintf(name, sizeof(name), "mandate-%s.txt", cn);
		y = find_file(f, name);
		if (x->len != y->len || memcmp(x->data, y->data, x->len) != 0)
			return bad(err, errlen, x->name, text_first_diff_line((const char *)x->data,
			    x->len, (const char *)y->data, y->len), "differs from %s, though both "
			    "copies cite mandate %llu", y->name,
			    (unsigned long long)c->copies[i].mandate);
		break;
	}
	return 0;
}

/* 4.11: a reservation file: text a screen shows as it is, of the hash
 * the certificate names; its text into *out (malloc'd, NUL-terminated). */
static int
check_reservation(const struct bundle_file *x, const struct cert_copy *k, char **out,
    char *err, size_t errlen)
{
	char why[160];
	uint8_t h[32];
	int line;

	*out = NULL;
	if (clean_text(x, err, errlen) != 0)
		return -1;
	if (x->len == 0 || x->len > SIGN_RESERVATION_MAX)
		return bad(err, errlen, x->name, 0, "a reservation is 1 to %d bytes",
		    SIGN_RESERVATION_MAX);
	if (text_displayable((const char *)x->data, x->len, why, sizeof(why)) != 0) {
		line = 0;
		sscanf(why, "line %d", &line);
		return bad(err, errlen, x->name, line, "%s", why);
	}
	if (crypto_sha256(x->data, x->len, h) != 0 || (*out = malloc(x->len + 1)) == NULL)
		return bad(err, errlen, x->name, 0, "out of memory");
	if (memcmp(h, k->reservation, 32) != 0) {
		free(*out);
		*out = NULL;
		return bad(err, errlen, x->name, 0, "not the reservation the certificate names "
		    "(its SHA-256 differs)");
	}
	memcpy(*out, x->data, x->len);
	(*out)[x->len] = '\0';
	return 0;
}

/* Step 5: every copy. */
static int
check_copies(const struct bundle_files *f, const struct cert *c, int sigs, char *err,
    size_t errlen)
{
	char name[BUNDLE_NAME_MAX], cn[2 * CERT_CODE_MAX + 2], *sheet;
	uint8_t *payload = NULL;
	size_t plen, i;
	int rc;

	for (i = 0; i < c->ncopies; i++) {
		const struct cert_copy *k = &c->copies[i];
		char *resv = NULL;
		const char *frame;
		copy_name(k, cn);
		if (k->has_reservation) {
			snprintf(name, sizeof(name), "reservation-%s.txt", cn);
			if (check_reservation(find_file(f, name), k, &resv, err, errlen) != 0)
				return -1;
		}
		frame = NULL;
		if (cert_frame_hash(c, k->party) != NULL) {
			snprintf(name, sizeof(name), "frame-%s.txt", k->party);
			frame = (const char *)find_file(f, name)->data;
		}
		rc = sign_payload_with(c->agreement, c->revision, c->content_hash, k->party,
		    k->role, resv, k->condition, frame, &payload, &plen);
		free(resv);
		if (rc != 0)
			return bad(err, errlen, "certificate.txt", 0, "out of memory");
		rc = sigs ? crypto_verify(k->key, payload, plen, k->sig) : 0;
		free(payload);
		if (rc != 0)
			return bad(err, errlen, "certificate.txt", 0, "the signature of %s does not "
			    "verify over agreement %llu revision %u", cn,
			    (unsigned long long)c->agreement, c->revision);
		snprintf(name, sizeof(name), "copy-%s.txt", cn);
		sheet = copy_sheet(c, k);
		rc = same_bytes(find_file(f, name), sheet, "the copy the certificate records", err,
		    errlen);
		free(sheet);
		if (rc != 0)
			return -1;
		if ((k->mandate != 0) != (cert_principal_key(c, k->party) != NULL))
			return bad(err, errlen, "certificate.txt", 0, k->mandate ? "%s's copy cites a "
			    "mandate, but the certificate names no principal key of %s" : "%s has a "
			    "principal key, but its copy cites no mandate", cn, k->party);
		if (k->mandate == 0)
			continue;
		snprintf(name, sizeof(name), "mandate-%s.txt", cn);
		if (check_mandate(find_file(f, name), c, k, sigs, err, errlen) != 0)
			return -1;
		if (same_mandate_file(f, c, i, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* 4.10: a proof file into index and path. */
static int
parse_proof(const struct bundle_file *x, uint64_t *index, uint8_t *path, size_t *n, char *err,
    size_t errlen)
{
	struct lr l;
	const char *v;
	unsigned long long u;

	lr_init(&l, x);
	if ((v = lr_field(&l, "index", err, errlen)) == NULL)
		return -1;
	if (dec(v, UINT64_MAX, &u) != 0)
		return bad(err, errlen, x->name, 1, "bad index");
	*index = u;
	*n = 0;
	while (l.p < l.end) {
		if (lr_next(&l, "a hash", err, errlen) != 0)
			return -1;
		if (*n == MERKLE_MAX_PATH)
			return bad(err, errlen, x->name, l.no, "more than %d hashes", MERKLE_MAX_PATH);
		if (lhex(l.line, path + *n * MERKLE_HASH_LEN, MERKLE_HASH_LEN) != 0)
			return bad(err, errlen, x->name, l.no, "not 64 lower-case hex digits");
		(*n)++;
	}
	return 0;
}

/* 4.9: a journal entry of kind for party (NULL: "-") with exactly the two
 * hashes h0 and h1, whose seq is index. */
static int
check_entry(const struct bundle_file *x, uint64_t index, const char *kind, uint64_t agreement,
    const char *party, const uint8_t h0[32], const uint8_t h1[32], char *err, size_t errlen)
{
	struct lr l;
	const char *v;
	unsigned long long u;
	int64_t t;
	uint8_t h[32];
	int nh = 0;

	/* 2: every file is UTF-8, the note included (lr_next refuses NUL and
	 * CR but does not look at the encoding). */
	if (clean_text(x, err, errlen) != 0)
		return -1;
	lr_init(&l, x);
	if (lr_next(&l, "its first line", err, errlen) != 0)
		return -1;
	if (strcmp(l.line, "parley journal entry v1") != 0)
		return bad(err, errlen, x->name, 1, "not \"parley journal entry v1\"");
	if ((v = lr_field(&l, "seq", err, errlen)) == NULL)
		return -1;
	if (dec(v, UINT64_MAX, &u) != 0 || u != index)
		return bad(err, errlen, x->name, l.no, "seq is not the proof's index %llu",
		    (unsigned long long)index);
	if ((v = lr_field(&l, "time", err, errlen)) == NULL)
		return -1;
	if (utc_time(v, &t) != 0)
		return bad(err, errlen, x->name, l.no, "bad time");
	if ((v = lr_field(&l, "kind", err, errlen)) == NULL)
		return -1;
	if (strcmp(v, kind) != 0)
		return bad(err, errlen, x->name, l.no, "not a %s entry", kind);
	if ((v = lr_field(&l, "agreement", err, errlen)) == NULL)
		return -1;
	if (dec(v, UINT64_MAX, &u) != 0 || u != agreement)
		return bad(err, errlen, x->name, l.no, "not of agreement %llu",
		    (unsigned long long)agreement);
	if ((v = lr_field(&l, "party", err, errlen)) == NULL)
		return -1;
	if (strcmp(v, party ? party : "-") != 0)
		return bad(err, errlen, x->name, l.no, "not of party %s", party ? party : "-");
	while (l.p < l.end) {
		if (lr_next(&l, "a line", err, errlen) != 0)
			return -1;
		if (strncmp(l.line, "sha256: ", 8) == 0 && lhex(l.line + 8, h, 32) == 0 && nh < 2) {
			if (memcmp(h, nh == 0 ? h0 : h1, 32) != 0)
				return bad(err, errlen, x->name, l.no, "not the %s", nh == 0 ?
				    "content hash" : party ? "hash of the copy's signature" :
				    "hash of certificate.txt");
			nh++;
			continue;
		}
		/* A note is not interpreted: lr_next refused NUL and CR, and the
		 * entry's bytes are bound by the proof. */
		if (strncmp(l.line, "note: ", 6) == 0 && l.line[6] != '\0' && nh == 2 &&
		    l.p == l.end)
			continue;
		return bad(err, errlen, x->name, l.no, "unexpected line");
	}
	if (nh != 2)
		return bad(err, errlen, x->name, l.no, "expected two sha256 lines");
	return 0;
}

/* One proof and entry pair against the checkpoint. */
static int
check_proof(const struct bundle_files *f, const char *label, const struct checkpoint *cp,
    const struct cert *c, const char *party, const uint8_t h1[32], char *err, size_t errlen)
{
	char name[BUNDLE_NAME_MAX];
	const struct bundle_file *pe, *pp;
	uint8_t path[MERKLE_PROOF_MAXLEN], leaf[32];
	uint64_t index = 0;
	size_t n = 0;

	snprintf(name, sizeof(name), "journal-%s.proof", label);
	pp = find_file(f, name);
	snprintf(name, sizeof(name), "journal-%s.entry", label);
	pe = find_file(f, name);
	if (parse_proof(pp, &index, path, &n, err, errlen) != 0)
		return -1;
	if (index >= cp->size)
		return bad(err, errlen, pp->name, 1, "index beyond the checkpoint's %llu entries",
		    (unsigned long long)cp->size);
	if (check_entry(pe, index, party ? "copy-accepted" : "released", c->agreement, party,
	    c->content_hash, h1, err, errlen) != 0)
		return -1;
	if (merkle_leaf_hash(pe->data, pe->len, leaf) != 0)
		return bad(err, errlen, pe->name, 0, "out of memory");
	if (merkle_verify_inclusion(index, cp->size, leaf, path, n, cp->root) != 0)
		return bad(err, errlen, pp->name, 0, "%s is not in the record the checkpoint "
		    "signs (its inclusion proof fails)", pe->name);
	return 0;
}

/* Step 6: the checkpoint, then the release and every copy in its tree. */
static int
check_record(const struct bundle_files *f, const uint8_t mediator[32], const struct cert *c,
    int sigs, char *err, size_t errlen)
{
	const struct bundle_file *x = find_file(f, "checkpoint.txt");
	struct checkpoint *cp = malloc(sizeof(*cp));
	char origin[64], why[300], cn[2 * CERT_CODE_MAX + 2], label[BUNDLE_NAME_MAX];
	uint8_t h[32];
	size_t i;
	int rc = -1, line = 0;

	if (cp == NULL)
		return bad(err, errlen, x->name, 0, "out of memory");
	if (checkpoint_origin(mediator, origin) != 0 ||
	    checkpoint_parse((const char *)x->data, x->len, cp, why, sizeof(why)) != 0) {
		sscanf(why, "line %d", &line);
		bad(err, errlen, x->name, line, "not a checkpoint: %s", why);
		goto done;
	}
	if (strcmp(cp->origin, origin) != 0) {
		bad(err, errlen, x->name, 1, "origin is not %s, this mediator key's", origin);
		goto done;
	}
	if (sigs && checkpoint_verify(cp, mediator, origin, why, sizeof(why)) != 0) {
		bad(err, errlen, x->name, 5, "not signed by this mediator key: %s", why);
		goto done;
	}
	if (crypto_sha256(find_file(f, "certificate.txt")->data,
	    find_file(f, "certificate.txt")->len, h) != 0 ||
	    check_proof(f, "release", cp, c, NULL, h, err, errlen) != 0)
		goto done;
	for (i = 0; i < c->ncopies; i++) {
		copy_name(&c->copies[i], cn);
		snprintf(label, sizeof(label), "copy-%s", cn);
		if (crypto_sha256(c->copies[i].sig, 64, h) != 0 ||
		    check_proof(f, label, cp, c, c->copies[i].party, h, err, errlen) != 0)
			goto done;
	}
	rc = 0;
done:
	free(cp);
	return rc;
}

static void
summarise(const struct cert *c, char *summary, size_t sumlen)
{
	char when[PTIME_BUFLEN], eff[PTIME_BUFLEN], hex[65];
	size_t off, i;

	ptime_format(c->released_at, when);
	ptime_format(c->effective_at, eff);
	off = (size_t)snprintf(summary, sumlen, "agreement %llu \"%s\" revision %u: %zu "
	    "identical signed copies, released %s, effective %s; certificate signed by the "
	    "mediator; release and copies proven in its record%s",
	    (unsigned long long)c->agreement, c->title, c->revision, c->ncopies, when, eff,
	    c->nprincipals ? "; mandates verified to the principal keys" : "");
	for (i = 0; i < c->ncopies && off < sumlen; i++)
		if (*c->copies[i].in_place_of) {
			hex_encode(c->copies[i].key, 32, hex);
			off += (size_t)snprintf(summary + off, sumlen - off, "; %s (%s) signed by "
			    "key %.16s in place of %s", c->copies[i].party, c->copies[i].role, hex,
			    c->copies[i].in_place_of);
		}
	for (i = 0; i < c->nframes && off < sumlen; i++)
		off += (size_t)snprintf(summary + off, sumlen - off, "; %s signed its own sheet, "
		    "the text in its address and signature blocks (sheet-%s.txt)",
		    c->frames[i].party, c->frames[i].party);
	for (i = 0; i < c->ncopies && off < sumlen; i++) {
		const struct cert_copy *k = &c->copies[i];
		if (*k->signer_name)
			off += (size_t)snprintf(summary + off, sumlen - off, "; %s%s%s signed by %s%s%s",
			    k->party, *k->role ? " as " : "", k->role, k->signer_name,
			    *k->signer_title ? ", " : "", k->signer_title);
		if (k->has_reservation && off < sumlen)
			off += (size_t)snprintf(summary + off, sumlen - off, "; %s%s%s signed with "
			    "a reservation (reservation-%s%s%s.txt)", k->party, *k->role ? " as " : "",
			    k->role, k->party, *k->role ? "." : "", k->role);
		if (*k->condition && off < sumlen)
			off += (size_t)snprintf(summary + off, sumlen - off, "; %s%s%s signed "
			    "subject to: %s", k->party, *k->role ? " as " : "", k->role, k->condition);
	}
}

int
bundle_check(const struct bundle_files *f, const uint8_t mediator[32], char *summary,
    size_t sumlen, char *err, size_t errlen)
{
	const struct bundle_file *ct = find_file(f, "certificate.txt");
	const struct bundle_file *cs = find_file(f, "certificate.sig");
	struct cert *c;
	char *core = NULL;
	int rc = -1;

	if (ct == NULL || cs == NULL)
		return bad(err, errlen, ct ? "certificate.sig" : "certificate.txt", 0, "missing");
	if ((c = malloc(sizeof(*c))) == NULL)
		return bad(err, errlen, "certificate.txt", 0, "out of memory");
	/* The certificate's signature first (what else is wrong with an
	 * altered certificate would mislead), then everything that needs no
	 * other signature check, then the same again with them: most damage
	 * is found without paying for the copies' and mandates' signatures,
	 * and the verdict is the same in any order (doc/bundle.md section 7). */
	if (check_signature(ct, cs, mediator, err, errlen) == 0 &&
	    check_cert(ct, c, err, errlen) == 0 &&
	    check_set(f, c, err, errlen) == 0 &&
	    check_content(f, c, &core, err, errlen) == 0 &&
	    check_frames(f, c, core, err, errlen) == 0 &&
	    check_copies(f, c, 0, err, errlen) == 0 &&
	    check_record(f, mediator, c, 0, err, errlen) == 0 &&
	    check_copies(f, c, 1, err, errlen) == 0 &&
	    check_record(f, mediator, c, 1, err, errlen) == 0) {
		summarise(c, summary, sumlen);
		rc = 0;
	}
	free(core);
	free(c);
	return rc;
}

int
bundle_verify(const char *dir, const uint8_t mediator[32], char *summary, size_t sumlen,
    char *err, size_t errlen)
{
	struct bundle_files *f = calloc(1, sizeof(*f));
	int rc = -1;

	if (f == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (bundle_load(dir, f, err, errlen) == 0)
		rc = bundle_check(f, mediator, summary, sumlen, err, errlen);
	bundle_files_clear(f);
	free(f);
	return rc;
}
