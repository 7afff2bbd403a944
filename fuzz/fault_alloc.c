/*
 * Allocation-failure injection (fault_alloc.h). The wrappers count every
 * allocation made while armed, from our objects, SQLite and OpenSSL
 * alike, and refuse those from the chosen one on.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "fault_alloc.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t nmemb, size_t n);
void *__real_realloc(void *p, size_t n);
void *__real_reallocarray(void *p, size_t nmemb, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t nmemb, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_reallocarray(void *p, size_t nmemb, size_t n);
char *__wrap_strdup(const char *s);

static unsigned long fail_at;	/* 0: never */
static unsigned long counted;
static bool failed;

/* One more allocation: true when it must fail. */
static bool
refuse(void)
{
	if (fail_at == 0)
		return false;
	if (++counted < fail_at)
		return false;
	failed = true;
	return true;
}

void *
__wrap_malloc(size_t n)
{
	return refuse() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t nmemb, size_t n)
{
	return refuse() ? NULL : __real_calloc(nmemb, n);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return refuse() ? NULL : __real_realloc(p, n);
}

void *
__wrap_reallocarray(void *p, size_t nmemb, size_t n)
{
	return refuse() ? NULL : __real_reallocarray(p, nmemb, n);
}

char *
__wrap_strdup(const char *s)
{
	return refuse() ? NULL : __real_strdup(s);
}

/*
 * SQLite's allocator wants the size of a block back: a 16-byte header
 * keeps it (and keeps the block aligned for any type).
 */
#define HDR 16

static void *
sq_malloc(int n)
{
	unsigned char *p;

	if (n <= 0 || refuse() || (p = __real_malloc((size_t)n + HDR)) == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + HDR;
}

static void
sq_free(void *p)
{
	if (p != NULL)
		free((unsigned char *)p - HDR);
}

static int
sq_size(void *p)
{
	int n = 0;

	if (p != NULL)
		memcpy(&n, (unsigned char *)p - HDR, sizeof(n));
	return n;
}

static void *
sq_realloc(void *p, int n)
{
	unsigned char *q;

	if (n <= 0 || refuse() ||
	    (q = __real_realloc((unsigned char *)p - HDR, (size_t)n + HDR)) ==
	    NULL)
		return NULL;
	memcpy(q, &n, sizeof(n));
	return q + HDR;
}

static int
sq_roundup(int n)
{
	return (n + 7) & ~7;
}

static int
sq_init(void *arg)
{
	(void)arg;
	return SQLITE_OK;
}

static void
sq_shutdown(void *arg)
{
	(void)arg;
}

static void *
ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return refuse() ? NULL : __real_malloc(n);
}

static void *
ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return refuse() ? NULL : __real_realloc(p, n);
}

static void
ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

void
fault_alloc_setup(void)
{
	static const sqlite3_mem_methods sq = {
		sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup,
		sq_init, sq_shutdown, NULL
	};

	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &sq) != SQLITE_OK ||
	    CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc,
	    ossl_free) != 1)
		abort();	/* too late: someone allocated first */
}

void
fault_alloc_arm(unsigned long nth)
{
	fail_at = nth;
	counted = 0;
	failed = false;
}

bool
fault_alloc_disarm(void)
{
	fail_at = 0;
	return failed;
}

bool
fault_alloc_fired(void)
{
	return failed;
}

unsigned long
fault_alloc_take(const uint8_t **data, size_t *size)
{
	unsigned long nth;

	if (*size == 0)
		return 0;
	/* Most inputs run clean; the rest fail early or late. */
	nth = (*data)[0] < 0x80 ? 0 : (unsigned long)((*data)[0] - 0x7f) *
	    ((*data)[0] >= 0xf0 ? 16 : 1);
	(*data)++;
	(*size)--;
	return nth;
}
