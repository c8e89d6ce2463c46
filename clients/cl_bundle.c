#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cert.h"
#include "checkpoint.h"
#include "merkle.h"
#include "cl.h"
#include "cl_bundle.h"
#include "crypto.h"
#include "ptime.h"
#include "sign.h"

#define BUNDLE_FILE_MAX (8 * 1024 * 1024)

static int
write_file(const char *dir, const char *name, const void *data, size_t len, char *err,
    size_t errlen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    (len > 0 && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
append_manifest(FILE *m, const char *name, const void *data, size_t len)
{
	uint8_t h[32];
	char hex[65];

	if (crypto_sha256(data, len, h) != 0)
		return -1;
	hex_encode(h, 32, hex);
	fprintf(m, "sha256: %s %s\n", hex, name);
	return 0;
}

/* Proof labels become file names: "release", "copy-<party>". */
static int
ident_label(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 80)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_'))
			return 0;
	return 1;
}

/* A mandate as a bundle file (cl_bundle.h); NULL if malformed or OOM. */
static char *
mandate_text(const Parley__Mandate *md)
{
	char *buf = NULL, hex[129], when[PTIME_BUFLEN];
	size_t len = 0, i;
	FILE *f;

	if (md->signer_key.len != 32 || md->principal_key.len != 32 || md->signature.len != 64)
		return NULL;
	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fprintf(f, "parley mandate v1\nid: %llu\nparty: %s\n", (unsigned long long)md->id,
	    md->party);
	hex_encode(md->signer_key.data, 32, hex);
	fprintf(f, "signer-key: %s\nroles:", hex);
	for (i = 0; i < md->n_roles; i++)
		fprintf(f, " %s", md->roles[i]);
	fprintf(f, "\nscope: %s\n", md->scope);
	ptime_format_utc(md->valid_from, when);
	fprintf(f, "valid-from: %s\n", when);
	if (md->valid_until != 0)
		ptime_format_utc(md->valid_until, when);
	fprintf(f, "valid-until: %s\n", md->valid_until ? when : "-");
	ptime_format_utc(md->issued_at, when);
	fprintf(f, "issued-at: %s\nsupersedes: %llu\nin-place-of: %s\n", when,
	    (unsigned long long)md->supersedes, md->in_place_of);
	hex_encode(md->principal_key.data, 32, hex);
	fprintf(f, "principal-key: %s\n", hex);
	hex_encode(md->signature.data, 64, hex);
	fprintf(f, "signature: %s\n", hex);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int
bundle_write(const char *dir, const Parley__Bundle *b, char *err, size_t errlen)
{
	const Parley__AgreementText *t = b->text;
	char name[128], hex[130], when[PTIME_BUFLEN], *terms = NULL, *copy = NULL, *man = NULL;
	size_t tlen = 0, clen = 0, mlen = 0, i;
	FILE *f = NULL, *m = NULL;
	int rc = -1;

	if (t == NULL || b->certificate_sig.len != 64) {
		snprintf(err, errlen, "the bundle is incomplete");
		return -1;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((m = open_memstream(&man, &mlen)) == NULL)
		goto oom;
	fprintf(m, "parley release bundle v1\nagreement: %llu\ntitle: %s\nrevision: %u\n",
	    (unsigned long long)t->agreement, t->title, t->revision);
	if (write_file(dir, "text.txt", t->text, strlen(t->text), err, errlen) != 0)
		goto done;
	append_manifest(m, "text.txt", t->text, strlen(t->text));
	if ((f = open_memstream(&terms, &tlen)) == NULL)
		goto oom;
	fprintf(f, "effective: %s\nvalidity: %s\n", t->effective, t->validity);
	if (fclose(f) != 0)
		goto oom;
	f = NULL;
	if (write_file(dir, "terms.txt", terms, tlen, err, errlen) != 0)
		goto done;
	append_manifest(m, "terms.txt", terms, tlen);
	if (write_file(dir, "calendar.txt", t->calendar, strlen(t->calendar), err, errlen) != 0)
		goto done;
	append_manifest(m, "calendar.txt", t->calendar, strlen(t->calendar));
	for (i = 0; i < b->n_copies; i++) {
		const Parley__SignedCopy *c = b->copies[i];
		if (c->signer_key.len != 32 || c->signature.len != 64 || c->content_hash.len != 32) {
			snprintf(err, errlen, "the bundle has a malformed copy");
			goto done;
		}
		if ((f = open_memstream(&copy, &clen)) == NULL)
			goto oom;
		fprintf(f, "party: %s\nrole: %s\nrevision: %u\n", c->party, c->role, c->revision);
		hex_encode(c->content_hash.data, 32, hex);
		fprintf(f, "content-sha256: %s\n", hex);
		hex_encode(c->signer_key.data, 32, hex);
		fprintf(f, "signer-key: %s\n", hex);
		hex_encode(c->signature.data, 64, hex);
		ptime_format_utc(c->signed_at, when);
		fprintf(f, "signature: %s\nsigned-at: %s\n", hex, when);
		if (fclose(f) != 0)
			goto oom;
		f = NULL;
		snprintf(name, sizeof(name), "copy-%s%s%s.txt", c->party, *c->role ? "-" : "",
		    c->role);
		if (write_file(dir, name, copy, clen, err, errlen) != 0)
			goto done;
		append_manifest(m, name, copy, clen);
		free(copy);
		copy = NULL;
		if (c->mandate != 0) {
			const Parley__Mandate *md = NULL;
			size_t k;
			for (k = 0; k < b->n_mandates; k++)
				if (b->mandates[k]->id == c->mandate)
					md = b->mandates[k];
			if (md == NULL || !ident_label(c->role) || (copy = mandate_text(md)) == NULL) {
				snprintf(err, errlen, "the bundle lacks mandate %llu of %s",
				    (unsigned long long)c->mandate, c->party);
				goto done;
			}
			clen = strlen(copy);
			snprintf(name, sizeof(name), "mandate-%s-%s.txt", c->party, c->role);
			if (write_file(dir, name, copy, clen, err, errlen) != 0)
				goto done;
			append_manifest(m, name, copy, clen);
			free(copy);
			copy = NULL;
		}
	}
	/* the record: the checkpoint and each inclusion proof */
	if (*b->checkpoint) {
		if (write_file(dir, "checkpoint.txt", b->checkpoint, strlen(b->checkpoint), err,
		    errlen) != 0)
			goto done;
		append_manifest(m, "checkpoint.txt", b->checkpoint, strlen(b->checkpoint));
	}
	for (i = 0; i < b->n_proofs; i++) {
		const Parley__JournalProof *pr = b->proofs[i];
		size_t k;
		if (!ident_label(pr->label) || pr->path.len % MERKLE_HASH_LEN != 0) {
			snprintf(err, errlen, "the bundle has a malformed record proof");
			goto done;
		}
		snprintf(name, sizeof(name), "journal-%s.entry", pr->label);
		if (write_file(dir, name, pr->entry.data, pr->entry.len, err, errlen) != 0)
			goto done;
		append_manifest(m, name, pr->entry.data, pr->entry.len);
		if ((f = open_memstream(&copy, &clen)) == NULL)
			goto oom;
		fprintf(f, "index: %llu\n", (unsigned long long)pr->index);
		for (k = 0; k < pr->path.len / MERKLE_HASH_LEN; k++) {
			hex_encode(pr->path.data + k * MERKLE_HASH_LEN, MERKLE_HASH_LEN, hex);
			fprintf(f, "%s\n", hex);
		}
		if (fclose(f) != 0)
			goto oom;
		f = NULL;
		snprintf(name, sizeof(name), "journal-%s.proof", pr->label);
		if (write_file(dir, name, copy, clen, err, errlen) != 0)
			goto done;
		append_manifest(m, name, copy, clen);
		free(copy);
		copy = NULL;
	}
	if (write_file(dir, "certificate.txt", b->certificate.data, b->certificate.len, err,
	    errlen) != 0)
		goto done;
	append_manifest(m, "certificate.txt", b->certificate.data, b->certificate.len);
	hex_encode(b->certificate_sig.data, 64, hex);
	strcat(hex, "\n");
	if (write_file(dir, "certificate.sig", hex, strlen(hex), err, errlen) != 0)
		goto done;
	if (fclose(m) != 0) {
		m = NULL;
		goto oom;
	}
	m = NULL;
	rc = write_file(dir, "manifest.txt", man, mlen, err, errlen);
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
done:
	if (f != NULL)
		fclose(f);
	if (m != NULL)
		fclose(m);
	free(terms);
	free(copy);
	free(man);
	return rc;
}

static char *
read_in(const char *dir, const char *name, size_t *len, char *err, size_t errlen)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return cl_read_file(path, BUNDLE_FILE_MAX, len, err, errlen);
}

/* "key: value\n" lines of a small file: the value of key into out. */
static int
get_field(const char *text, const char *key, char *out, size_t outlen)
{
	size_t n = strlen(key);
	const char *p = text, *nl;

	while (p && *p) {
		nl = strchr(p, '\n');
		if (strncmp(p, key, n) == 0 && p[n] == ':' && p[n + 1] == ' ') {
			size_t len = nl ? (size_t)(nl - p - n - 2) : strlen(p + n + 2);
			if (len >= outlen)
				return -1;
			memcpy(out, p + n + 2, len);
			out[len] = '\0';
			return 0;
		}
		if (strncmp(p, key, n) == 0 && p[n] == ':' && (p[n + 1] == '\n' || !p[n + 1])) {
			out[0] = '\0';
			return 0;
		}
		p = nl ? nl + 1 : NULL;
	}
	return -1;
}

/* One journal entry of the bundle: in the tree the checkpoint signs, of
 * the kind and agreement expected, carrying the hash expected. */
static int
verify_entry(const char *dir, const char *label, const struct checkpoint *cp,
    const char *kind, uint64_t agreement, const char *party, const uint8_t want[32],
    char *err, size_t errlen)
{
	char name[96], line[96], *entry = NULL, *proof = NULL, *p, *nl, hex[65];
	uint8_t leaf[32], path[MERKLE_PROOF_MAXLEN];
	size_t elen, n = 0;
	unsigned long long index;
	int rc = -1;

	snprintf(name, sizeof(name), "journal-%s.entry", label);
	if ((entry = read_in(dir, name, &elen, err, errlen)) == NULL)
		goto done;
	snprintf(name, sizeof(name), "journal-%s.proof", label);
	if ((proof = read_in(dir, name, NULL, err, errlen)) == NULL)
		goto done;
	if (sscanf(proof, "index: %llu\n", &index) != 1 || (p = strchr(proof, '\n')) == NULL) {
		snprintf(err, errlen, "%s is malformed", name);
		goto done;
	}
	for (p++; *p; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL || n == MERKLE_MAX_PATH ||
		    nl - p != 64 || (*nl = '\0', hex_decode(p, path + n * 32, 32)) != 0) {
			snprintf(err, errlen, "%s is malformed", name);
			goto done;
		}
		n++;
	}
	if (merkle_leaf_hash(entry, elen, leaf) != 0 ||
	    merkle_verify_inclusion(index, cp->size, leaf, path, n, cp->root) != 0) {
		snprintf(err, errlen, "journal-%s.entry is not in the record the checkpoint signs "
		    "(its inclusion proof fails)", label);
		goto done;
	}
	snprintf(line, sizeof(line), "\nkind: %s\nagreement: %llu\nparty: %s\n", kind,
	    (unsigned long long)agreement, party ? party : "-");
	hex_encode(want, 32, hex);
	if (strstr(entry, line) == NULL || strstr(entry, hex) == NULL) {
		snprintf(err, errlen, "journal-%s.entry does not record this %s", label,
		    strcmp(kind, "released") ? "copy" : "release");
		goto done;
	}
	rc = 0;
done:
	free(entry);
	free(proof);
	return rc;
}

/* A copy's mandate file: signed by the party's principal key as the
 * certificate names it, for this signer key and role, the agreement in its
 * scope (agreement lists; a label is not in the certificate), the signing
 * time inside its window, in-place-of as the certificate says. */
static int
verify_mandate(const char *dir, const struct cert *c, const struct cert_copy *k, char *err,
    size_t errlen)
{
	char name[128], *text = NULL, v[400], roles[400], *tok, *save = NULL;
	const char *rolev[SIGN_MANDATE_MAX_ROLES];
	struct sign_mandate_fields f;
	uint8_t skey[32], pkey[32], sig[64], *payload = NULL;
	const uint8_t *want;
	unsigned long long id = 0, sup = 0;
	int64_t from = 0, until = 0, issued = 0;
	char scope[400], ipo[CERT_NAME_MAX + 1], party[CERT_CODE_MAX + 1];
	size_t plen, nroles = 0;
	int covered = 0, rc = -1;

	snprintf(name, sizeof(name), "mandate-%s-%s.txt", k->party, k->role);
	if ((want = cert_principal_key(c, k->party)) == NULL) {
		snprintf(err, errlen, "the certificate names no principal key of %s, whose copy "
		    "cites mandate %llu", k->party, (unsigned long long)k->mandate);
		return -1;
	}
	if ((text = read_in(dir, name, NULL, err, errlen)) == NULL)
		return -1;
#define MF(key, buf) (get_field(text, key, buf, sizeof(buf)) == 0)
	if (strncmp(text, "parley mandate v1\n", 18) != 0 || !MF("id", v) ||
	    sscanf(v, "%llu", &id) != 1 || !MF("party", party) || !MF("signer-key", v) ||
	    hex_decode(v, skey, 32) != 0 || !MF("roles", roles) || !MF("scope", scope) ||
	    !MF("valid-from", v) || ptime_parse(v, &from) != 0 || !MF("valid-until", v) ||
	    (strcmp(v, "-") != 0 && ptime_parse(v, &until) != 0) || !MF("issued-at", v) ||
	    ptime_parse(v, &issued) != 0 || !MF("supersedes", v) ||
	    sscanf(v, "%llu", &sup) != 1 || !MF("in-place-of", ipo) ||
	    !MF("principal-key", v) || hex_decode(v, pkey, 32) != 0 || !MF("signature", v) ||
	    hex_decode(v, sig, 64) != 0) {
		snprintf(err, errlen, "%s is not a mandate file", name);
		goto done;
	}
#undef MF
	for (tok = strtok_r(roles, " ", &save); tok && nroles < SIGN_MANDATE_MAX_ROLES;
	    tok = strtok_r(NULL, " ", &save)) {
		if (strcmp(tok, k->role) == 0)
			covered = 1;
		rolev[nroles++] = tok;
	}
	memset(&f, 0, sizeof(f));
	f.party = party;
	f.signer_key = skey;
	f.roles = rolev;
	f.nroles = nroles;
	f.scope = scope;
	f.valid_from = from;
	f.valid_until = until;
	f.issued_at = issued;
	f.supersedes = sup;
	f.in_place_of = ipo;
	if (memcmp(pkey, want, 32) != 0 || sign_mandate(&f, &payload, &plen) != 0 ||
	    crypto_verify(want, payload, plen, sig) != 0) {
		snprintf(err, errlen, "%s does not verify with the principal key of %s in the "
		    "certificate (the mandate was altered, or another key signed it)", name,
		    k->party);
		goto done;
	}
	if (id != k->mandate || strcmp(party, k->party) != 0 || memcmp(skey, k->key, 32) != 0) {
		snprintf(err, errlen, "%s is not the mandate the certificate cites for %s's "
		    "copy", name, k->party);
		goto done;
	}
	if (!covered || k->signed_at < from || (until != 0 && k->signed_at >= until) ||
	    strcmp(ipo, k->in_place_of) != 0) {
		snprintf(err, errlen, "%s does not cover %s's copy (role %s at its signing time)",
		    name, k->party, k->role);
		goto done;
	}
	if (strncmp(scope, "agreements:", 11) == 0) {
		char *p = scope + 11, *q;
		int in = 0;
		for (tok = strtok_r(p, ",", &q); tok; tok = strtok_r(NULL, ",", &q))
			if (strtoull(tok, NULL, 10) == c->agreement)
				in = 1;
		if (!in) {
			snprintf(err, errlen, "%s: agreement %llu is outside its scope", name,
			    (unsigned long long)c->agreement);
			goto done;
		}
	}
	rc = 0;
done:
	free(text);
	free(payload);
	return rc;
}

/* The record: the checkpoint is the mediator's, the release and every
 * counted copy are entries of the tree it signs. */
static int
verify_record(const char *dir, const uint8_t mediator[32], const struct cert *c, char *err,
    size_t errlen)
{
	struct checkpoint *cp = malloc(sizeof(*cp));
	char *text = NULL, origin[64], why[300], *cert = NULL, label[80];
	uint8_t h[32];
	size_t len, i;
	int rc = -1;

	if (cp == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((text = read_in(dir, "checkpoint.txt", &len, err, errlen)) == NULL)
		goto done;
	if (checkpoint_origin(mediator, origin) != 0 ||
	    checkpoint_parse(text, len, cp, why, sizeof(why)) != 0 ||
	    checkpoint_verify(cp, mediator, origin, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "checkpoint.txt is not a checkpoint signed by this mediator "
		    "key: %s", why);
		goto done;
	}
	if ((cert = read_in(dir, "certificate.txt", &len, err, errlen)) == NULL ||
	    crypto_sha256(cert, len, h) != 0 ||
	    verify_entry(dir, "release", cp, "released", c->agreement, NULL, h, err, errlen) != 0)
		goto done;
	for (i = 0; i < c->ncopies; i++) {
		snprintf(label, sizeof(label), "copy-%s%s%s", c->copies[i].party,
		    *c->copies[i].role ? "-" : "", c->copies[i].role);
		if (crypto_sha256(c->copies[i].sig, 64, h) != 0 ||
		    verify_entry(dir, label, cp, "copy-accepted", c->agreement, c->copies[i].party,
		    h, err, errlen) != 0)
			goto done;
	}
	rc = 0;
done:
	free(cp);
	free(text);
	free(cert);
	return rc;
}

int
bundle_verify(const char *dir, const uint8_t mediator[32], char *summary, size_t sumlen,
    char *err, size_t errlen)
{
	char *cert_txt = NULL, *sig_txt = NULL, *text = NULL, *terms = NULL, *cal = NULL;
	char *copy = NULL, name[128], effective[PTIME_BUFLEN + 16], validity[128], buf[200], hex[129];
	size_t clen, slen, tlen, i;
	uint8_t sig[64], hash[32], *payload = NULL;
	size_t plen;
	struct cert *c = NULL;
	int rc = -1;

	if ((c = malloc(sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((cert_txt = read_in(dir, "certificate.txt", &clen, err, errlen)) == NULL ||
	    (sig_txt = read_in(dir, "certificate.sig", &slen, err, errlen)) == NULL)
		goto done;
	if (slen < 128 || hex_decode((sig_txt[128] = '\0', sig_txt), sig, 64) != 0) {
		snprintf(err, errlen, "certificate.sig is not a 64-byte signature in hex");
		goto done;
	}
	if (crypto_verify(mediator, (const uint8_t *)cert_txt, clen, sig) != 0) {
		snprintf(err, errlen, "certificate.txt is not signed by this mediator key "
		    "(the certificate or its signature was altered, or the key is another)");
		goto done;
	}
	if (cert_parse(cert_txt, clen, c, err, errlen) != 0)
		goto done;
	if ((text = read_in(dir, "text.txt", &tlen, err, errlen)) == NULL ||
	    (terms = read_in(dir, "terms.txt", NULL, err, errlen)) == NULL ||
	    (cal = read_in(dir, "calendar.txt", NULL, err, errlen)) == NULL)
		goto done;
	if (strlen(text) != tlen) {
		snprintf(err, errlen, "text.txt contains a NUL byte");
		goto done;
	}
	if (get_field(terms, "effective", effective, sizeof(effective)) != 0 ||
	    get_field(terms, "validity", validity, sizeof(validity)) != 0) {
		snprintf(err, errlen, "terms.txt lacks its effective or validity line");
		goto done;
	}
	if (sign_content_hash(text, effective, validity, cal, hash) != 0 ||
	    memcmp(hash, c->content_hash, 32) != 0) {
		snprintf(err, errlen, "text.txt, terms.txt or calendar.txt differs from what was "
		    "signed: its SHA-256 content hash does not match the certificate's");
		goto done;
	}
	for (i = 0; i < c->ncopies; i++) {
		const struct cert_copy *k = &c->copies[i];
		if (sign_payload(c->agreement, c->revision, c->content_hash, k->party, k->role,
		    &payload, &plen) != 0) {
			snprintf(err, errlen, "out of memory");
			goto done;
		}
		if (crypto_verify(k->key, payload, plen, k->sig) != 0) {
			snprintf(err, errlen, "the signature of %s does not verify over agreement "
			    "%llu revision %u", k->party, (unsigned long long)c->agreement,
			    c->revision);
			goto done;
		}
		free(payload);
		payload = NULL;
		snprintf(name, sizeof(name), "copy-%s%s%s.txt", k->party, *k->role ? "-" : "",
		    k->role);
		if ((copy = read_in(dir, name, NULL, err, errlen)) == NULL)
			goto done;
		hex_encode(k->sig, 64, hex);
		if (get_field(copy, "signature", buf, sizeof(buf)) != 0 || strcmp(buf, hex) != 0) {
			snprintf(err, errlen, "%s: its signature differs from the certificate's",
			    name);
			goto done;
		}
		hex_encode(k->key, 32, hex);
		if (get_field(copy, "signer-key", buf, sizeof(buf)) != 0 || strcmp(buf, hex) != 0) {
			snprintf(err, errlen, "%s: its signer key differs from the certificate's",
			    name);
			goto done;
		}
		free(copy);
		copy = NULL;
		if (k->mandate != 0 ? verify_mandate(dir, c, k, err, errlen) != 0 :
		    cert_principal_key(c, k->party) != NULL) {
			if (k->mandate == 0)
				snprintf(err, errlen, "%s has a principal key but its copy cites no "
				    "mandate", k->party);
			goto done;
		}
	}
	if (verify_record(dir, mediator, c, err, errlen) != 0)
		goto done;
	{
		char when[PTIME_BUFLEN], eff[PTIME_BUFLEN];
		size_t off;
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
				off += (size_t)snprintf(summary + off, sumlen - off, "; %s (%s) "
				    "signed by key %.16s in place of %s", c->copies[i].party,
				    c->copies[i].role, hex, c->copies[i].in_place_of);
			}
	}
	rc = 0;
done:
	free(c);
	free(cert_txt);
	free(sig_txt);
	free(text);
	free(terms);
	free(cal);
	free(copy);
	free(payload);
	return rc;
}
