/* fuzz_ptime: ptime_parse and ptime_parse_duration (proto/ptime.h) on the
 * input as a NUL-terminated string (cut at its first NUL).  Checked: no
 * crash; a refusal leaves *out untouched; an accepted time that is within
 * the years 0000-9999 formats (ptime_format_utc) to a string ptime_parse
 * reads back as the same instant, and that string is a fixed point; an
 * accepted duration is positive and formats (ptime_format_duration)
 * without overrunning its buffer. */
#include <string.h>

#include "fuzz.h"
#include "proto/ptime.h"

#define UNTOUCHED INT64_C(0x5a5a5a5a5a5a5a5a)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[PTIME_BUFLEN], buf2[PTIME_BUFLEN], dur[64];
	int64_t t = UNTOUCHED, t2 = UNTOUCHED, d = UNTOUCHED;

	FUZZ_CHECK(s != NULL, "out of memory");
	memcpy(s, data, size);
	s[size] = '\0';

	if (ptime_parse(s, &t) != 0)
		FUZZ_CHECK(t == UNTOUCHED, "a refused time changed *out");
	else {
		ptime_format_utc(t, buf);
		FUZZ_CHECK(memchr(buf, '\0', sizeof(buf)) != NULL, "unterminated");
		if (buf[0] != '(') {	/* not "(time out of range)" */
			FUZZ_CHECK(ptime_parse(buf, &t2) == 0 && t2 == t,
			    "\"%s\" is %lld, its formatting \"%s\" reads back as %lld",
			    s, (long long)t, buf, (long long)t2);
			ptime_format_utc(t2, buf2);
			FUZZ_CHECK(strcmp(buf, buf2) == 0, "format is not a fixed "
			    "point: \"%s\" then \"%s\"", buf, buf2);
		}
		ptime_format(t, buf);
		FUZZ_CHECK(memchr(buf, '\0', sizeof(buf)) != NULL, "unterminated");
	}

	if (ptime_parse_duration(s, &d) != 0)
		FUZZ_CHECK(d == UNTOUCHED, "a refused duration changed *out");
	else {
		FUZZ_CHECK(d > 0, "duration \"%s\" parsed as %lld", s, (long long)d);
		ptime_format_duration(d, dur, sizeof(dur));
		FUZZ_CHECK(memchr(dur, '\0', sizeof(dur)) != NULL, "unterminated");
		ptime_format_duration(-d, dur, 8);
		FUZZ_CHECK(strlen(dur) < 8, "cut duration overran its buffer");
	}
	free(s);
	return 0;
}
