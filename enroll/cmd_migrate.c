/*
 * migrate: copies every person of one store (the --config's) into another
 * (--to's), SQLite or directory either way, secrets as they are stored:
 * sealed TOTP secrets and keys, keyed hashes of codes. That is why both
 * sides must hold the same city key.
 *
 * All or nothing. A check pass reads every person whole first (so a
 * person the source cannot read stops the run before anything is
 * written) and refuses the run if any of them is already in the
 * destination. Then the write pass: into a SQLite store as one
 * transaction; into a directory, which has no transaction across
 * entries, person by person, the ones written removed again if a later
 * one fails. Logins should be stopped on the source meanwhile: a
 * watermark moved there after its person was copied is not carried.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enroll.h"
#include "kgw_crypto.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_store.h"

enum {
	OPT_TO = OPT_CMD_BASE,
	OPT_DRY_RUN,
};

struct migrate {
	struct enroll *src;
	struct enroll *dst;
	bool dry_run;
	char (*names)[KGW_USERNAME_MAX + 1];	/* the source's people */
	size_t n, cap;
	size_t written;		/* names[0..written): maybe written */
	size_t left;		/* of those, still there after a failure */
	unsigned long keys, codes, pending;
};

static int
name_cb(void *arg, const struct kgw_user_rec *rec)
{
	struct migrate *m = arg;
	char (*grown)[KGW_USERNAME_MAX + 1];

	if (m->n == m->cap) {
		m->cap = m->cap == 0 ? 64 : m->cap * 2;
		grown = realloc(m->names, m->cap * sizeof(*grown));
		if (grown == NULL)
			enroll_die("out of memory");
		m->names = grown;
	}
	memcpy(m->names[m->n++], rec->name, sizeof(rec->name));
	return 0;
}

/*
 * The same key file content on both sides (not merely the same path:
 * each host has its copy), both halves: the first opens the sealed
 * secrets, the second keys the recovery hashes and the trails.
 */
static void
keys_match(const struct migrate *m)
{
	struct kgw_key a, b;
	unsigned char diff = 0;
	size_t i;
	int r;

	if ((r = kgw_key_load(&m->src->log, m->src->conf.key, &a)) != KGW_OK)
		enroll_die("cannot read the key file %s: %s",
		    m->src->conf.key, kgw_strerror(r));
	if ((r = kgw_key_load(&m->dst->log, m->dst->conf.key, &b)) != KGW_OK) {
		kgw_key_wipe(&a);
		enroll_die("cannot read the key file %s: %s",
		    m->dst->conf.key, kgw_strerror(r));
	}
	for (i = 0; i < sizeof(a.bytes); i++)
		diff |= a.bytes[i] ^ b.bytes[i];
	kgw_key_wipe(&a);
	kgw_key_wipe(&b);
	if (diff != 0)
		enroll_die("migrate: the key files differ (%s, %s): the "
		    "secrets are copied sealed, so both stores need the same "
		    "city key", m->src->conf.key, m->dst->conf.key);
}

/* One store for both: nothing to copy, and every name would clash. */
static void
stores_differ(const struct migrate *m)
{
	const struct kgw_conf *s = &m->src->conf, *d = &m->dst->conf;
	bool same;

	if (s->directory.nuri > 0 && d->directory.nuri > 0)
		same = strcmp(s->directory.base, d->directory.base) == 0 &&
		    strcmp(s->directory.uri[0], d->directory.uri[0]) == 0;
	else
		same = s->directory.nuri == 0 && d->directory.nuri == 0 &&
		    strcmp(s->store, d->store) == 0;
	if (same)
		enroll_die("migrate: %s and %s name the same store",
		    m->src->config_abs, m->dst->config_abs);
}

/* Every person read whole, counted, and absent from the destination. */
static int
check_pass(struct migrate *m)
{
	struct kgw_user_full *f;
	struct kgw_user_rec rec;
	size_t i, clash = 0;
	int r;

	if ((f = malloc(sizeof(*f))) == NULL)
		enroll_die("out of memory");
	for (i = 0; i < m->n; i++) {
		if ((r = kgw_store_user_read(m->src->store, m->names[i], f)) !=
		    KGW_OK) {
			enroll_store_error("cannot read", m->names[i], r);
			goto out;
		}
		m->keys += f->nkeys;
		m->codes += f->ncodes;
		m->pending += f->has_pending;
		explicit_bzero(f, sizeof(*f));
		r = kgw_store_get_user(m->dst->store, m->names[i], &rec);
		explicit_bzero(&rec, sizeof(rec));
		if (r == KGW_OK) {
			enroll_warn("migrate: %s is already in the destination",
			    m->names[i]);
			clash++;
		} else if (r != KGW_ERR_NOT_FOUND) {
			enroll_store_error("cannot look up", m->names[i], r);
			goto out;
		}
	}
	r = clash == 0 ? KGW_OK : KGW_ERR_EXISTS;
out:
	free(f);
	return r;
}

/* Undoes a directory's partial run: the people this run added. */
static void
undo(struct migrate *m)
{
	struct kgw_user_rec rec;
	size_t i;
	int r;

	for (i = 0; i < m->written; i++) {
		r = kgw_store_get_user(m->dst->store, m->names[i], &rec);
		explicit_bzero(&rec, sizeof(rec));
		if (r == KGW_ERR_NOT_FOUND)
			continue;	/* a transaction undid it */
		if (r != KGW_OK || (r = kgw_store_user_delete(m->dst->store,
		    m->names[i], m->src->operator_name)) != KGW_OK) {
			enroll_warn("migrate: %s stays in the destination "
			    "(remove it by hand): %s", m->names[i],
			    kgw_strerror(r));
			m->left++;
		}
	}
}

static int
write_all(struct migrate *m, const char *detail)
{
	struct kgw_user_full *f;
	int r = KGW_OK;

	if ((f = malloc(sizeof(*f))) == NULL)
		enroll_die("out of memory");
	for (m->written = 0; m->written < m->n; m->written++) {
		const char *name = m->names[m->written];

		if ((r = kgw_store_user_read(m->src->store, name, f)) ==
		    KGW_OK)
			r = kgw_store_user_write(m->dst->store, f,
			    m->src->operator_name, detail);
		explicit_bzero(f, sizeof(*f));
		if (r != KGW_OK) {
			enroll_store_error("cannot migrate", name, r);
			/* Written, perhaps, if not refused as there already
			 * (someone else's then): for undo to look at. */
			if (r != KGW_ERR_EXISTS)
				m->written++;
			break;
		}
	}
	free(f);
	return r;
}

/* The write pass: a SQLite destination in one transaction. */
static int
write_pass(struct migrate *m)
{
	char detail[KGW_MIGRATE_DETAIL_MAX + 1];
	bool batch = m->dst->conf.directory.nuri == 0;
	int r, e;

	/* A path's first 200 bytes: the record is a pointer, not proof. */
	(void)snprintf(detail, sizeof(detail), "from=%.200s",
	    m->src->config_abs);
	if (batch && (r = kgw_store_batch_begin(m->dst->store)) != KGW_OK) {
		enroll_warn("migrate: cannot start writing: %s",
		    kgw_strerror(r));
		return r;
	}
	r = write_all(m, detail);
	/* The first error stands: a rollback that worked is no success. */
	if (batch && (e = kgw_store_batch_end(m->dst->store, r == KGW_OK)) !=
	    KGW_OK) {
		enroll_warn("migrate: cannot commit: %s", kgw_strerror(e));
		if (r == KGW_OK)
			r = e;
	}
	if (r != KGW_OK)
		undo(m);
	return r;
}

static void
report(const struct migrate *m)
{
	if (m->src->json) {
		(void)fputs("{\"from\":", stdout);
		json_string(stdout, m->src->config_abs);
		(void)fputs(",\"to\":", stdout);
		json_string(stdout, m->dst->config_abs);
		(void)printf(",\"dry_run\":%s,\"people\":%zu,"
		    "\"fido2_keys\":%lu,\"recovery_codes\":%lu,"
		    "\"totp_pending\":%lu}\n",
		    m->dry_run ? "true" : "false", m->n, m->keys, m->codes,
		    m->pending);
		return;
	}
	(void)printf(m->dry_run ? _("dry run: would migrate %zu people (%lu "
	    "security keys, %lu recovery codes, %lu pending TOTP) to %s; "
	    "nothing changed\n") : _("migrated %zu people (%lu security keys, "
	    "%lu recovery codes, %lu pending TOTP) to %s\n"), m->n, m->keys,
	    m->codes, m->pending, m->dst->config_abs);
}

static int
migrate_run(struct migrate *m)
{
	char note[KGW_MIGRATE_DETAIL_MAX + 1];
	int r;

	if ((r = kgw_store_list(m->src->store, name_cb, m)) != KGW_OK) {
		enroll_warn("cannot list the store: %s", kgw_strerror(r));
		return r;
	}
	if ((r = check_pass(m)) != KGW_OK || m->dry_run ||
	    (r = write_pass(m)) != KGW_OK)
		return r;
	/* The source's trail says where its people went, once a run. */
	(void)snprintf(note, sizeof(note), "to=%.200s people=%zu",
	    m->dst->config_abs, m->n);
	if ((r = kgw_store_audit_note(m->src->store, m->src->operator_name,
	    "migrate", note)) != KGW_OK)
		enroll_warn("migrate: done, but the source's trail did not "
		    "take its note: %s", kgw_strerror(r));
	return KGW_OK;
}

int
cmd_migrate(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, OPT_TO },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct enroll dst;
	struct migrate m;
	int ch, r;

	memset(&m, 0, sizeof(m));
	memset(&dst, 0, sizeof(dst));
	m.src = e;
	m.dst = &dst;
	while ((ch = enroll_getopt(argc, argv, opts)) != -1) {
		if (ch == OPT_TO)
			dst.config = optarg;
		else if (ch == OPT_DRY_RUN)
			m.dry_run = true;
		else
			enroll_common_option(e, "migrate", ch, argv);
	}
	if (optind < argc)
		enroll_usage("migrate: too many arguments (see --help)");
	if (dst.config == NULL)
		enroll_usage("migrate: missing --to CONFIG (see --help)");
	enroll_log_init(&dst.log);
	enroll_open(e);
	enroll_open(&dst);
	stores_differ(&m);
	keys_match(&m);
	r = migrate_run(&m);
	if (r == KGW_OK)
		report(&m);
	else if (m.left > 0)
		enroll_warn("migrate: stopped; %zu people stay in the "
		    "destination", m.left);
	else
		enroll_warn("migrate: nothing changed");
	enroll_close(&dst);
	enroll_close(e);
	free(m.names);
	return r == KGW_OK ? 0 : 1;
}
