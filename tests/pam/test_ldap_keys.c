/*
 * Security keys and recovery codes on the city-wide store, through the
 * built module and the real libpam (harness.c, ldap_hosts.c): a key
 * enrolled once at the helpdesk opens the console of either host, its
 * signature counter kept in the directory, so that a key whose counter
 * did not move since another host saw it is flagged as a clone at every
 * host; a backup code used at one host is refused at the other, and of
 * hosts racing with one code, one gets in; a temporary code works once.
 *
 * The software authenticator (tests/fido2) is linked into this program,
 * as in test_fido2.c, and preloaded into the tool.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "harness.h"
#include "ldap_hosts.h"
#include "softkey.h"

#define CODE_MAX H_CODE_MAX
#define OUT_MAX 65536
#define RACERS 8
#define RACE_ROUNDS 3
/* The console takes the key; SSH takes a code, backup codes too. */
#define ZONES "fido2_insert_timeout = 0\nfido2_touch_timeout = 1\n" \
	"host_zone = " H_ZONE "\n[zone " H_ZONE "]\n" \
	"networks = 192.0.2.0/24\nfactors = password token\n" \
	"backup_codes = yes\n"

static struct h_deploy HD, H1, H2;
static struct h_user alice;
static struct h_login L;
static char keydir[H_PATH_MAX];

static const char *
softkey_path(void)
{
	const char *p = getenv("KGW_TEST_SOFTKEY");

	return p != NULL && p[0] != '\0' ? p : KGW_TEST_SOFTKEY;
}

/* uris: the directory key (replica first, then the provider). */
static void
host(struct h_deploy *d, const char *uris, const char *who)
{
	d->zones = ZONES;
	d->lockout_attempts = 100;	/* racers' replays are failures */
	lh_configure(d, uris, who, "none", NULL, 600);
}

static void
setup(void)
{
	static char uris[1024];
	char name[64];

	h_deploy_new(&HD);
	h_deploy_new(&H1);
	h_deploy_new(&H2);
	lh_share_key(&HD, &H1);
	lh_share_key(&HD, &H2);
	host(&HD, lh_env("KGW_LDAP_URI"), "HELPDESK");
	host(&H1, lh_env("KGW_LDAP_URI"), "HOST1");
	(void)snprintf(uris, sizeof(uris), "%s %s",
	    lh_env("KGW_LDAP_REPLICA_URI"), lh_env("KGW_LDAP_URI"));
	host(&H2, uris, "HOST2");
	ck_assert_int_lt(snprintf(keydir, sizeof(keydir), "%.400s/key",
	    HD.dir), (int)sizeof(keydir));
	ck_assert_int_eq(mkdir(keydir, 0700), 0);
	ck_assert_int_eq(softkey_state_write(keydir, ""), 0);
	ck_assert_int_eq(setenv("KGW_SOFTKEY", keydir, 1), 0);
	softkey_reload();
	h_cli_preload(softkey_path());
	/* One name per test: the directory outlives each test's process. */
	(void)snprintf(name, sizeof(name), "alice%ld", (long)getpid());
	h_user_make(&alice, name);
	h_enrol(&HD, &alice);
}

static void
teardown(void)
{
	h_deploy_free(&HD);
	h_deploy_free(&H1);
	h_deploy_free(&H2);
}

static void
console_login(const struct h_deploy *d)
{
	memset(&L, 0, sizeof(L));
	L.user = alice.name;
	L.answers[0] = alice.password;
	L.no_rhost = true;
	L.tty = "tty1";
	h_login(d, &L);
}

static void
ssh_login(const struct h_deploy *d, const char *code)
{
	memset(&L, 0, sizeof(L));
	L.user = alice.name;
	L.answers[0] = alice.password;
	L.answers[1] = code;
	h_login(d, &L);
}

static void
enrol_key(void)
{
	char out[OUT_MAX];
	int rc;

	rc = h_cli(&HD, NULL, out, sizeof(out), "fido2", alice.name,
	    "--label", "office", (char *)NULL);
	ck_assert_msg(rc == 0, "fido2 enrol: exit %d: %s", rc, out);
	lh_replicated(&H2, alice.name);
}

static const char *
show(void)
{
	static char out[OUT_MAX];

	ck_assert_int_eq(h_cli(&HD, NULL, out, sizeof(out), "--json", "show",
	    alice.name, (char *)NULL), 0);
	return out;
}

static void
issue_backup(char codes[][CODE_MAX], size_t n)
{
	static char out[OUT_MAX];
	char count[16];
	int rc;

	(void)snprintf(count, sizeof(count), "%zu", n);
	rc = h_cli(&HD, NULL, out, sizeof(out), "--json", "backup-codes",
	    alice.name, "--count", count, (char *)NULL);
	ck_assert_msg(rc == 0, "backup-codes: exit %d: %s", rc, out);
	h_json_codes(out, "\"codes\":[", codes, n);
	lh_replicated(&H2, alice.name);
	(void)usleep(200000);	/* the codes too, not only the person */
}

/* Rounds of a race: one under valgrind, where a login costs a second. */
static int
rounds(void)
{
	return getenv("KGW_VALGRIND") != NULL ? 1 : RACE_ROUNDS;
}

START_TEST(test_key_at_both_consoles)
{
	enrol_key();
	console_login(&H1);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "host1: %s", L.log);
	h_expect_line(&L, "auth", "factors=password,fido2 result=allow");
	console_login(&H2);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "host2: %s", L.log);
	console_login(&H1);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "host1 again: %s", L.log);
	ck_assert_ptr_nonnull(strstr(show(), "\"flagged\":false"));
}
END_TEST

/* A counter that does not move past what another host saw: a clone. */
START_TEST(test_clone_flagged_everywhere)
{
	enrol_key();
	console_login(&H1);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "host1: %s", L.log);
	ck_assert_int_eq(softkey_state_write(keydir, "counter=stuck\n"), 0);
	console_login(&H2);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	h_expect_line(&L, "auth", "result=deny reason=key_clone");
	/* Flagged in the directory: refused at the other host as well. */
	ck_assert_int_eq(softkey_state_write(keydir, ""), 0);
	console_login(&H1);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	ck_assert_ptr_nonnull(strstr(show(), "\"flagged\":true"));
}
END_TEST

START_TEST(test_backup_code_once_across_hosts)
{
	char codes[2][CODE_MAX];

	issue_backup(codes, 2);
	ssh_login(&H1, codes[0]);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "host1: %s", L.log);
	h_expect_line(&L, "auth", "factors=password,backup_code "
	    "result=allow");
	ssh_login(&H2, codes[0]);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
	ssh_login(&H2, codes[1]);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "host2: %s", L.log);
	ck_assert_ptr_nonnull(strstr(show(), "\"backup_codes\":0"));
}
END_TEST

START_TEST(test_backup_code_race)
{
	const struct h_deploy *hosts[2] = { &H1, &H2 };
	char codes[RACE_ROUNDS][CODE_MAX];
	int round, wins, replays;

	issue_backup(codes, (size_t)rounds());
	for (round = 0; round < rounds(); round++) {
		memset(&L, 0, sizeof(L));
		L.user = alice.name;
		L.answers[0] = alice.password;
		L.answers[1] = codes[round];
		wins = h_race_hosts(hosts, 2, &L, RACERS, &replays);
		ck_assert_msg(wins == 1, "round %d: %d of %d racers got in "
		    "with one backup code", round, wins, RACERS);
	}
	ck_assert_ptr_nonnull(strstr(show(), "\"backup_codes\":0"));
}
END_TEST

START_TEST(test_temp_code_once)
{
	static char out[OUT_MAX];
	char code[1][CODE_MAX];

	ck_assert_int_eq(h_cli(&HD, NULL, out, sizeof(out), "--json",
	    "temp-code", alice.name, "--ttl", "10m", (char *)NULL), 0);
	h_json_codes(out, "\"code\":", code, 1);
	ssh_login(&H1, code[0]);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "host1: %s", L.log);
	ssh_login(&H1, code[0]);
	ck_assert_int_ne(L.auth_rc, PAM_SUCCESS);
}
END_TEST

static Suite *
keys_suite(void)
{
	Suite *s = suite_create("ldap_keys");
	TCase *tc = tcase_create("directory");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_key_at_both_consoles);
	tcase_add_test(tc, test_clone_flagged_everywhere);
	tcase_add_test(tc, test_backup_code_once_across_hosts);
	tcase_add_test(tc, test_backup_code_race);
	tcase_add_test(tc, test_temp_code_once);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	return lh_main(argc, argv, keys_suite);
}
