/*
 * libFuzzer harness: the import file reader of kakogawa-enroll
 * (enroll/csv.c, linked as is), on a file holding the input. Invariants:
 * every row it gives has a known action, a valid user name, zones only
 * for add and zones, and fields free of the separators and characters
 * the format refuses; reading again after csv_rewind gives the same rows.
 * An allocation failure (first input byte, fault_alloc.h) ends in the
 * tool's enroll_die, here a jump back: a refusal.
 */
#include <config.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enroll.h"
#include "fault_alloc.h"
#include "kgw_err.h"
#include "kgw_user.h"
#include "kgw_zone.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROWS_MAX 64	/* rows compared across the rewind */

static char dir[64], path[96];
static jmp_buf died;

/* The tool's message sinks (util.c, which needs main.c): quiet here. */
void
enroll_warn(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
}

void
enroll_die(const char *fmt, ...)
{
	(void)fmt;
	longjmp(died, 1);
}

static void
cleanup(void)
{
	(void)unlink(path);
	(void)rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fault_alloc_setup();
	/* Memory-backed when there is one: a file is written per input. */
	(void)snprintf(dir, sizeof(dir), "/dev/shm/kgw-fuzz-csv.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		(void)snprintf(dir, sizeof(dir), "/tmp/kgw-fuzz-csv.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	(void)snprintf(path, sizeof(path), "%s/import.csv", dir);
	(void)atexit(cleanup);
	return 0;
}

static void
check_row(const struct csv_row *row)
{
	if ((unsigned)row->action >= CSV_NACTIONS ||
	    !kgw_username_valid(row->user) ||
	    strpbrk(row->zones, ",\"\r\n") != NULL)
		abort();
	if (row->action != CSV_ADD && row->action != CSV_ZONES &&
	    row->zones[0] != '\0')
		abort();
}

/* Reads every row; rows[] keeps "action user zones" of the first ones. */
static int
read_rows(struct csv *c, char rows[ROWS_MAX][128], size_t *n)
{
	struct csv_row row;
	char norm[KGW_ZONE_LIST_MAX];
	int r;

	*n = 0;
	while ((r = csv_next(c, &row)) == 1) {
		check_row(&row);
		/* What import does next with the zones. */
		(void)kgw_zone_list_normalize(row.zones, norm, sizeof(norm));
		if (*n < ROWS_MAX)
			(void)snprintf(rows[*n], sizeof(rows[*n]), "%d %s %.80s",
			    (int)row.action, row.user, row.zones);
		(*n)++;
	}
	return r;
}

static int
write_file(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok;

	if (fd == -1)
		return -1;
	ok = write(fd, data, size) == (ssize_t)size;
	(void)close(fd);
	return ok ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char first[ROWS_MAX][128], again[ROWS_MAX][128];
	unsigned long nth = fault_alloc_take(&data, &size);
	static struct csv c;
	size_t n1, n2, i;
	static int fd;
	int r1, r2;

	if (write_file(data, size) != 0)
		abort();
	memset(&c, 0, sizeof(c));
	/* The descriptor csv_open will get: the lowest free one. */
	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		abort();
	(void)close(fd);
	fault_alloc_arm(nth);
	if (setjmp(died) != 0) {
		/*
		 * Out of memory: nothing was allocated to free, and the file
		 * the tool would have left open by exiting is closed here.
		 */
		(void)close(fd);
		if (!fault_alloc_disarm() || c.buf != NULL)
			abort();
		return 0;
	}
	if (csv_open(&c, path) != KGW_OK) {
		(void)fault_alloc_disarm();
		return 0;
	}
	(void)fault_alloc_disarm();
	r1 = read_rows(&c, first, &n1);
	csv_rewind(&c);
	r2 = read_rows(&c, again, &n2);
	if (r1 != r2 || n1 != n2 || (r1 != 0 && r1 != -1))
		abort();
	for (i = 0; i < n1 && i < ROWS_MAX; i++)
		if (strcmp(first[i], again[i]) != 0)
			abort();
	csv_close(&c);
	return 0;
}
