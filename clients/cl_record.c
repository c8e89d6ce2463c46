#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "checkpoint.h"
#include "cl_record.h"
#include "crypto.h"
#include "merkle.h"
#include "ptime.h"

static int
mediator_pub(const struct cl_conf *conf, uint8_t pub[32], char *err, size_t errlen)
{
	EVP_PKEY *k;
	int rc;

	if (!conf->mediator_key[0]) {
		snprintf(err, errlen, "client.conf names no mediator_key");
		return -1;
	}
	if ((k = crypto_read_public_key(conf->mediator_key, err, errlen)) == NULL)
		return -1;
	rc = crypto_is_ed25519(k) && crypto_pubkey_raw(k, pub) == 0 ? 0 : -1;
	EVP_PKEY_free(k);
	if (rc != 0)
		snprintf(err, errlen, "%s is not an Ed25519 public key", conf->mediator_key);
	return rc;
}

static int
save(const char *path, const char *text, char *err, size_t errlen)
{
	char tmp[4200];
	FILE *f;

	int ok;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		snprintf(err, errlen, "cannot keep the checkpoint in %s: %s", path, strerror(errno));
		return -1;
	}
	ok = fputs(text, f) != EOF && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot keep the checkpoint in %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
countersign(struct cl *c, const struct cl_conf *conf, const struct checkpoint *cp, char *err,
    size_t errlen)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r;
	Parley__Countersign cs = PARLEY__COUNTERSIGN__INIT;
	uint8_t pub[32], sig[64];
	EVP_PKEY *k;
	int rc;

	if (!conf->signer_key[0] ||
	    (k = crypto_read_private_key(conf->signer_key, err, errlen)) == NULL)
		return 0;	/* an observer's endpoint has nothing to countersign with */
	rc = crypto_pubkey_raw(k, pub) == 0 &&
	    crypto_sign(k, (const uint8_t *)cp->body, cp->body_len, sig) == 0 ? 0 : -1;
	EVP_PKEY_free(k);
	if (rc != 0) {
		snprintf(err, errlen, "cannot countersign with %s", conf->signer_key);
		return -1;
	}
	cs.size = cp->size;
	cs.signer_key.data = pub;
	cs.signer_key.len = 32;
	cs.signature.data = sig;
	cs.signature.len = 64;
	f.body_case = PARLEY__FRAME__BODY_COUNTERSIGN;
	f.countersign = &cs;
	if (cl_call(c, &f, &r, NULL, NULL, err, errlen) != 0)
		return -1;
	rc = r->body_case == PARLEY__FRAME__BODY_OK ? 0 : -1;
	if (rc != 0)
		snprintf(err, errlen, "countersignature refused: %s",
		    r->body_case == PARLEY__FRAME__BODY_ERROR ? r->error->message : "?");
	cl_free(c, r);
	return rc;
}

int
cl_record_check(struct cl *c, const struct cl_conf *conf, char *summary, size_t sumlen,
    char *err, size_t errlen)
{
	Parley__Frame f = PARLEY__FRAME__INIT, *r = NULL;
	Parley__JournalRequest jr = PARLEY__JOURNAL_REQUEST__INIT;
	struct checkpoint *old = NULL, *now = NULL;
	char path[4200], origin[64], since[PTIME_BUFLEN], *text = NULL, why[300];
	uint8_t pub[32];
	struct stat sb;
	size_t len;
	int rc = -1, have_old = 0;

	if (mediator_pub(conf, pub, err, errlen) != 0 || checkpoint_origin(pub, origin) != 0)
		return -1;
	if ((old = calloc(1, sizeof(*old))) == NULL || (now = calloc(1, sizeof(*now))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	snprintf(path, sizeof(path), "%s/checkpoint", conf->dir);
	if (stat(path, &sb) == 0) {
		if ((text = cl_read_file(path, CHECKPOINT_MAX_LEN, &len, err, errlen)) == NULL)
			goto done;
		if (checkpoint_parse(text, len, old, why, sizeof(why)) != 0 ||
		    checkpoint_verify(old, pub, origin, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "the checkpoint kept in %s does not verify: %s", path, why);
			goto done;
		}
		free(text);
		text = NULL;
		have_old = 1;
		ptime_format((int64_t)sb.st_mtime, since);
	}
	jr.known_size = have_old ? old->size : 0;
	f.body_case = PARLEY__FRAME__BODY_JOURNAL_REQUEST;
	f.journal_request = &jr;
	if (cl_call(c, &f, &r, NULL, NULL, err, errlen) != 0)
		goto done;
	if (r->body_case != PARLEY__FRAME__BODY_JOURNAL_REPLY) {
		snprintf(err, errlen, "the daemon did not answer for its record: %s",
		    r->body_case == PARLEY__FRAME__BODY_ERROR ? r->error->message : "?");
		goto done;
	}
	if (*r->journal_reply->checkpoint == '\0') {
		if (have_old) {
			snprintf(err, errlen, "THE MEDIATOR'S RECORD IS INCONSISTENT with the checkpoint "
			    "of %llu entries this endpoint verified on %s: the record is gone",
			    (unsigned long long)old->size, since);
			rc = 1;
			goto done;
		}
		snprintf(summary, sumlen, "the record is empty");
		rc = 0;
		goto done;
	}
	len = strlen(r->journal_reply->checkpoint);
	if (checkpoint_parse(r->journal_reply->checkpoint, len, now, why, sizeof(why)) != 0 ||
	    checkpoint_verify(now, pub, origin, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "THE MEDIATOR'S CHECKPOINT DOES NOT VERIFY with its public "
		    "key: %s", why);
		rc = 1;
		goto done;
	}
	if (have_old && (now->size < old->size || merkle_verify_consistency(old->size, now->size,
	    old->root, now->root, r->journal_reply->proof.data,
	    r->journal_reply->proof.len / MERKLE_HASH_LEN) != 0 ||
	    r->journal_reply->proof.len % MERKLE_HASH_LEN != 0)) {
		snprintf(err, errlen, "THE MEDIATOR'S RECORD IS INCONSISTENT with the checkpoint of "
		    "%llu entries this endpoint verified on %s: it now shows %llu entries that do "
		    "not extend it; keep %s as evidence", (unsigned long long)old->size, since,
		    (unsigned long long)now->size, path);
		rc = 1;
		goto done;
	}
	if (save(path, r->journal_reply->checkpoint, err, errlen) != 0)
		goto done;
	/* A countersignature strengthens the record; an endpoint whose signer
	 * key is not registered (an observer, a second duty station) still
	 * holds the mediator to it by the check above. */
	if (countersign(c, conf, now, why, sizeof(why)) != 0 && strstr(why, "refused") == NULL) {
		snprintf(err, errlen, "%s", why);
		goto done;
	}
	snprintf(summary, sumlen, "record of %llu entries verified%s", (unsigned long long)now->size,
	    have_old ? " consistent with the last one" : "");
	rc = 0;
done:
	if (r != NULL)
		cl_free(c, r);
	free(text);
	free(old);
	free(now);
	return rc;
}
