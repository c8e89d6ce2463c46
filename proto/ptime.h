/* Times and durations as people type and read them.  A time is int64 Unix
 * seconds (UTC); a duration is int64 seconds.  Nothing here allocates. */
#ifndef PARLEY_PTIME_H
#define PARLEY_PTIME_H

#include <stddef.h>
#include <stdint.h>

#define PTIME_BUFLEN 40

/* Parses ISO 8601 with a mandatory offset, YYYY-MM-DDTHH:MM[:SS] (or a space
 * for the T) then Z, +HH:MM or +HHMM (or '-'), into *out.  Fields are range
 * checked (day against its month, leap years included).  0, or -1 with
 * *out untouched. */
int ptime_parse(const char *s, int64_t *out);

/* ISO 8601 in the local time zone (TZ honoured), with seconds and the offset
 * as +HH:MM, e.g. 1994-05-12T00:01:00+04:00; in UTC where the offset is not
 * whole minutes (old local mean time); "(time out of range)" outside the
 * years 0000-9999. */
void ptime_format(int64_t t, char out[PTIME_BUFLEN]);

/* ISO 8601 in UTC, e.g. 1994-05-11T20:01:00Z; same out-of-range rule. */
void ptime_format_utc(int64_t t, char out[PTIME_BUFLEN]);

/* Parses a positive duration: a number and a unit (s, m, h, d, w), or several
 * with units from largest to smallest ("1d12h"), or a bare number of
 * seconds.  0, or -1 (*out untouched) on bad syntax, zero or overflow. */
int ptime_parse_duration(const char *s, int64_t *out);

/* Writes secs as "1d 2h 3m", "45s" or "0s" (zero parts left out, a '-'
 * before negative ones) into out[0..n), cut short if n is too small. */
void ptime_format_duration(int64_t secs, char *out, size_t n);

/* Time zones by their tz database name ("Europe/Moscow", "UTC").  Valid:
 * a name of at most 63 letters, digits, '/', '_', '+', '-' naming a zone
 * file under
 * /usr/share/zoneinfo (no "..", no leading '/'): 1, else 0. */
int ptime_zone_valid(const char *zone);
/* A date YYYY-MM-DD alone: the end of that day (the next midnight) in
 * zone, whatever the process's TZ.  0 with *out, or -1. */
int ptime_day_end(const char *date, const char *zone, int64_t *out);
/* A time (ptime_parse), or a date alone: the end of that day in zone.
 * 0 with *out, or -1. */
int ptime_parse_in(const char *s, const char *zone, int64_t *out);
/* ptime_format in zone ("" : the process's TZ, as ptime_format). */
void ptime_format_in(int64_t t, const char *zone, char out[PTIME_BUFLEN]);

#endif
