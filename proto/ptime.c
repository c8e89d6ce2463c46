#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "ptime.h"

/* Reads exactly n ASCII digits (isdigit() would follow the locale). */
static int
digits(const char **p, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* Consumes one character if it is one of set. */
static int
expect(const char **p, const char *set)
{
	if (**p == '\0' || strchr(set, **p) == NULL)
		return -1;
	(*p)++;
	return 0;
}

int
ptime_parse(const char *s, int64_t *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 1, leap;
	const char *p = s;
	time_t t;

	if (s == NULL || digits(&p, 4, &y) || expect(&p, "-") ||
	    digits(&p, 2, &mo) || expect(&p, "-") || digits(&p, 2, &d) ||
	    expect(&p, "T ") || digits(&p, 2, &h) || expect(&p, ":") ||
	    digits(&p, 2, &mi) || (expect(&p, ":") == 0 && digits(&p, 2, &sec)))
		return -1;
	if (expect(&p, "+-") == 0) {
		sign = p[-1] == '-' ? -1 : 1;
		if (digits(&p, 2, &oh))
			return -1;
		(void)expect(&p, ":");		/* +HH:MM or +HHMM */
		if (digits(&p, 2, &om))
			return -1;
	} else if (expect(&p, "Z") == -1)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 ||
	    sec > 59 || oh > 23 || om > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	/* -1 is also 1969-12-31T23:59:59; otherwise time_t is too narrow. */
	if ((t = timegm(&tm)) == (time_t)-1 && y != 1969)
		return -1;
	*out = (int64_t)t - sign * (oh * 3600 + om * 60);
	return 0;
}

/* Writes tm as ISO 8601 followed by zone.  Years outside 0000-9999, which
 * ptime_parse could not read back, give a placeholder instead. */
static void
put_tm(char out[PTIME_BUFLEN], const struct tm *tm, const char *zone)
{
	if (tm == NULL || tm->tm_year < -1900 || tm->tm_year > 9999 - 1900)
		snprintf(out, PTIME_BUFLEN, "(time out of range)");
	else
		snprintf(out, PTIME_BUFLEN, "%04d-%02d-%02dT%02d:%02d:%02d%s",
		    tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
		    tm->tm_hour, tm->tm_min, tm->tm_sec, zone);
}

void
ptime_format(int64_t t, char out[PTIME_BUFLEN])
{
	time_t tt = (time_t)t;
	struct tm tm;
	char zone[8];
	int off;

	if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL ||
	    tm.tm_gmtoff % 60 != 0 || tm.tm_gmtoff / 60 <= -24 * 60 ||
	    tm.tm_gmtoff / 60 >= 24 * 60) {
		ptime_format_utc(t, out);
		return;
	}
	off = (int)(tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff) / 60;
	snprintf(zone, sizeof(zone), "%c%02d:%02d", tm.tm_gmtoff < 0 ? '-' : '+',
	    off / 60, off % 60);
	put_tm(out, &tm, zone);
}

void
ptime_format_utc(int64_t t, char out[PTIME_BUFLEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	put_tm(out, (int64_t)tt == t ? gmtime_r(&tt, &tm) : NULL, "Z");
}

int
ptime_parse_duration(const char *s, int64_t *out)
{
	static const char units[] = "wdhms";
	static const int64_t mult[] = { 604800, 86400, 3600, 60, 1 };
	const char *p = s, *u;
	int64_t total = 0, v;
	size_t i, next = 0;	/* units must come after the last one used */

	if (s == NULL || *s == '\0')
		return -1;
	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			return -1;
		for (v = 0; *p >= '0' && *p <= '9'; p++) {
			if (v > (INT64_MAX - (*p - '0')) / 10)
				return -1;
			v = v * 10 + (*p - '0');
		}
		if (*p == '\0' && next == 0)
			i = 4;		/* a bare number: seconds */
		else if (*p != '\0' && (u = strchr(units, *p)) != NULL)
			i = (size_t)(u - units), p++;
		else
			return -1;
		if (i < next || v > (INT64_MAX - total) / mult[i])
			return -1;
		next = i + 1;
		total += v * mult[i];
	}
	if (total == 0)
		return -1;
	*out = total;
	return 0;
}

void
ptime_format_duration(int64_t secs, char *out, size_t n)
{
	static const char units[] = "dhms";
	static const uint64_t mult[] = { 86400, 3600, 60, 1 };
	uint64_t v = secs < 0 ? -(uint64_t)secs : (uint64_t)secs, q;
	size_t i, used;

	if (n == 0)
		return;
	snprintf(out, n, "%s", secs == 0 ? "0s" : secs < 0 ? "-" : "");
	for (i = 0; i < 4 && v != 0; i++) {
		if ((q = v / mult[i]) == 0)
			continue;
		v %= mult[i];
		used = strlen(out);
		snprintf(out + used, n - used, "%s%" PRIu64 "%c",
		    used > 0 && out[used - 1] != '-' ? " " : "", q, units[i]);
	}
}

int
ptime_zone_valid(const char *zone)
{
	char path[300], magic[4];
	struct stat sb;
	size_t i, n = strlen(zone);
	FILE *f;
	int ok;

	if (strcmp(zone, "UTC") == 0)
		return 1;
	/* The spelling of doc/bundle.md 4.4: parts separated by single /. */
	if (n == 0 || n > 63 || zone[0] == '/' || zone[n - 1] == '/' ||
	    strstr(zone, "//") != NULL || strstr(zone, "..") != NULL)
		return 0;
	for (i = 0; i < n; i++) {
		char c = zone[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '+' || c == '-'))
			return 0;
	}
	/* Not the leap-second ("right/") or POSIX copies, nor the files
	 * beside the zones: a zone, in the TZif format. */
	if (strncmp(zone, "right/", 6) == 0 || strncmp(zone, "posix/", 6) == 0 ||
	    strcmp(zone, "posixrules") == 0 || strcmp(zone, "Factory") == 0 ||
	    strcmp(zone, "localtime") == 0)
		return 0;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || (f = fopen(path, "rb")) == NULL)
		return 0;
	ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

/* Set TZ to zone for a moment; zone_leave puts back what was there.  The
 * daemon's loop is the only thread that reads local time. */
struct zone_saved {
	char tz[256];
	int had, set;
};

static void
zone_enter(const char *zone, struct zone_saved *z)
{
	const char *tz = getenv("TZ");

	z->set = *zone != '\0';
	if (!z->set)
		return;
	z->had = tz != NULL;
	snprintf(z->tz, sizeof(z->tz), "%s", tz ? tz : "");
	setenv("TZ", zone, 1);
	tzset();
}

static void
zone_leave(const struct zone_saved *z)
{
	if (!z->set)
		return;
	if (z->had)
		setenv("TZ", z->tz, 1);
	else
		unsetenv("TZ");
	tzset();
}

int
ptime_day_end(const char *date, const char *zone, int64_t *out)
{
	struct zone_saved z;
	char full[32];
	struct tm tm;
	const char *p = date;
	int64_t check;
	time_t t;
	int y, m, d;

	/* Exactly YYYY-MM-DD, a day the month has (ptime_parse's rules). */
	if (strlen(date) != 10 || digits(&p, 4, &y) || expect(&p, "-") || digits(&p, 2, &m) ||
	    expect(&p, "-") || digits(&p, 2, &d))
		return -1;
	snprintf(full, sizeof(full), "%sT00:00:00Z", date);
	if (ptime_parse(full, &check) != 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + 1;
	tm.tm_isdst = -1;
	zone_enter(zone, &z);
	t = mktime(&tm);
	zone_leave(&z);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

void
ptime_format_in(int64_t t, const char *zone, char out[PTIME_BUFLEN])
{
	struct zone_saved z;

	zone_enter(zone, &z);
	ptime_format(t, out);
	zone_leave(&z);
}

int
ptime_parse_in(const char *s, const char *zone, int64_t *out)
{
	if (ptime_parse(s, out) == 0)
		return 0;
	return ptime_day_end(s, zone, out);
}
