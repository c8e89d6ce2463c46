#include <stdarg.h>
#include <stdio.h>

#include "conn.h"
#include "req.h"
#include "turn.h"

void
req_reply(const struct req *r, Parley__Frame *f)
{
	f->id = r->id;
	turn_reply(r->turn, r->reply_to, f);
}

enum req_end
req_ok(const struct req *r, uint64_t id, const char *fmt, ...)
{
	Parley__Frame f = PARLEY__FRAME__INIT;
	Parley__Ok ok = PARLEY__OK__INIT;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ok.id = id;
	ok.message = msg;
	f.body_case = PARLEY__FRAME__BODY_OK;
	f.ok = &ok;
	req_reply(r, &f);
	return REQ_KEEP;
}

enum req_end
req_refuse(const struct req *r, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	turn_error(r->turn, r->reply_to, r->id, code, "%s", msg);
	return REQ_ROLLBACK;
}

int
req_log_ok(const struct req *r)
{
	return conn_log_ok(r->reply_to);
}

size_t
req_max_output(const struct req *r)
{
	return conn_max_output(r->reply_to);
}
