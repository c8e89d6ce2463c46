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
	int64_t	max_frame;		/* bytes */
	char	*display_tz;		/* "": the process TZ; else a tz name */
	/* [limits] */
	int64_t	max_connections;
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
	/* [timelines] */
	struct config_durations sign_reminders;	/* before a signing deadline */
	struct config_durations expiry_warnings;	/* before expiry */
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
