/* ptool: a test client that speaks the real protocol with the real client
 * library but crafts requests the parley CLI never sends (stale revisions,
 * another party's name, broken signatures, raw bytes), so the integration
 * tests can check that parleyd refuses them.  Test use only.
 *
 *   ptool sign CONF ID [--revision N] [--party P] [--flip-sig] [--key-of CONF2]
 *              [--content-v1 | --content-v2]   hash in this content
 *                 version, whatever the daemon states
 *              [--burst N]   send the copy N times and hang up unanswered
 *              [--then-garbage]   a malformed frame in the same write; print
 *                 every answer until the daemon closes (exit 0 if the copy's
 *                 Ok came)
 *   ptool lift CONF ID FROM   lift the condition of the party's copy of
 *              agreement ID with a lifting signed for agreement FROM (its own
 *              copy there): a replay when FROM is not ID
 *   ptool raw CONF HEXBODY [--len N]   send one frame with this body
 *   ptool ack CONF DELIVERY_ID [DELIVERY_ID...]   all in one Ack
 *   ptool dump CONF FILE               fetch+ack; append payloads as hex lines
 *
 * Exit: 0 when the daemon said Ok, 1 when it answered with an error (printed),
 * 3 when it could not be reached or closed the connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "cl.h"
#include "cl_bundle.h"
#include "crypto.h"
#include "sign.h"

static struct cl *
conn(const char *confpath, struct cl_conf *conf)
{
	char err[1200];
	struct cl *c;

	if (cl_conf_load(confpath, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "ptool: %s\n", err);
		exit(2);
	}
	if ((c = cl_connect_tls(conf->server, conf->cert, conf->key, conf->server_pin, NULL, err,
	    sizeof(err))) == NULL) {
		printf("%s\n", err);
		exit(3);
	}
	return c;
}

static int
report(struct cl *c, Parley__Frame *r)
{
	int rc = 0;

	if (r->body_case == PARLEY__FRAME__BODY_ERROR) {
		printf("error %u: %s\n", r->error->code, r->error->message);
		rc = 1;
	} else if (r->body_case == PARLEY__FRAME__BODY_OK) {
		printf("ok %llu: %s\n", (unsigned long long)r->ok->id, r->ok->message);
	} else {
		printf("answer: %s\n", frame_body_name(r));
	}
	cl_free(c, r);
	return rc;
}

/* The copy and a malformed frame in one write: the daemon reads both in one
 * turn.  Every answer is printed as it comes, until the daemon closes. */
static int
sign_then_garbage(struct cl *c, Parley__Frame *f)
{
	static const uint8_t bad[] = { 0, 0, 0, 2, 0xff, 0xff };	/* a cut varint */
	uint8_t *buf, *both;
	size_t len;
	char err[1200];
	Parley__Frame *r;
	int got_ok = 0;

	f->id = 1;
	if (frame_pack(f, 1 << 20, &buf, &len) != 0 || (both = malloc(len + sizeof(bad))) == NULL)
		return printf("cannot pack\n"), 2;
	memcpy(both, buf, len);
	memcpy(both + len, bad, sizeof(bad));
	free(buf);
	if (cl_write_raw(c, both, len + sizeof(bad), err, sizeof(err)) != 0) {
		free(both);
		return printf("%s\n", err), 3;
	}
	free(both);
	while (cl_recv(c, 10000, &r, err, sizeof(err)) == 0) {
		if (r->body_case == PARLEY__FRAME__BODY_OK && r->id == 1)
			got_ok = 1;
		report(c, r);
	}
	printf("closed\n");
	cl_close(c);
	return got_ok ? 0 : 1;
}

static int
do_sign(int argc, char **argv)
{
	struct cl_conf conf, other;
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__ShowRequest sr = PARLEY__SHOW_REQUEST__INIT;
	Parley__SignRequest s = PARLEY__SIGN_REQUEST__INIT;
	const char *party = NULL, *keyconf = NULL;
	char err[1200], *partybuf;
	uint8_t hash[32], sig[64], pub[32], *payload;
	size_t plen;
	uint32_t revision = 0;
	int i, flip = 0, burst = 0, garbage = 0, version = 0;
	uint64_t id = strtoull(argv[1], NULL, 10);
	struct cl *c;
	EVP_PKEY *k;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--revision") == 0 && i + 1 < argc)
			revision = (uint32_t)atoi(argv[++i]);
		else if (strcmp(argv[i], "--party") == 0 && i + 1 < argc)
			party = argv[++i];
		else if (strcmp(argv[i], "--key-of") == 0 && i + 1 < argc)
			keyconf = argv[++i];
		else if (strcmp(argv[i], "--flip-sig") == 0)
			flip = 1;
		else if (strcmp(argv[i], "--burst") == 0 && i + 1 < argc)
			burst = atoi(argv[++i]);
		else if (strcmp(argv[i], "--then-garbage") == 0)
			garbage = 1;
		else if (strcmp(argv[i], "--content-v1") == 0)
			version = 1;
		else if (strcmp(argv[i], "--content-v2") == 0)
			version = 2;
		else
			return 2;
	}
	c = conn(argv[0], &conf);
	/* the content hash of the current text, as a party would compute it */
	sr.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_SHOW;
	f.show = &sr;
	if (cl_call(c, &f, &r, NULL, NULL, err, sizeof(err)) != 0)
		return printf("%s\n", err), 3;
	if (r->body_case != PARLEY__FRAME__BODY_AGREEMENT) {
		int rc = report(c, r);
		cl_close(c);
		return rc;
	}
	if (version)
		r->agreement->content_version = (uint32_t)version;
	if (bundle_content_hash(r->agreement, NULL, hash) != 0)
		return printf("cannot hash the text received\n"), 3;
	if (revision == 0)
		revision = r->agreement->revision;
	cl_free(c, r);
	if (keyconf != NULL && cl_conf_load(keyconf, &other, err, sizeof(err)) != 0)
		return printf("%s\n", err), 2;
	if ((k = crypto_read_private_key(keyconf ? other.signer_key : conf.signer_key, err,
	    sizeof(err))) == NULL)
		return printf("%s\n", err), 2;
	partybuf = strdup(party ? party : cl_party(c));
	crypto_pubkey_raw(k, pub);
	sign_payload(id, revision, hash, partybuf, "", &payload, &plen);
	crypto_sign(k, payload, plen, sig);
	free(payload);
	EVP_PKEY_free(k);
	if (flip)
		sig[10] ^= 1;
	s.agreement = id;
	s.revision = revision;
	s.content_hash.data = hash;
	s.content_hash.len = 32;
	s.party = partybuf;
	s.role = "";
	s.signer_key.data = pub;
	s.signer_key.len = 32;
	s.signature.data = sig;
	s.signature.len = 64;
	s.text = "";
	memset(&f, 0, sizeof(f));
	parley__frame__init(&f);
	f.body_case = PARLEY__FRAME__BODY_SIGN;
	f.sign = &s;
	if (garbage) {
		i = sign_then_garbage(c, &f);
		free(partybuf);
		return i;
	}
	if (burst > 0) {
		/* The daemon is still checking the first when the line goes. */
		for (i = 0; i < burst; i++)
			if (cl_send(c, &f, err, sizeof(err)) < 0)
				break;
		cl_close(c);
		free(partybuf);
		return 0;
	}
	if (cl_call(c, &f, &r, NULL, NULL, err, sizeof(err)) != 0) {
		free(partybuf);
		return printf("%s\n", err), 3;
	}
	free(partybuf);
	i = report(c, r);
	cl_close(c);
	return i;
}

static int
do_raw(int argc, char **argv)
{
	struct cl_conf conf;
	struct cl *c;
	size_t n = strlen(argv[1]) / 2, i;
	uint8_t *buf = malloc(n + 4);
	long len = (long)n;
	Parley__Frame *r;
	char err[1200];
	int rc;

	if (argc > 3 && strcmp(argv[2], "--len") == 0)
		len = atol(argv[3]);
	if (buf == NULL || (n > 0 && hex_decode(argv[1], buf + 4, n) != 0))
		return 2;
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	c = conn(argv[0], &conf);
	if (cl_write_raw(c, buf, n + 4, err, sizeof(err)) != 0) {
		free(buf);
		return printf("%s\n", err), 3;
	}
	free(buf);
	for (i = 0; i < 4; i++) {
		rc = cl_recv(c, 10000, &r, err, sizeof(err));
		if (rc != 0)
			return printf("closed: %s\n", rc == 1 ? "timeout" : err), 3;
		if (r->body_case == PARLEY__FRAME__BODY_ERROR) {
			rc = report(c, r);
			cl_close(c);
			return rc;
		}
		cl_free(c, r);
	}
	cl_close(c);
	return 0;
}

/* One Ack naming every id given (the first is delivery_id, the rest more). */
static int
do_ack(int argc, char **argv)
{
	struct cl_conf conf;
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__Ack a = PARLEY__ACK__INIT;
	uint64_t *more = NULL;
	char err[1200];
	struct cl *c;
	int i, rc;

	if (argc > 2 && (more = calloc((size_t)argc - 2, sizeof(*more))) == NULL)
		return printf("out of memory\n"), 3;
	a.delivery_id = strtoull(argv[1], NULL, 10);
	for (i = 2; i < argc; i++)
		more[a.n_more++] = strtoull(argv[i], NULL, 10);
	a.more = more;
	f.body_case = PARLEY__FRAME__BODY_ACK;
	f.ack = &a;
	c = conn(argv[0], &conf);
	if (cl_call(c, &f, &r, NULL, NULL, err, sizeof(err)) != 0) {
		free(more);
		return printf("%s\n", err), 3;
	}
	rc = report(c, r);
	cl_close(c);
	free(more);
	return rc;
}

static int
do_dump(char **argv)
{
	struct cl_conf conf;
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__Fetch fe = PARLEY__FETCH__INIT;
	Parley__Ack a = PARLEY__ACK__INIT;
	uint64_t ids[1024];
	size_t n = 0, i;
	char err[1200], *hex;
	struct cl *c = conn(argv[0], &conf);
	FILE *out = fopen(argv[1], "a");
	int64_t want;

	if (out == NULL)
		return 2;
	f.body_case = PARLEY__FRAME__BODY_FETCH;
	f.fetch = &fe;
	if ((want = cl_send(c, &f, err, sizeof(err))) < 0)
		return printf("%s\n", err), 3;
	for (;;) {
		if (cl_recv(c, 10000, &r, err, sizeof(err)) != 0)
			return printf("%s\n", err), 3;
		if (r->body_case == PARLEY__FRAME__BODY_DELIVERY) {
			const ProtobufCBinaryData *p = &r->delivery->payload;
			if ((hex = malloc(p->len * 2 + 1)) != NULL) {
				hex_encode(p->data, p->len, hex);
				fprintf(out, "%s\n", hex);
				free(hex);
			}
			if (n < 1024)
				ids[n++] = r->delivery->delivery_id;
		}
		if (r->id == (uint64_t)want) {
			cl_free(c, r);
			break;
		}
		cl_free(c, r);
	}
	for (i = 0; i < n; i++) {
		parley__frame__init(&f);
		a.delivery_id = ids[i];
		f.body_case = PARLEY__FRAME__BODY_ACK;
		f.ack = &a;
		if (cl_call(c, &f, &r, NULL, NULL, err, sizeof(err)) != 0)
			return printf("%s\n", err), 3;
		cl_free(c, r);
	}
	fclose(out);
	printf("%zu\n", n);
	cl_close(c);
	return 0;
}

/* The party's conditional copy in agreement id's bundle: 0 with the
 * condition and the signature's hash, else the exit status. */
static int
conditional_copy(struct cl *c, uint64_t id, char *cond, size_t condlen, uint8_t h[32],
    uint32_t *revision)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__BundleRequest br = PARLEY__BUNDLE_REQUEST__INIT;
	char err[1200];
	size_t i;
	int rc = 1;

	br.agreement = id;
	f.body_case = PARLEY__FRAME__BODY_BUNDLE_REQUEST;
	f.bundle_request = &br;
	if (cl_call(c, &f, &r, NULL, NULL, err, sizeof(err)) != 0)
		return printf("%s\n", err), 3;
	if (r->body_case != PARLEY__FRAME__BODY_BUNDLE)
		return report(c, r);
	for (i = 0; i < r->bundle->n_copies; i++) {
		const Parley__SignedCopy *k = r->bundle->copies[i];
		if (strcmp(k->party, cl_party(c)) == 0 && *k->condition && k->signature.len == 64) {
			snprintf(cond, condlen, "%s", k->condition);
			crypto_sha256(k->signature.data, 64, h);
			*revision = k->revision;
			rc = 0;
		}
	}
	cl_free(c, r);
	if (rc != 0)
		printf("no conditional copy of %s in agreement %llu\n", cl_party(c),
		    (unsigned long long)id);
	return rc;
}

static int
do_lift(char **argv)
{
	struct cl_conf conf;
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__LiftRequest lr = PARLEY__LIFT_REQUEST__INIT;
	uint64_t id = strtoull(argv[1], NULL, 10), from = strtoull(argv[2], NULL, 10);
	char err[1200], cond[400];
	uint8_t h[32], sig[64], pub[32], *payload;
	uint32_t rev = 0;
	size_t plen;
	struct cl *c = conn(argv[0], &conf);
	EVP_PKEY *k;
	int rc;

	if ((rc = conditional_copy(c, from, cond, sizeof(cond), h, &rev)) != 0)
		return rc;
	if ((k = crypto_read_private_key(conf.signer_key, err, sizeof(err))) == NULL)
		return printf("%s\n", err), 2;
	crypto_pubkey_raw(k, pub);
	sign_lift(from, rev, cl_party(c), "", cond, h, &payload, &plen);
	crypto_sign(k, payload, plen, sig);
	free(payload);
	EVP_PKEY_free(k);
	lr.agreement = id;
	lr.role = "";
	lr.signer_key.data = pub;
	lr.signer_key.len = 32;
	lr.signature.data = sig;
	lr.signature.len = 64;
	f.body_case = PARLEY__FRAME__BODY_CONDITION_LIFT;
	f.condition_lift = &lr;
	if (cl_call(c, &f, &r, NULL, NULL, err, sizeof(err)) != 0)
		return printf("%s\n", err), 3;
	rc = report(c, r);
	cl_close(c);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "sign") == 0)
		return do_sign(argc - 2, argv + 2);
	if (argc >= 4 && strcmp(argv[1], "raw") == 0)
		return do_raw(argc - 2, argv + 2);
	if (argc >= 4 && strcmp(argv[1], "ack") == 0)
		return do_ack(argc - 2, argv + 2);
	if (argc == 4 && strcmp(argv[1], "dump") == 0)
		return do_dump(argv + 2);
	if (argc == 5 && strcmp(argv[1], "lift") == 0)
		return do_lift(argv + 2);
	fprintf(stderr, "usage: ptool sign|lift|raw|ack|dump CONF ...\n");
	return 2;
}
