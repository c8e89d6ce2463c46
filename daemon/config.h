/* parleyd.conf.  One static table in config.c (one row per option: section,
 * name, type, bounds, default, reloadable, help, field) drives parsing,
 * defaults, validation, `parleyd -n` and the example conf/parleyd.conf.
 * Section and option names are a public contract (DESIGN.md).
 *
 * Syntax: INI (libinih).  "name = value" ("name: value" is refused), values
 * trimmed, never quoted.  Whole-line comments start with # or ;, and a # or ;
 * after whitespace starts a comment to the end of the line.  Durations: a
 * number and a unit s, m, h or d, or several ("1h30m").  Booleans: yes or no.
 * Every option may appear at most once; options not in the file take their
 * defaults. */
#ifndef PARLEY_CONFIG_H
#define PARLEY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_DURATIONS 8

/* The floor under max_frame and max_queued_output, a contract with the
 * code that makes deliveries.  A delivery is pushed to an endpoint as one
 * frame, and a frame that does not fit can never be sent: the endpoint
 * would be dropped, reconnect and fetch it first again, for ever.  So:
 *
 * - No Delivery frame parleyd makes is larger than CONFIG_DELIVERY_MAX
 *   bytes, its 4-byte length prefix included: 1 MiB.  engine.c proves at
 *   compile time that its largest payload, the release bundle of an
 *   agreement with the largest text, 64 parties and all their copies,
 *   mandates and journal proofs, fits (about 931 kB), and delivery.c
 *   refuses to store any delivery that does not.
 * - max_frame is at least that (CONFIG_MAX_FRAME_MIN, 1048576; the prefix
 *   is not counted in max_frame, so 4 bytes are to spare).
 * - max_queued_output is at least twice that (CONFIG_MAX_QUEUED_OUTPUT_MIN,
 *   2097152): a session pushes the next delivery while up to half of the
 *   cap is queued (delivery_push_window), so the largest delivery must fit
 *   in the other half, or the connection is dropped as "not reading".
 *
 * Raising max_frame beyond the floor admits larger incoming frames; it
 * needs no larger max_queued_output, since outgoing deliveries stay under
 * CONFIG_DELIVERY_MAX whatever max_frame is. */
#define CONFIG_DELIVERY_MAX		(1024 * 1024)
#define CONFIG_MAX_FRAME_MIN		CONFIG_DELIVERY_MAX
#define CONFIG_MAX_QUEUED_OUTPUT_MIN	(2 * CONFIG_DELIVERY_MAX)

/* The same floor for what comes in: a party's amendment or signed text and
 * the mediator's new agreement carry a text of up to 512 KiB (engine.c,
 * TEXT_MAX, with a calendar), and decoding such a frame allocates about
 * its size again.  Below this, a valid request would be refused as a bad
 * frame and its connection closed. */
#define CONFIG_DECODE_BUDGET_MIN	CONFIG_MAX_FRAME_MIN

/* Seconds, sorted longest first, without duplicates; n == 0: none. */
struct config_durations {
	size_t	n;
	int64_t	s[CONFIG_MAX_DURATIONS];
};

/* Durations are in seconds.  Strings are copies owned by the struct (all
 * of them on its strings list), never NULL between config_defaults/
 * config_load and config_free ("" where an option may be empty). */
struct config {
	/* [server] */
	char	*listen_host;		/* IPv4, IPv6 without [], or a name */
	uint16_t listen_port;		/* 1..65535 */
	char	*state_dir;
	char	*admin_socket;
	char	*admin_group;		/* "": mode 0600; else 0660, group */
	char	*status_socket;
	char	*status_group;		/* "": parleyd's own group */
	int64_t	status_mode;		/* 0600, 0660 or 0666 */
	int64_t	max_frame;		/* bytes */
	char	*display_tz;		/* "": the process TZ; else a tz name */
	/* [tls] */
	char	*tls_groups;		/* OpenSSL group list, checked names */
	/* [limits] */
	int64_t	max_connections;
	int64_t	max_per_source;		/* per source address; 0: none */
	int64_t	handshake_rate;		/* new connections/s per source; 0: none */
	int64_t	max_handshakes;		/* TLS handshakes in progress */
	int64_t	max_per_endpoint;
	int64_t	handshake_timeout;
	int64_t	frame_timeout;		/* for a whole frame, however slow */
	int64_t	idle_timeout;
	int64_t	max_queued_output;	/* bytes per connection */
	int64_t	decode_budget;		/* bytes a frame's decode may use */
	/* [incidents] */
	int64_t	response_window;
	int64_t	disclosure_embargo;
	int64_t	duty_grace;		/* no endpoint online this long: alert */
	char	*duty_parties;		/* "all", codes, or "": alert always for them */
	/* [agreements] */
	int64_t	objection_window;	/* to a request to add an observer */
	int64_t	letter_bytes_per_day;	/* a party's letters, stored, in 24 h */
	/* [timelines] */
	struct config_durations sign_reminders;	/* before a signing deadline */
	struct config_durations expiry_warnings;	/* before expiry */
	/* [alerts] */
	char	*alert_exec;		/* "": none */
	bool	alert_backlog;		/* tell a new program the whole record */
	int64_t	alert_retry;		/* seconds after a first failure */
	/* [store] */
	char	*store_backend;		/* "sqlite" or "postgresql" */
	char	*store_dsn;		/* libpq connection string; "" with sqlite */
	int64_t	store_lease;		/* seconds */
	/* [testing] */
	bool	virtual_clock;

	struct config_string *strings;	/* owns every string above */
};

/* Fill *c with every option's default.  *c is overwritten, not freed:
 * it must hold no allocations.  Release with config_free(). */
void config_defaults(struct config *c);

/* Parse the file at path over the defaults (not over *c's values).  0 on
 * success: *c's old strings are freed and *c holds the new configuration.
 * -1 on failure: *c is untouched and err holds the first error as
 * "PATH:LINE: message" (or "cannot open PATH: reason").  *c must come from
 * config_defaults, config_load, or be zeroed. */
int config_load(const char *path, struct config *c, char *err, size_t errlen);

/* Free the strings and zero *c.  NULL and a zeroed config are no-ops. */
void config_free(struct config *c);

/* 0 if new differs from old only in reloadable options (SIGHUP may apply
 * it), else -1 with err naming the first option that needs a restart. */
int config_reload_changes(const struct config *old, const struct config *new,
    char *err, size_t errlen);

/* Print an annotated example configuration: every option commented out
 * with its default, help, bounds and reloadability.  conf/parleyd.conf is
 * this output. */
void config_print_doc(FILE *f);

/* Name and section of the i-th option in table order; NULL past the end. */
const char *config_option_name(size_t i, const char **section);

#endif
