/* Lists of places a client tries in order: client.conf's server (HOST:PORT,
 * ...), the pins any of those servers may present (server_pin = PIN, ...)
 * and parleyctl's admin sockets (-s PATH,...).  One spelling: items
 * separated by commas, white space allowed around each; at most
 * CL_LIST_MAX items; an empty item (a comma too many), an item given twice
 * or a badly spelt one is refused with a message that names it.
 *
 * Nothing is allocated: a list is a fixed array the caller owns. */
#ifndef PARLEY_CL_LIST_H
#define PARLEY_CL_LIST_H

#include <stddef.h>

#define CL_LIST_MAX	8	/* items in one list */
#define CL_LIST_ITEM	264	/* "[" host "]:" port and its NUL; a pin; a socket path */
#define CL_LIST_HOST	253	/* the longest host name (DNS) or IPv6 literal */
#define CL_LIST_PATH	107	/* the longest socket path (sun_path less its NUL) */

struct cl_list {
	size_t n;
	char item[CL_LIST_MAX][CL_LIST_ITEM];
};

/* Server addresses: HOST:PORT or [IPv6]:PORT, port 1..65535.  Kept as
 * spelt, but for the port, which is kept in decimal without leading zeros.
 * 0, or -1 with err (what, the option's name, begins it). */
int cl_list_addrs(const char *what, const char *s, struct cl_list *out, char *err,
    size_t errlen);
/* Certificate pins: 64 hex digits each, kept in lower case.  0, or -1. */
int cl_list_pins(const char *what, const char *s, struct cl_list *out, char *err,
    size_t errlen);
/* Unix socket paths, at most CL_LIST_PATH bytes each.  0, or -1. */
int cl_list_sockets(const char *what, const char *s, struct cl_list *out, char *err,
    size_t errlen);

/* 1 if item is in l, spelt as kept (a pin in lower case), else 0. */
int cl_list_has(const struct cl_list *l, const char *item);

/* The list as one line, "a, b, c" (truncated to n bytes). */
void cl_list_join(const struct cl_list *l, char *out, size_t n);

#endif
