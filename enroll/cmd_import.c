/*
 * import: a personnel transfer file (read by csv.c) applied in one store
 * transaction, row after row, so that a row sees the rows above it; at the
 * first bad line nothing at all is kept. --dry-run runs the same batch
 * and rolls it back, and says what it would have done only after the
 * rollback: a reader slow to take the output (a pager, a full pipe) must
 * not hold the store's write lock, during which every login waits.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enroll.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_store.h"
#include "kgw_zone.h"

enum {
	OPT_DRY_RUN = OPT_CMD_BASE,
};

#define IMPORT_ROWS_MAX 100000

struct import {
	struct enroll *e;
	struct csv csv;
	bool dry_run;
	unsigned long count[CSV_NACTIONS];
	FILE *plan;		/* dry run: the lines to print, in memory */
	char *plan_text;
	size_t plan_len;
};

/* "cannot add" alice: ..., by action. */
static const char *const failed[CSV_NACTIONS] = {
	[CSV_ADD] = N_("cannot add"),
	[CSV_ZONES] = N_("cannot set the zones of"),
	[CSV_DISABLE] = N_("cannot disable"),
	[CSV_ENABLE] = N_("cannot enable"),
	[CSV_DELETE] = N_("cannot delete"),
};

/* One row through the store; zones is its list in the stored form. */
static int
row_store(struct import *im, const struct csv_row *row, const char *zones)
{
	struct kgw_store *s = im->e->store;
	const char *op = im->e->operator_name;

	switch (row->action) {
	case CSV_ADD:
		return kgw_store_user_add(s, row->user, zones, op);
	case CSV_ZONES:
		return kgw_store_set_zones(s, row->user, zones, op);
	case CSV_DISABLE:
	case CSV_ENABLE:
		return kgw_store_set_disabled(s, row->user,
		    row->action == CSV_DISABLE, op);
	case CSV_DELETE:
		return kgw_store_user_delete(s, row->user, op);
	default:
		return KGW_ERR_INTERNAL;
	}
}

static int
row_apply(struct import *im, const struct csv_row *row)
{
	char zones[KGW_ZONE_LIST_MAX] = "";
	bool has_zones = row->action == CSV_ADD || row->action == CSV_ZONES;
	int r;

	/* enroll_zone_list says which name is wrong; we say where. */
	if (has_zones && enroll_zone_list(im->e, row->zones, zones,
	    sizeof(zones)) != KGW_OK) {
		csv_warn(&im->csv, "zones refused for %s (see above)",
		    row->user);
		return KGW_ERR_INVALID;
	}
	if ((r = row_store(im, row, zones)) != KGW_OK) {
		csv_warn(&im->csv, "%s %s: %s", _(failed[row->action]), row->user,
		    kgw_strerror(r));
		return r;
	}
	im->count[row->action]++;
	if (im->plan != NULL)
		(void)fprintf(im->plan, "line %lu: %s %s%s%s\n", im->csv.lineno,
		    csv_action_name(row->action), row->user,
		    has_zones ? " zones=" : "",
		    has_zones ? (zones[0] != '\0' ? zones : "-") : "");
	return KGW_OK;
}

/* Every row, in order, inside the batch; KGW_OK when all were applied. */
static int
rows_apply(struct import *im)
{
	struct csv_row row;
	int n, r = KGW_OK;

	csv_rewind(&im->csv);
	while (r == KGW_OK && (n = csv_next(&im->csv, &row)) != 0)
		r = n < 0 ? KGW_ERR_INVALID : row_apply(im, &row);
	return r;
}

/*
 * The whole file's syntax, before the store is opened or locked. The row
 * cap bounds how long one import holds the store's write lock, during
 * which logins wait (about 1.3 s for IMPORT_ROWS_MAX, see bench/README).
 */
static int
rows_check(struct import *im)
{
	struct csv_row row;
	unsigned long rows = 0;
	int n;

	while ((n = csv_next(&im->csv, &row)) > 0)
		if (++rows > IMPORT_ROWS_MAX) {
			csv_warn(&im->csv, "more than %d rows: split the file",
			    IMPORT_ROWS_MAX);
			return KGW_ERR_INVALID;
		}
	return n == 0 ? KGW_OK : KGW_ERR_INVALID;
}

static void
report(const struct import *im)
{
	const unsigned long *n = im->count;
	unsigned long total = 0;
	size_t i;

	for (i = 0; i < CSV_NACTIONS; i++)
		total += n[i];
	if (im->e->json) {
		(void)fputs("{\"file\":", stdout);
		json_string(stdout, im->csv.path);
		(void)printf(",\"dry_run\":%s,\"changes\":%lu,\"add\":%lu,"
		    "\"zones\":%lu,\"disable\":%lu,\"enable\":%lu,"
		    "\"delete\":%lu}\n", im->dry_run ? "true" : "false", total,
		    n[CSV_ADD], n[CSV_ZONES], n[CSV_DISABLE], n[CSV_ENABLE],
		    n[CSV_DELETE]);
		return;
	}
	(void)printf(im->dry_run ? _("dry run: would apply %lu changes (%lu "
	    "add, %lu zones, %lu disable, %lu enable, %lu delete); nothing "
	    "changed\n") : _("applied %lu changes (%lu add, %lu zones, %lu "
	    "disable, %lu enable, %lu delete)\n"), total, n[CSV_ADD],
	    n[CSV_ZONES], n[CSV_DISABLE], n[CSV_ENABLE], n[CSV_DELETE]);
}

/* Where a dry run writes its lines until the batch is over. */
static int
plan_open(struct import *im)
{
	if (!im->dry_run || im->e->json)
		return KGW_OK;
	im->plan = open_memstream(&im->plan_text, &im->plan_len);
	if (im->plan == NULL) {
		enroll_warn("%s: out of memory", im->csv.path);
		return KGW_ERR_NOMEM;
	}
	return KGW_OK;
}

/* Closes the plan, printing it when show (the batch went through). */
static int
plan_close(struct import *im, bool show)
{
	bool broken;
	int r = KGW_OK;

	if (im->plan == NULL)
		return KGW_OK;
	broken = ferror(im->plan) != 0;
	if (fclose(im->plan) != 0 || broken) {
		enroll_warn("%s: out of memory", im->csv.path);
		r = KGW_ERR_NOMEM;
	} else if (show && (fwrite(im->plan_text, 1, im->plan_len, stdout) !=
	    im->plan_len || fflush(stdout) != 0)) {
		enroll_warn("%s: cannot write the plan", im->csv.path);
		r = KGW_ERR_IO;
	}
	im->plan = NULL;
	free(im->plan_text);
	im->plan_text = NULL;
	return r;
}

/* The batch: kept only when every row went in and this is no dry run. */
static int
import_run(struct import *im)
{
	struct kgw_store *s = im->e->store;
	int r;

	if ((r = kgw_store_batch_begin(s)) != KGW_OK) {
		enroll_warn("%s: cannot start the import: %s", im->csv.path,
		    kgw_strerror(r));
		return r;
	}
	if ((r = rows_apply(im)) != KGW_OK || im->dry_run) {
		(void)kgw_store_batch_end(s, false);
		return r;
	}
	if ((r = kgw_store_batch_end(s, true)) != KGW_OK)
		enroll_warn("%s: cannot commit the import: %s", im->csv.path,
		    kgw_strerror(r));
	return r;
}

int
cmd_import(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct import im;
	int ch, r, status = 1;

	memset(&im, 0, sizeof(im));
	im.e = e;
	while ((ch = enroll_getopt(argc, argv, opts)) != -1) {
		if (ch == OPT_DRY_RUN)
			im.dry_run = true;
		else
			enroll_common_option(e, "import", ch, argv);
	}
	if (optind >= argc)
		enroll_usage("import: missing FILE (see --help)");
	if (argc - optind > 1)
		enroll_usage("import: too many arguments (see --help)");
	if (csv_open(&im.csv, argv[optind]) != KGW_OK)
		return 1;
	if (rows_check(&im) != KGW_OK)
		goto fail;
	enroll_open(e);
	if (plan_open(&im) != KGW_OK)
		goto fail;
	r = import_run(&im);
	if (plan_close(&im, r == KGW_OK) != KGW_OK || r != KGW_OK)
		goto fail;
	report(&im);
	status = 0;
fail:
	if (status != 0)
		enroll_warn("%s: nothing changed", im.csv.path);
	enroll_close(e);
	csv_close(&im.csv);
	return status;
}
