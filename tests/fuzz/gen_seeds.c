/* gen_seeds: writes the fuzz seed corpora under tests/fuzz/corpus/ (the
 * directory given as argv[1]): sample frames of every body type packed
 * with the generated protobuf-c code and frame_pack, payloads, every
 * message type (one byte naming the type, as fuzz_messages reads it, then
 * the packed message), release certificates from cert_format, text pairs
 * and times.  The config seeds are the golden configs, copied by
 * `make fuzz-seeds`.  Run it once after a schema change and commit its
 * output; the files are small and hand-made on purpose. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "proto/cert.h"
#include "proto/checkpoint.h"
#include "proto/crypto.h"
#include "proto/merkle.h"
#include "proto/frame.h"
#include "proto/ptime.h"

static const ProtobufCMessageDescriptor *const descriptors[] = {
#include "parley-descriptors.inc"
};
#define NDESC (sizeof(descriptors) / sizeof(descriptors[0]))

#define MAX_PER_TYPE 2	/* messages/ seeds of one type, to keep it small */

static const char *root;
static int seeded[NDESC];

/* Seeds already written to messages/, so that each is written once. */
static struct { size_t len; uint8_t *p; } written[1024];
static size_t nwritten;

static void
die(const char *what)
{
	fprintf(stderr, "gen_seeds: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
put(const char *target, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, target);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	if ((f = fopen(path, "wb")) == NULL)
		die(path);
	if (fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die(path);
}

static void
put_str(const char *target, const char *name, const char *s)
{
	put(target, name, s, strlen(s));
}

/* m as a fuzz_messages seed, then each message inside it, recursively. */
static void
put_message(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	size_t n = protobuf_c_message_get_packed_size(m), i, j, count;
	uint8_t *buf = malloc(n + 1);
	char name[128];

	if (buf == NULL)
		die("malloc");
	for (i = 0; i < NDESC && descriptors[i] != d; i++)
		;
	if (i == NDESC) {
		fprintf(stderr, "gen_seeds: %s is not in the descriptor list\n", d->name);
		exit(1);
	}
	buf[0] = (uint8_t)i;
	protobuf_c_message_pack(m, buf + 1);
	for (j = 0; j < nwritten; j++)
		if (written[j].len == n + 1 && memcmp(written[j].p, buf, n + 1) == 0)
			break;
	if (j < nwritten || seeded[i] == MAX_PER_TYPE)
		free(buf);
	else {
		snprintf(name, sizeof(name), "%s-%d", d->short_name, ++seeded[i]);
		put("messages", name, buf, n + 1);
		if (nwritten == sizeof(written) / sizeof(written[0])) {
			fprintf(stderr, "gen_seeds: too many message seeds\n");
			exit(1);
		}
		written[nwritten].len = n + 1, written[nwritten++].p = buf;
	}

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		const char *base = (const char *)m;
		const ProtobufCMessage *const *subs;

		if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			count = *(const size_t *)(base + fd->quantifier_offset);
			subs = *(const ProtobufCMessage *const *const *)(base + fd->offset);
		} else {
			if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
			    *(const uint32_t *)(base + fd->quantifier_offset) != fd->id)
				continue;
			count = 1;
			subs = (const ProtobufCMessage *const *)(base + fd->offset);
		}
		for (j = 0; j < count; j++)
			if (subs[j] != NULL)
				put_message(subs[j]);
	}
}

static void
put_frame(const char *name, Parley__Frame *f)
{
	uint8_t *buf;
	size_t len;

	if (frame_pack(f, FRAME_DEFAULT_MAX, &buf, &len) != 0) {
		fprintf(stderr, "gen_seeds: frame %s does not pack\n", name);
		exit(1);
	}
	put("frame", name, buf, len);
	free(buf);
	put_message(&f->base);
}

static ProtobufCBinaryData
bytes(const char *s, size_t n)
{
	ProtobufCBinaryData b = { n, (uint8_t *)s };
	return b;
}

static const char hash32[] = "0123456789abcdef0123456789abcdef";
static const char sig64[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void
frames_and_messages(void)
{
	static char *parties[] = { "baku", "yerevan", "stepanakert" };
	static char *observers[] = { "minsk" };
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Hello hello = PARLEY__HELLO__INIT;
	Parley__Welcome welcome = PARLEY__WELCOME__INIT;
	Parley__Error error = PARLEY__ERROR__INIT;
	Parley__Ok ok = PARLEY__OK__INIT;
	Parley__Fetch fetch = PARLEY__FETCH__INIT;
	Parley__FetchDone fetch_done = PARLEY__FETCH_DONE__INIT;
	Parley__Ack ack = PARLEY__ACK__INIT;
	Parley__Delivery delivery = PARLEY__DELIVERY__INIT;
	Parley__ShowRequest show = PARLEY__SHOW_REQUEST__INIT;
	Parley__AgreementText text = PARLEY__AGREEMENT_TEXT__INIT;
	Parley__SignRequest sign = PARLEY__SIGN_REQUEST__INIT;
	Parley__AmendRequest amend = PARLEY__AMEND_REQUEST__INIT;
	Parley__AmendmentResponse aresp = PARLEY__AMENDMENT_RESPONSE__INIT;
	Parley__WithdrawRequest withdraw = PARLEY__WITHDRAW_REQUEST__INIT;
	Parley__LiftRequest lift = PARLEY__LIFT_REQUEST__INIT;
	Parley__BundleRequest breq = PARLEY__BUNDLE_REQUEST__INIT;
	Parley__SignedCopy copy1 = PARLEY__SIGNED_COPY__INIT;
	Parley__SignedCopy copy2 = PARLEY__SIGNED_COPY__INIT;
	Parley__SignedCopy *copies[] = { &copy1, &copy2 };
	Parley__Bundle bundle = PARLEY__BUNDLE__INIT;
	Parley__StatusRequest status = PARLEY__STATUS_REQUEST__INIT;
	Parley__PartyStatus ps1 = PARLEY__PARTY_STATUS__INIT;
	Parley__PartyStatus *pss[] = { &ps1 };
	Parley__StatusReply sreply = PARLEY__STATUS_REPLY__INIT;
	Parley__AdminArg arg1 = PARLEY__ADMIN_ARG__INIT;
	Parley__AdminArg arg2 = PARLEY__ADMIN_ARG__INIT;
	Parley__AdminArg *args[] = { &arg1, &arg2 };
	Parley__AdminRequest admin = PARLEY__ADMIN_REQUEST__INIT;
	Parley__AdminReply areply = PARLEY__ADMIN_REPLY__INIT;
	Parley__Payload pl = PARLEY__PAYLOAD__INIT;
	Parley__Notice notice = PARLEY__NOTICE__INIT;
	Parley__Update update = PARLEY__UPDATE__INIT;
	Parley__Amendment amendment = PARLEY__AMENDMENT__INIT;
	/* the frames of issues 21-23 */
	Parley__LetterSend letter = PARLEY__LETTER_SEND__INIT;
	char *letter_to[] = { "yerevan", "mediator" }, *letter_cc[] = { "stepanakert" };
	Parley__AmendmentQuery amq = PARLEY__AMENDMENT_QUERY__INIT;
	Parley__AmendmentView amv = PARLEY__AMENDMENT_VIEW__INIT;
	Parley__AmendmentListQuery amlq = PARLEY__AMENDMENT_LIST_QUERY__INIT;
	Parley__AmendmentList aml = PARLEY__AMENDMENT_LIST__INIT;
	Parley__Amendment *amlv[1];
	Parley__DutyContactsSet dcs = PARLEY__DUTY_CONTACTS_SET__INIT;
	Parley__DutyContactsQuery dcq = PARLEY__DUTY_CONTACTS_QUERY__INIT;
	Parley__DutyContacts dc = PARLEY__DUTY_CONTACTS__INIT, *dcv[] = { &dc };
	Parley__DutyContactsList dcl = PARLEY__DUTY_CONTACTS_LIST__INIT;
	Parley__AgreementQuery agq = PARLEY__AGREEMENT_QUERY__INIT;
	Parley__AgreementSummary ags = PARLEY__AGREEMENT_SUMMARY__INIT, *agsv[] = { &ags };
	Parley__AgreementList agl = PARLEY__AGREEMENT_LIST__INIT;
	Parley__TextVersion tv1 = PARLEY__TEXT_VERSION__INIT, tv2 = PARLEY__TEXT_VERSION__INIT;
	Parley__TextVersion *tvs[] = { &tv1, &tv2 };
	Parley__PartyFrame pf = PARLEY__PARTY_FRAME__INIT, *pfs[] = { &pf };
	uint64_t ack_more[] = { 42, 300000 };
	uint8_t plbuf[4096];
	size_t pllen, i;
	char name[64];

	/* Payloads first: a Delivery carries one. */
	notice.text = "The mediator has received all three signed copies.";
	pl.body_case = PARLEY__PAYLOAD__BODY_NOTICE, pl.notice = &notice;
	text.agreement = 12, text.revision = 2;
	text.title = "Ceasefire agreement";
	text.text = "1. Cease fire at 00:01 on 12 May 1994.\n"
	    "2. Прекратить огонь. Հրադադար. Atəşkəs.\n";
	text.effective = "1994-05-11T20:01:00Z", text.validity = "";
	text.content_hash = bytes(hash32, 32);
	text.n_parties = 3, text.parties = parties;
	text.n_observers = 1, text.observers = observers;
	text.state = "circulating";
	update.agreement = 12, update.event = "sign-again";
	update.text = "revision 2 was adopted", update.amendment = 3;
	amendment.id = 3, amendment.agreement = 12, amendment.revision = 1;
	amendment.proposer = "baku", amendment.text = "1. Cease fire.\n";
	amendment.note = "shorter", amendment.state = "forwarded";
	copy1.party = "baku", copy1.role = "minister", copy1.revision = 2;
	copy1.content_hash = bytes(hash32, 32);
	copy1.signer_key = bytes(hash32, 32);
	copy1.signature = bytes(sig64, 64);
	copy1.signed_at = 768484800;
	copy2 = copy1;
	copy2.party = "yerevan", copy2.role = "", copy2.signed_at = 768571200;
	bundle.text = &text, bundle.n_copies = 2, bundle.copies = copies;
	bundle.certificate = bytes("parley release certificate v1\n", 30);
	bundle.certificate_sig = bytes(sig64, 64);
	{
		struct { int c; void *p; const char *name; } pls[] = {
			{ PARLEY__PAYLOAD__BODY_NOTICE, &notice, "notice" },
			{ PARLEY__PAYLOAD__BODY_CIRCULATED, &text, "circulated" },
			{ PARLEY__PAYLOAD__BODY_RELEASED, &bundle, "released" },
			{ PARLEY__PAYLOAD__BODY_UPDATE, &update, "update" },
			{ PARLEY__PAYLOAD__BODY_AMENDMENT, &amendment, "amendment" },
		};
		for (i = 0; i < sizeof(pls) / sizeof(pls[0]); i++) {
			pl.body_case = pls[i].c;
			pl.notice = pls[i].p;	/* the oneof's members share a place */
			pllen = parley__payload__pack(&pl, plbuf);
			put("payload", pls[i].name, plbuf, pllen);
			put_message(&pl.base);
		}
	}
	pl.body_case = PARLEY__PAYLOAD__BODY_NOTICE, pl.notice = &notice;
	pllen = parley__payload__pack(&pl, plbuf);

	hello.version = 1, hello.agent = "parley 0.1";
	welcome.version = 1, welcome.party = "baku", welcome.endpoint = 4;
	welcome.observer = 0, welcome.server_time = "1994-05-09T12:00:00Z";
	welcome.ack_max = 256;
	error.code = 3, error.message = "no such agreement";
	ok.id = 7, ok.message = "signed copy accepted";
	fetch_done.count = 2;
	ack.delivery_id = 41;
	ack.n_more = 2, ack.more = ack_more;
	delivery.delivery_id = 41, delivery.created_at = 768484800;
	delivery.payload = bytes((const char *)plbuf, pllen);
	show.agreement = 12;
	sign.agreement = 12, sign.revision = 2;
	sign.content_hash = bytes(hash32, 32);
	sign.party = "stepanakert", sign.role = "commander";
	sign.signer_key = bytes(hash32, 32), sign.signature = bytes(sig64, 64);
	sign.reservation = "Оговорка: «стороны конфликта».\n";
	sign.condition = "ratification by the Milli Meclis";
	lift.agreement = 12, lift.role = "commander";
	lift.signer_key = bytes(hash32, 32), lift.signature = bytes(sig64, 64);
	amend.agreement = 12, amend.revision = 1;
	amend.text = "1. Cease fire.\r\n", amend.note = "CRLF on purpose";
	aresp.amendment = 3, aresp.accept = 1, aresp.note = "adopted";
	withdraw.agreement = 12;
	breq.agreement = 12;
	status.agreement = 12;
	ps1.party = "yerevan", ps1.signed_ = 1;
	sreply.agreement = 12, sreply.revision = 2, sreply.state = "circulating";
	sreply.n_parties = 1, sreply.parties = pss;
	arg1.key = "agreement", arg1.value = bytes("12", 2);
	arg2.key = "text", arg2.value = bytes("1. Cease fire.\n", 15);
	admin.verb = "agreement circulate", admin.n_args = 2, admin.args = args;
	areply.status = 0, areply.text = "exported", areply.json = "{\"ok\":true}";
	areply.bundle = &bundle;
	letter.n_to = 2, letter.to = letter_to, letter.n_cc = 1, letter.cc = letter_cc;
	letter.subject = "the duty devices", letter.urgent = 1;
	letter.text = "Номера дежурных аппаратов прилагаются.\n";
	amq.amendment = 3;
	amv.amendment = &amendment, amv.diff = "--- revision 1\n+++ amendment 3\n-1. a\n+1. b\n";
	amv.answered = 1, amv.accept = 0, amv.answer_note = "no", amv.reason = "";
	amlq.agreement = 12;
	amlv[0] = &amendment, aml.n_amendments = 1, aml.amendments = amlv;
	dcs.text = "Col. Mamedov | duty officer | fax | +994 12 000001 | 24 h\n";
	dc.party = "baku", dc.text = dcs.text, dc.set_at = "1995-02-05T12:00:00+03:00";
	dc.passed_at = "1995-02-05T13:00:00+03:00";
	dcl.n_contacts = 1, dcl.contacts = dcv;
	ags.id = 12, ags.title = "Прекращение огня", ags.state = "circulating";
	ags.revision = 2, ags.observer = 1;
	agl.n_agreements = 1, agl.agreements = agsv;
	tv1.lang = "ru", tv1.text = "1. Прекратить огонь.\n", tv1.authentic = 1;
	tv2.lang = "hy", tv2.text = "1. Հրադադար.\n";
	pf.party = "baku", pf.frame = "To: the Minister\n{{core}}\nFor Azerbaijan:\n";
	text.n_versions = 2, text.versions = tvs;
	text.n_frames = 1, text.frames = pfs;

	{
		struct { int c; void *p; const char *name; } fs[] = {
			{ PARLEY__FRAME__BODY_HELLO, &hello, "hello" },
			{ PARLEY__FRAME__BODY_WELCOME, &welcome, "welcome" },
			{ PARLEY__FRAME__BODY_ERROR, &error, "error" },
			{ PARLEY__FRAME__BODY_OK, &ok, "ok" },
			{ PARLEY__FRAME__BODY_FETCH, &fetch, "fetch" },
			{ PARLEY__FRAME__BODY_FETCH_DONE, &fetch_done, "fetch_done" },
			{ PARLEY__FRAME__BODY_ACK, &ack, "ack" },
			{ PARLEY__FRAME__BODY_DELIVERY, &delivery, "delivery" },
			{ PARLEY__FRAME__BODY_SHOW, &show, "show" },
			{ PARLEY__FRAME__BODY_AGREEMENT, &text, "agreement" },
			{ PARLEY__FRAME__BODY_SIGN, &sign, "sign" },
			{ PARLEY__FRAME__BODY_AMEND, &amend, "amend" },
			{ PARLEY__FRAME__BODY_AMENDMENT_RESPONSE, &aresp, "amendment_response" },
			{ PARLEY__FRAME__BODY_WITHDRAW, &withdraw, "withdraw" },
			{ PARLEY__FRAME__BODY_BUNDLE_REQUEST, &breq, "bundle_request" },
			{ PARLEY__FRAME__BODY_BUNDLE, &bundle, "bundle" },
			{ PARLEY__FRAME__BODY_STATUS, &status, "status" },
			{ PARLEY__FRAME__BODY_STATUS_REPLY, &sreply, "status_reply" },
			{ PARLEY__FRAME__BODY_ADMIN, &admin, "admin" },
			{ PARLEY__FRAME__BODY_ADMIN_REPLY, &areply, "admin_reply" },
			{ PARLEY__FRAME__BODY_CONDITION_LIFT, &lift, "condition_lift" },
			{ PARLEY__FRAME__BODY_LETTER_SEND, &letter, "letter_send" },
			{ PARLEY__FRAME__BODY_AMENDMENT_QUERY, &amq, "amendment_query" },
			{ PARLEY__FRAME__BODY_AMENDMENT_VIEW, &amv, "amendment_view" },
			{ PARLEY__FRAME__BODY_AMENDMENT_LIST_QUERY, &amlq, "amendment_list_query" },
			{ PARLEY__FRAME__BODY_AMENDMENT_LIST, &aml, "amendment_list" },
			{ PARLEY__FRAME__BODY_DUTY_CONTACTS_SET, &dcs, "duty_contacts_set" },
			{ PARLEY__FRAME__BODY_DUTY_CONTACTS_QUERY, &dcq, "duty_contacts_query" },
			{ PARLEY__FRAME__BODY_DUTY_CONTACTS_LIST, &dcl, "duty_contacts_list" },
			{ PARLEY__FRAME__BODY_AGREEMENT_QUERY, &agq, "agreement_query" },
			{ PARLEY__FRAME__BODY_AGREEMENT_LIST, &agl, "agreement_list" },
		};
		for (i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
			f.id = i + 1;
			f.body_case = fs[i].c;
			f.hello = fs[i].p;	/* the oneof's members share a place */
			put_frame(fs[i].name, &f);
		}
	}
	f.id = 0, f.body_case = PARLEY__FRAME__BODY__NOT_SET, f.hello = NULL;
	put_frame("empty-id-only", (f.id = 9, &f));

	for (i = 0; i < NDESC; i++)
		if (!seeded[i]) {	/* a type no sample above contains */
			uint8_t b = (uint8_t)i;
			snprintf(name, sizeof(name), "%s-empty", descriptors[i]->short_name);
			put("messages", name, &b, 1);
			fprintf(stderr, "gen_seeds: warning: no sample of %s; "
			    "add one\n", descriptors[i]->name);
		}
}

static void
certs(void)
{
	static const char *codes[] = { "baku", "yerevan", "stepanakert" };
	struct cert *c = calloc(1, sizeof(*c));
	char *txt;
	size_t i;

	if (c == NULL)
		die("calloc");
	c->agreement = 12;
	snprintf(c->title, sizeof(c->title), "Ceasefire agreement (Бишкек)");
	c->revision = 2;
	memcpy(c->content_hash, hash32, 32);
	for (i = 0; i < 3; i++) {
		snprintf(c->parties[i], sizeof(c->parties[i]), "%s", codes[i]);
		snprintf(c->copies[i].party, sizeof(c->copies[i].party), "%s", codes[i]);
		if (i != 1)
			snprintf(c->copies[i].role, sizeof(c->copies[i].role), "minister");
		memcpy(c->copies[i].key, hash32, 32);
		memcpy(c->copies[i].sig, sig64, 64);
		c->copies[i].signed_at = 768484800 + (int64_t)i * 86400;
	}
	c->nparties = c->ncopies = 3;
	snprintf(c->observers[0], sizeof(c->observers[0]), "minsk");
	c->nobservers = 1;
	c->released_at = 768657600;
	c->effective_at = 768686460;
	if ((txt = cert_format(c)) == NULL)
		die("cert_format");
	put_str("cert", "ceasefire-1994", txt);
	free(txt);

	/* Bishkek: a reservation and a condition on the copies' lines */
	c->copies[0].has_reservation = 1;
	memcpy(c->copies[0].reservation, hash32, 32);
	snprintf(c->copies[0].condition, sizeof(c->copies[0].condition),
	    "ratification by the Milli Meclis");
	snprintf(c->copies[2].condition, sizeof(c->copies[2].condition), "вступает в силу");
	if ((txt = cert_format(c)) == NULL)
		die("cert_format");
	put_str("cert", "bishkek-reservations", txt);
	free(txt);
	c->copies[0].has_reservation = 0;
	c->copies[0].condition[0] = c->copies[2].condition[0] = '\0';

	c->nobservers = 0;
	c->nparties = c->ncopies = 1;
	c->agreement = UINT64_MAX, c->revision = UINT32_MAX;
	c->released_at = 0, c->effective_at = 253402300799;	/* 9999-12-31 */
	if ((txt = cert_format(c)) == NULL)
		die("cert_format");
	put_str("cert", "one-party-extremes", txt);
	free(txt);
	free(c);
}

static void
texts(void)
{
	/* Two texts of equal length each: fuzz_text splits the input in half. */
	static const struct { const char *name, *a, *b; } t[] = {
		{ "equal", "a\nb\nc\n", "a\nb\nc\n" },
		{ "one-line-changed", "a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nD\ne\nf\ng\nh\n" },
		{ "no-final-newline", "one\ntwo\n", "one\ntwo!" },
		{ "crlf", "one\r\ntwo\r\n", "one\ntwo\n\n\n" },
		{ "lone-cr", "one\rtwo\r", "one\ntwo\n" },
		{ "utf8", "Прекратить огонь.\nՀրադադար.\n", "Прекратить огонь!\nՀրադադար!\n" },
		{ "bad-utf8", "\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\n", "\xef\xbb\xbf\xe2\x82\xac\xf0\x9f\x98\x80\n" },
		{ "far-apart", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
		  "0\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n13\n" },
		{ "ident", "baku-1_x", "Yerevan!" },
		{ "nul", "abc\0def", "abc\0deg" },
	};
	static const char *files[] = { "tests/data/ceasefire-1994-rev1.txt",
	    "tests/data/ceasefire-1994-rev2.txt" };
	char buf[4096], ab[2][2048];
	size_t i, la, lb, n[2];
	FILE *f;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		la = strcmp(t[i].name, "nul") ? strlen(t[i].a) : 7;
		lb = strcmp(t[i].name, "nul") ? strlen(t[i].b) : 7;
		memcpy(buf, t[i].a, la);
		memcpy(buf + la, t[i].b, lb);
		put("text", t[i].name, buf, la + lb);
	}
	/* The two 1994 revisions, cut to one length. */
	for (i = 0; i < 2; i++) {
		if ((f = fopen(files[i], "rb")) == NULL)
			die(files[i]);
		n[i] = fread(ab[i], 1, sizeof(ab[i]), f);
		fclose(f);
	}
	la = n[0] < n[1] ? n[0] : n[1];
	memcpy(buf, ab[0], la);
	memcpy(buf + la, ab[1], la);
	put("text", "ceasefire-1994-rev1-rev2", buf, 2 * la);
}

static void
times(void)
{
	static const char *t[] = {
		"1994-05-12T00:01:00+04:00", "1994-05-11 20:01Z",
		"1994-05-11T20:01:00-0130", "2000-02-29T12:00:00Z",
		"1900-02-28T23:59:59Z", "1969-12-31T23:59:59Z",
		"0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59",
		"1d12h", "90", "2w", "1h30m", "5s", "1w2d3h4m5s",
		"9223372036854775807",
	};
	char name[16];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(name, sizeof(name), "%02zu", i + 1);
		put_str("ptime", name, t[i]);
	}
}

/* Checkpoints signed with the RFC 8032 section 7.1 TEST 1 key, which
 * fuzz_checkpoint verifies against, under parley's origin for that key and
 * under other names: sizes from the empty tree to the largest, each a real
 * root for a tree of that many (made-up) leaves where it is small. */
static void
checkpoints(void)
{
	static const uint8_t seed[32] = {
		0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4,
		0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
		0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
	};
	static const uint64_t sizes[] = { 0, 1, 2, 7, 1000000, UINT64_MAX };
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	struct merkle_frontier fr;
	uint8_t pub[32], mth[32], leaf[32];
	char origin[64], name[32], *text;
	size_t i;
	uint64_t j;

	if (k == NULL || crypto_pubkey_raw(k, pub) != 0 || checkpoint_origin(pub, origin) != 0) {
		fprintf(stderr, "gen_seeds: the test key\n");
		exit(1);
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		merkle_frontier_init(&fr);
		for (j = 0; j < sizes[i] && j < 8; j++) {
			char entry[32];
			snprintf(entry, sizeof(entry), "entry %llu", (unsigned long long)j);
			if (merkle_leaf_hash(entry, strlen(entry), leaf) != 0 ||
			    merkle_frontier_append(&fr, leaf) != 0)
				exit(1);
		}
		if (merkle_frontier_root(&fr, mth) != 0 ||
		    checkpoint_format(i == 3 ? "example.org/log" : origin, sizes[i], mth, k,
		    i == 3 ? "example.org/log" : origin, &text) != 0) {
			fprintf(stderr, "gen_seeds: checkpoint of size %zu\n", i);
			exit(1);
		}
		snprintf(name, sizeof(name), "size-%zu", i);
		put_str("checkpoint", name, text);
		free(text);
	}
	EVP_PKEY_free(k);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds CORPUS-DIR\n");
		return 2;
	}
	root = argv[1];
	if (mkdir(root, 0755) != 0 && errno != EEXIST)
		die(root);
	frames_and_messages();
	certs();
	texts();
	times();
	checkpoints();
	return 0;
}
