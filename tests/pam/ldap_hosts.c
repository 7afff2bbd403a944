/* Deployments on the city-wide store for the module tests (ldap_hosts.h). */
#include <config.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ldap_hosts.h"

#define LH_OUT_MAX 65536

const char *
lh_env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && v[0] != '\0', "%s not set: run under "
	    "tests/ldap/with-slapd", name);
	return v;
}

/*
 * A generous timeout: a TLS handshake under valgrind or ASan, on two busy
 * cores, has taken more than 5 s. A stopped directory refuses at once.
 */
void
lh_configure(struct h_deploy *d, const char *uri, const char *who,
    const char *tls, const char *ca, unsigned offline)
{
	char extra[2048], dn[64], pw[64];
	int n;

	(void)snprintf(dn, sizeof(dn), "KGW_LDAP_%s_DN", who);
	(void)snprintf(pw, sizeof(pw), "KGW_LDAP_%s_PWFILE", who);
	n = snprintf(extra, sizeof(extra), "directory = %s\n"
	    "directory_base = %s\n"
	    "directory_bind_dn = %s\n"
	    "directory_bind_password_file = %s\n"
	    "directory_tls = %s\n"
	    "directory_timeout = 20000\n"
	    "directory_offline = %u\n"
	    "%s%s%s",
	    uri, lh_env("KGW_LDAP_STAFF"), lh_env(dn), lh_env(pw), tls,
	    offline, ca != NULL ? "directory_ca = " : "", ca != NULL ? ca : "",
	    ca != NULL ? "\n" : "");
	ck_assert(n > 0 && (size_t)n < sizeof(extra));
	h_write_config(d, extra);
}

void
lh_share_key(const struct h_deploy *from, const struct h_deploy *to)
{
	char buf[4096], out[LH_OUT_MAX], path[H_PATH_MAX + 8];
	ssize_t n;
	int in, fd;

	in = open(from->key, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(in, 0);
	n = read(in, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	(void)close(in);
	ck_assert_int_eq(unlink(to->key), 0);
	fd = open(to->key, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, (size_t)n), n);
	(void)close(fd);
	explicit_bzero(buf, sizeof(buf));
	(void)unlink(to->store);
	(void)snprintf(path, sizeof(path), "%s-wal", to->store);
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s-shm", to->store);
	(void)unlink(path);
	ck_assert_int_eq(h_cli(to, NULL, out, sizeof(out), "init",
	    (char *)NULL), 0);
}

/*
 * setsid: a slapd started here must outlive this test's process group,
 * which Check kills when the test ends.
 */
void
lh_ctl(const char *what)
{
	char cmd[1024];

	(void)snprintf(cmd, sizeof(cmd), "setsid %s %s",
	    lh_env("KGW_LDAP_CTL"), what);
	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

void
lh_replicated(const struct h_deploy *d, const char *user)
{
	static char out[LH_OUT_MAX];
	int i;

	for (i = 0; i < 100; i++) {
		if (h_cli(d, NULL, out, sizeof(out), "show", user,
		    (char *)NULL) == 0 && strstr(out, "totp:     SHA1") != NULL)
			return;
		(void)usleep(20000);
	}
	ck_abort_msg("%s never reached the replica: %s", user, out);
}

int
lh_under_slapd(char *self)
{
	static char with[] = KGW_TEST_WITH_SLAPD, vg[] = "valgrind";
	const char *flags = getenv("KGW_VALGRIND_FLAGS");
	char *args[32], buf[512], *tok, *save = NULL;
	size_t n = 0;

	args[n++] = with;
	if (flags != NULL && flags[0] != '\0' &&
	    strlen(flags) < sizeof(buf)) {
		(void)snprintf(buf, sizeof(buf), "%s", flags);
		args[n++] = vg;
		for (tok = strtok_r(buf, " ", &save); tok != NULL && n < 29;
		    tok = strtok_r(NULL, " ", &save))
			args[n++] = tok;
	}
	args[n++] = self;
	args[n] = NULL;
	(void)execv(args[0], args);
	perror(KGW_TEST_WITH_SLAPD);
	return 99;
}

int
lh_main(int argc, char **argv, Suite *(*suite)(void))
{
	char base[] = "/tmp/kgw-pamtest.XXXXXX";
	SRunner *sr;
	int failed;

	if (getenv("KGW_LDAP_URI") == NULL && argc >= 1)
		return lh_under_slapd(argv[0]);
	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	h_set_base(base);
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (h_rmtree(base) != 0)
		(void)fprintf(stderr, "cannot remove %s\n", base);
	return failed == 0 ? 0 : 1;
}
