/* failalloc: a test-only LD_PRELOAD shim that makes chosen allocations fail.
 *
 *   LD_PRELOAD=build/libfailalloc.so parleyd -c test.conf
 *
 * It interposes malloc, calloc, realloc, posix_memalign, aligned_alloc and
 * memalign (and free, for its own bootstrap memory) and passes every call on
 * to the real allocator, until the program arms it:
 *
 *   void failalloc_arm(long nth, int rest);
 *       count this thread's allocations from now on; the nth fails (returns
 *       NULL with errno ENOMEM) and, if rest is non-zero, so does every one
 *       after it until failalloc_disarm.
 *   long failalloc_disarm(long *failed);
 *       stop; returns how many allocations were counted since failalloc_arm
 *       and stores how many of them failed in *failed.
 *
 * With FAILALLOC_TRACE set in the environment, each failure writes a
 * backtrace to stderr (addr2line or gdb turn it into lines).
 *
 * parleyd calls both through weak references (daemon/fault.c), so they do
 * nothing unless this library is preloaded.  glibc's own functions (strdup,
 * fopen, ...) allocate through the public malloc symbols, so they are
 * counted and failed too; realloc(p, 0) and free never fail.  Counting is per
 * thread: only the thread that armed the shim sees failures.
 *
 * dlsym(RTLD_NEXT) may itself allocate (calloc for its error state) before
 * the real functions are known: those few requests are served from a small
 * static arena that free ignores.
 *
 * Under AddressSanitizer the sanitizer's allocator comes first in symbol
 * resolution (it must: "ASan runtime does not come first"), so this shim
 * cannot see the program's allocations there; the test that uses it skips
 * the sanitizer build. */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

void failalloc_arm(long nth, int rest);
long failalloc_disarm(long *failed);

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);

/* Bootstrap arena: each block is preceded by its size. */
static _Alignas(max_align_t) unsigned char boot[16384];
static size_t boot_used;
static int resolving;
static int trace;		/* FAILALLOC_TRACE set: a backtrace per failure */

#define TLS static _Thread_local __attribute__((tls_model("initial-exec")))
TLS int t_armed;
TLS int t_rest;
TLS long t_nth;
TLS long t_count;
TLS long t_failed;

static int
in_boot(const void *p)
{
	return (const unsigned char *)p >= boot && (const unsigned char *)p < boot + sizeof(boot);
}

static void *
boot_alloc(size_t n)
{
	size_t hdr = sizeof(max_align_t), need;
	unsigned char *p;

	need = (n + hdr + hdr - 1) / hdr * hdr;
	if (n > sizeof(boot) || need > sizeof(boot) - boot_used) {
		errno = ENOMEM;
		return NULL;
	}
	p = boot + boot_used;
	boot_used += need;
	memcpy(p, &n, sizeof(n));
	memset(p + hdr, 0, n);
	return p + hdr;
}

static size_t
boot_size(const void *p)
{
	size_t n;

	memcpy(&n, (const unsigned char *)p - sizeof(max_align_t), sizeof(n));
	return n;
}

static void
resolve(void)
{
	if (real_free != NULL || resolving)
		return;
	resolving = 1;
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT,
	    "posix_memalign");
	real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
	real_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	resolving = 0;
}

__attribute__((constructor)) static void
failalloc_init(void)
{
	void *frames[1];

	resolve();
	if (getenv("FAILALLOC_TRACE") != NULL) {
		trace = 1;
		backtrace(frames, 1);	/* loads libgcc_s now, not while failing */
	}
}

/* Count one allocation of the armed thread; 1: make it fail. */
static int
injected(void)
{
	if (!t_armed)
		return 0;
	t_count++;
	if (t_count == t_nth || (t_rest && t_count > t_nth)) {
		t_failed++;
		if (trace) {
			void *frames[32];
			int n;

			t_armed = 0;
			n = backtrace(frames, 32);
			backtrace_symbols_fd(frames, n, 2);
			t_armed = 1;
		}
		errno = ENOMEM;
		return 1;
	}
	return 0;
}

void
failalloc_arm(long nth, int rest)
{
	t_nth = nth;
	t_rest = rest;
	t_count = 0;
	t_failed = 0;
	t_armed = nth > 0;
}

long
failalloc_disarm(long *failed)
{
	t_armed = 0;
	if (failed != NULL)
		*failed = t_failed;
	return t_count;
}

void *
malloc(size_t n)
{
	resolve();
	if (real_malloc == NULL)
		return boot_alloc(n);
	if (injected())
		return NULL;
	return real_malloc(n);
}

void *
calloc(size_t nmemb, size_t size)
{
	resolve();
	if (real_calloc == NULL) {
		if (size != 0 && nmemb > SIZE_MAX / size) {
			errno = ENOMEM;
			return NULL;
		}
		return boot_alloc(nmemb * size);
	}
	if (injected())
		return NULL;
	return real_calloc(nmemb, size);
}

void *
realloc(void *p, size_t n)
{
	void *q;

	resolve();
	if (p != NULL && in_boot(p)) {
		/* Moves out of the arena; the arena block is never reused. */
		if ((q = malloc(n)) != NULL)
			memcpy(q, p, boot_size(p) < n ? boot_size(p) : n);
		return q;
	}
	if (real_realloc == NULL)
		return p == NULL ? boot_alloc(n) : NULL;
	if ((p == NULL || n != 0) && injected())
		return NULL;
	return real_realloc(p, n);
}

void
free(void *p)
{
	if (p == NULL || in_boot(p))
		return;
	resolve();
	if (real_free != NULL)
		real_free(p);
}

int
posix_memalign(void **out, size_t align, size_t n)
{
	resolve();
	if (real_posix_memalign == NULL)
		return ENOMEM;
	if (injected())
		return ENOMEM;
	return real_posix_memalign(out, align, n);
}

void *
aligned_alloc(size_t align, size_t n)
{
	resolve();
	if (real_aligned_alloc == NULL || injected()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_aligned_alloc(align, n);
}

void *
memalign(size_t align, size_t n)
{
	resolve();
	if (real_memalign == NULL || injected()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_memalign(align, n);
}
