/* Error codes carried in Error frames and used as CLI exit reasons.
 * Shared by both ends of every connection. */
#ifndef PARLEY_ERRORS_H
#define PARLEY_ERRORS_H

enum parley_err {
	PARLEY_OK = 0,
	PARLEY_EREFUSED = 1,     /* the request is understood and refused */
	PARLEY_EUSAGE = 2,       /* malformed or missing fields */
	PARLEY_EUNAVAIL = 3,     /* cannot reach or use the daemon */
	PARLEY_EPROTO = 4,       /* protocol violation: bad frame, wrong order */
	PARLEY_EAUTH = 5,        /* unknown endpoint, wrong party */
	PARLEY_ENOTFOUND = 6,    /* unknown agreement, party, delivery ... */
	PARLEY_ESTORE = 7,       /* the store failed; nothing was committed */
	PARLEY_EVERSION = 8,     /* protocol version mismatch */
};

/* A short constant name for an error code. */
const char *parley_strerror(int code);

#define PARLEY_PROTOCOL_VERSION 1
/* Hello's agent for a console (parley console): it looks, takes no
 * deliveries, and is not counted on duty. */
#define PARLEY_CONSOLE_AGENT "parley-console/1"

#endif
