/*
 * The audit trail in the store: every helpdesk change and every login
 * commit leaves a record, the chain verifies, and each kind of tampering
 * (edit, delete, reorder, truncate, a record forged without the key, the
 * head rewritten or removed) is found at the right record. A process
 * killed in the middle of its writes leaves both the change and its
 * record, or neither.
 */
#include <config.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kgw_audit.h"
#include "kgw_conf.h"
#include "kgw_err.h"
#include "kgw_store.h"

#define OP "helpdesk-tanaka"

static char tmpdir[64];
static struct kgw_conf conf;
static struct kgw_key key;

static void
log_emit(void *arg, int priority, const char *msg)
{
	(void)arg;
	(void)priority;
	(void)msg;
}

static const struct kgw_log test_log = { log_emit, NULL, false, false };

static void
setup(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/kgw-audit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	kgw_conf_defaults(&conf);
	ck_assert_int_lt(snprintf(conf.store, sizeof(conf.store),
	    "%s/store.db", tmpdir), (int)sizeof(conf.store));
	ck_assert_int_eq(kgw_random(key.bytes, sizeof(key.bytes)), KGW_OK);
}

static void
teardown(void)
{
	char path[KGW_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && snprintf(path, sizeof(path),
		    "%s/%s", tmpdir, de->d_name) < (int)sizeof(path))
			(void)unlink(path);
	(void)closedir(d);
	(void)rmdir(tmpdir);
}

static struct kgw_store *
store_open(int flags)
{
	struct kgw_store *s = NULL;

	ck_assert_int_eq(kgw_store_open(&test_log, &conf, flags, &s), KGW_OK);
	ck_assert_int_eq(kgw_store_audit_init(s, &key, "host1"), KGW_OK);
	return s;
}

/* The record of a refused login, as the module would fill it. */
static struct kgw_audit_rec
denial(const char *user, const char *reason)
{
	struct kgw_audit_rec a;

	memset(&a, 0, sizeof(a));
	a.time = 1764100000;
	kgw_audit_set(&a, KGW_AF_KIND, "auth");
	kgw_audit_set(&a, KGW_AF_USER, user);
	kgw_audit_set(&a, KGW_AF_RESULT, "deny");
	kgw_audit_set(&a, KGW_AF_REASON, reason);
	return a;
}

/* Five records: three adds, a zone change, a failed login. */
static struct kgw_store *
store_with_trail(void)
{
	struct kgw_store *s = store_open(KGW_STORE_CREATE);
	struct kgw_audit_rec a = denial("alice", "bad_code");
	unsigned count;
	bool locked;

	ck_assert_int_eq(kgw_store_user_add(s, "alice", "lgwan", OP), KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "bob", "lgwan", OP), KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "carol", "", OP), KGW_OK);
	ck_assert_int_eq(kgw_store_set_zones(s, "carol", "internet", OP),
	    KGW_OK);
	ck_assert_int_eq(kgw_store_fail_record(s, "alice", 1764100000, 5, 60,
	    &count, &locked, &a), KGW_OK);
	return s;
}

static struct kgw_audit_verdict
verify(struct kgw_store *s, const struct kgw_key *k)
{
	struct kgw_audit_verdict v;

	ck_assert_int_eq(kgw_audit_verify(s, k, &v), KGW_OK);
	return v;
}

/* Runs SQL on the store file as someone with write access and no key. */
static void
tamper(const char *sql)
{
	sqlite3 *db = NULL;
	char *err = NULL;

	ck_assert_int_eq(sqlite3_open(conf.store, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK,
	    "%s: %s", sql, err != NULL ? err : "?");
	sqlite3_close(db);
}

struct collect {
	struct kgw_audit_rec r[16];
	size_t n;
};

static int
collect_cb(void *arg, const struct kgw_audit_rec *r)
{
	struct collect *c = arg;

	if (c->n < 16)
		c->r[c->n++] = *r;
	return 0;
}

START_TEST(test_records_written)
{
	struct kgw_store *s = store_with_trail();
	struct kgw_audit_verdict v = verify(s, &key);
	struct collect c = { .n = 0 };

	ck_assert_msg(v.intact, "seq %lld: %s", (long long)v.bad_seq, v.why);
	ck_assert_int_eq(v.records, 5);
	ck_assert_int_eq(v.first_seq, 1);
	ck_assert_int_eq(v.last_seq, 5);
	ck_assert_int_eq(kgw_store_audit_list(s, 0, collect_cb, &c), KGW_OK);
	ck_assert_uint_eq(c.n, 5);
	ck_assert_str_eq(c.r[0].field[KGW_AF_KIND], "change");
	ck_assert_str_eq(c.r[0].field[KGW_AF_ACTION], "add");
	ck_assert_str_eq(c.r[0].field[KGW_AF_OPERATOR], OP);
	ck_assert_str_eq(c.r[0].field[KGW_AF_HOST], "host1");
	ck_assert_str_eq(c.r[0].detail, "zones=lgwan");
	ck_assert_str_eq(c.r[3].field[KGW_AF_ACTION], "zones");
	ck_assert_str_eq(c.r[4].field[KGW_AF_REASON], "bad_code");
	ck_assert_str_eq(c.r[4].detail, "failures=1");
	kgw_store_close(&s);
}
END_TEST

/* A lockout and its record are one. */
START_TEST(test_lockout_recorded)
{
	struct kgw_store *s = store_with_trail();
	struct kgw_audit_rec a = denial("alice", "bad_code");
	struct collect c = { .n = 0 };
	unsigned count;
	bool locked;

	ck_assert_int_eq(kgw_store_fail_record(s, "alice", 1764100001, 2, 0,
	    &count, &locked, &a), KGW_OK);
	ck_assert(locked);
	ck_assert_int_eq(kgw_store_audit_list(s, 6, collect_cb, &c), KGW_OK);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_str_eq(c.r[0].detail, "failures=2 locked=yes until=unlock");
	ck_assert(verify(s, &key).intact);
	kgw_store_close(&s);
}
END_TEST

/* No write goes unaudited: a store not armed refuses every change. */
START_TEST(test_unarmed_refuses)
{
	struct kgw_store *s = NULL;
	struct kgw_audit_rec a = denial("alice", "bad_code");

	ck_assert_int_eq(kgw_store_open(&test_log, &conf, KGW_STORE_CREATE,
	    &s), KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "alice", "", OP),
	    KGW_ERR_INTERNAL);
	ck_assert_int_eq(kgw_store_audit_add(s, &a), KGW_ERR_INTERNAL);
	kgw_store_close(&s);
}
END_TEST

static const struct {
	const char *name;
	const char *sql;
	int64_t bad_seq;
	const char *why;
} tamperings[] = {
	{ "edit", "UPDATE audit SET user = 'mallory' WHERE seq = 2", 2,
	    "MAC does not verify" },
	{ "edit detail", "UPDATE audit SET detail = 'zones=mynumber'"
	    " WHERE seq = 4", 4, "MAC does not verify" },
	{ "delete", "DELETE FROM audit WHERE seq = 3", 3, "missing" },
	{ "reorder", "UPDATE audit SET seq = -seq WHERE seq IN (2, 3);"
	    "UPDATE audit SET seq = 5 + seq WHERE seq < 0", 2,
	    "MAC does not verify" },
	{ "truncate", "DELETE FROM audit WHERE seq >= 4", 4, "are gone" },
	{ "forge", "INSERT INTO audit SELECT 6, time, kind, host, host_zone,"
	    " service, 'mallory', rhost, src_zone, tty, factors, 'allow',"
	    " 'ok', rule, operator, action, detail, randomblob(32)"
	    " FROM audit WHERE seq = 5", 6, "MAC does not verify" },
	{ "head rewritten", "UPDATE audit_head SET seq = 4", 0,
	    "head's MAC" },
	{ "head removed", "DELETE FROM audit_head", 0, "head row is gone" },
	{ "all removed", "DELETE FROM audit; DELETE FROM audit_head", 0,
	    "no head nor record though the store holds people" },
};

START_TEST(test_tampering_found)
{
	struct kgw_store *s = store_with_trail();
	struct kgw_audit_verdict v;

	kgw_store_close(&s);
	tamper(tamperings[_i].sql);
	s = store_open(0);
	v = verify(s, &key);
	ck_assert_msg(!v.intact, "%s: not found", tamperings[_i].name);
	ck_assert_int_eq(v.bad_seq, tamperings[_i].bad_seq);
	ck_assert_msg(strstr(v.why, tamperings[_i].why) != NULL, "%s: %s",
	    tamperings[_i].name, v.why);
	kgw_store_close(&s);
}
END_TEST

/* Another key file: nothing verifies, and nothing more is written. */
START_TEST(test_other_key)
{
	struct kgw_store *s = store_with_trail();
	struct kgw_key other;

	ck_assert_int_eq(kgw_random(other.bytes, sizeof(other.bytes)),
	    KGW_OK);
	ck_assert(!verify(s, &other).intact);
	kgw_store_close(&s);
	ck_assert_int_eq(kgw_store_open(&test_log, &conf, 0, &s), KGW_OK);
	ck_assert_int_eq(kgw_store_audit_init(s, &other, "host1"), KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "dave", "", OP),
	    KGW_ERR_TAMPERED);
	kgw_store_close(&s);
	s = store_open(0);
	ck_assert(verify(s, &key).intact);	/* dave's add left nothing */
	ck_assert_int_eq(kgw_store_user_add(s, "dave", "", OP), KGW_OK);
	kgw_store_close(&s);
}
END_TEST

/*
 * A trail removed whole cannot start again by itself: nothing more is
 * written until someone with the key starts a new one, which shows.
 */
START_TEST(test_wiped_stays_wiped)
{
	struct kgw_store *s = store_with_trail();
	struct collect c = { .n = 0 };

	kgw_store_close(&s);
	tamper("DELETE FROM audit; DELETE FROM audit_head");
	s = store_open(0);
	ck_assert_int_eq(kgw_store_user_add(s, "dave", "", OP),
	    KGW_ERR_TAMPERED);
	ck_assert(!verify(s, &key).intact);
	ck_assert_int_eq(kgw_store_audit_start(s), KGW_OK);
	ck_assert_int_eq(kgw_store_audit_start(s), KGW_ERR_EXISTS);
	ck_assert_int_eq(kgw_store_audit_note(s, OP, "audit_start", "again"),
	    KGW_OK);
	ck_assert_int_eq(kgw_store_user_add(s, "dave", "", OP), KGW_OK);
	ck_assert(verify(s, &key).intact);
	ck_assert_int_eq(kgw_store_audit_list(s, 0, collect_cb, &c), KGW_OK);
	ck_assert_str_eq(c.r[0].field[KGW_AF_ACTION], "audit_start");
	kgw_store_close(&s);
}
END_TEST

/* A new store, no record, no people: intact and empty. */
START_TEST(test_empty)
{
	struct kgw_store *s = store_open(KGW_STORE_CREATE);
	struct kgw_audit_verdict v = verify(s, &key);

	ck_assert(v.intact);
	ck_assert_int_eq(v.records, 0);
	kgw_store_close(&s);
}
END_TEST

/*
 * Failures recorded in a loop, the process killed at some moment: each
 * failure counted has its record and no record lacks its failure, and the
 * chain verifies. Several rounds, killed at different moments.
 */
static int
count_cb(void *arg, const struct kgw_audit_rec *r)
{
	if (strcmp(r->field[KGW_AF_REASON], "bad_code") == 0)
		(*(int64_t *)arg)++;
	return 0;
}

/* Waits (10 s at most, for valgrind) until alice has n failures. */
static void
wait_for_failures(unsigned n)
{
	struct kgw_store *s;
	struct kgw_user_rec u;
	int i;

	for (i = 0; i < 2000; i++) {
		s = store_open(0);
		ck_assert_int_eq(kgw_store_get_user(s, "alice", &u), KGW_OK);
		kgw_store_close(&s);
		if (u.fail_count >= n)
			return;
		(void)usleep(5000);
	}
	ck_abort_msg("the writer never got going");
}

START_TEST(test_killed_midway)
{
	struct kgw_store *s = store_with_trail();
	struct kgw_user_rec u;
	int64_t records;
	int round, status;
	pid_t pid;

	ck_assert_int_eq(kgw_store_get_user(s, "alice", &u), KGW_OK);
	kgw_store_close(&s);
	for (round = 0; round < 4; round++) {
		if ((pid = fork()) == 0) {
			struct kgw_audit_rec a = denial("alice", "bad_code");
			unsigned count;
			bool locked;

			s = store_open(0);
			for (;;)
				(void)kgw_store_fail_record(s, "alice",
				    1764100000, 1000000, 60, &count, &locked,
				    &a);
		}
		ck_assert_int_gt(pid, 0);
		wait_for_failures(u.fail_count + 2);
		(void)usleep((useconds_t)(round * 3001));
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		s = store_open(0);
		ck_assert_int_eq(kgw_store_get_user(s, "alice", &u), KGW_OK);
		records = 0;
		ck_assert_int_eq(kgw_store_audit_list(s, 0, count_cb,
		    &records), KGW_OK);
		ck_assert_int_gt(u.fail_count, 1);
		ck_assert_int_eq(records, u.fail_count);
		ck_assert(verify(s, &key).intact);
		kgw_store_close(&s);
	}
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("trail");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_records_written);
	tcase_add_test(tc, test_lockout_recorded);
	tcase_add_test(tc, test_unarmed_refuses);
	tcase_add_loop_test(tc, test_tampering_found, 0, N(tamperings));
	tcase_add_test(tc, test_other_key);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_wiped_stays_wiped);
	tcase_add_test(tc, test_killed_midway);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(audit_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
