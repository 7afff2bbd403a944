/*
 * The fuzz harnesses' throwaway deployment (fuzz_deploy.h), made with the
 * same core calls the tool uses. alice's password hash is SHA-512 crypt
 * with few rounds, so that her logins are cheap to fuzz; the login path
 * checks any crypt(5) hash the same way.
 */
#include <config.h>

#include <crypt.h>
#include <fcntl.h>
#include <liboath/oath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault_alloc.h"
#include "fuzz_deploy.h"
#include "kgw_login.h"
#include "kgw_conf.h"
#include "kgw_crypto.h"
#include "kgw_err.h"
#include "kgw_store.h"
#include "kgw_totp.h"

static void
emit(void *arg, int priority, const char *msg)
{
	(void)arg;
	(void)priority;
	(void)msg;
}

const struct kgw_log fuzz_quiet_log = { emit, NULL, false, false };

static void
write_conf(const struct fuzz_deploy *d)
{
	FILE *f;

	if ((f = fopen(d->conf, "wx")) == NULL)
		abort();
	fprintf(f, "store = %s\nkey = %s\nfail_delay = 0\n"
	    "totp_window = %d\nlockout_attempts = 3\nlockout_time = 0\n"
	    "host_zone = " FUZZ_ZONE "\n"
	    "[zone " FUZZ_ZONE "]\n"
	    "networks = 10.0.0.0/8 192.0.2.0/24 2001:db8::/32\n"
	    "factors = password totp\n"
	    "[zone mynumber]\n"
	    "networks = 172.16.0.0/12\n"
	    "factors = password fido2\n"
	    "console_only = yes\n",
	    d->store, d->key, FUZZ_WINDOW);
	if (fclose(f) != 0)
		abort();
}

static void
enrol(struct kgw_store *s, const struct kgw_key *key, const char *user,
    const struct fuzz_deploy *d)
{
	char purpose[KGW_TOTP_PURPOSE_MAX], hash[KGW_HASH_MAX];
	unsigned char sealed[KGW_SEALED_MAX];
	struct crypt_data cd;
	size_t n;

	memset(&cd, 0, sizeof(cd));
	if (crypt_r(FUZZ_PASSWORD, "$6$rounds=1000$fuzzsalt$", &cd) == NULL ||
	    snprintf(hash, sizeof(hash), "%s", cd.output) >= (int)sizeof(hash))
		abort();
	if (kgw_store_user_add(s, user, FUZZ_ZONE, "fuzz") != KGW_OK ||
	    kgw_store_set_password(s, user, hash, "fuzz") != KGW_OK ||
	    kgw_totp_purpose(KGW_TOTP_SHA1, 6, purpose, sizeof(purpose)) !=
	    KGW_OK ||
	    kgw_seal(key, purpose, user, d->secret, sizeof(d->secret), sealed,
	    sizeof(sealed), &n) != KGW_OK ||
	    kgw_store_set_totp(s, user, sealed, n, KGW_TOTP_SHA1, 6, "fuzz") !=
	    KGW_OK)
		abort();
}

static const struct fuzz_deploy *made;

/* Leaves nothing behind in the temp directory. */
static void
cleanup(void)
{
	static const char *const names[] = {
		"kakogawa.conf", "kakogawa.key", "store.db", "store.db-wal",
		"store.db-shm", "store.db-journal",
	};
	char path[192];
	size_t i;

	if (made->raw != NULL)
		(void)sqlite3_close(made->raw);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", made->dir,
		    names[i]);
		(void)unlink(path);
	}
	(void)rmdir(made->dir);
}

void
fuzz_deploy_make(struct fuzz_deploy *d)
{
	struct kgw_conf conf;
	struct kgw_key key;
	struct kgw_store *s = NULL;

	memset(d, 0, sizeof(*d));
	if (oath_init() != OATH_OK)
		abort();
	/* Memory-backed when there is one: the store syncs every commit. */
	(void)snprintf(d->dir, sizeof(d->dir), "/dev/shm/kgw-fuzz.XXXXXX");
	if (mkdtemp(d->dir) == NULL) {
		(void)snprintf(d->dir, sizeof(d->dir), "/tmp/kgw-fuzz.XXXXXX");
		if (mkdtemp(d->dir) == NULL)
			abort();
	}
	made = d;
	(void)atexit(cleanup);
	(void)snprintf(d->conf, sizeof(d->conf), "%s/kakogawa.conf", d->dir);
	(void)snprintf(d->store, sizeof(d->store), "%s/store.db", d->dir);
	(void)snprintf(d->key, sizeof(d->key), "%s/kakogawa.key", d->dir);
	memcpy(d->secret, "fuzz-totp-secret-20b", FUZZ_SECRET_LEN);
	write_conf(d);
	if (kgw_conf_load(&fuzz_quiet_log, d->conf, &conf) != KGW_OK ||
	    kgw_key_create(&fuzz_quiet_log, d->key) != KGW_OK ||
	    kgw_key_load(&fuzz_quiet_log, d->key, &key) != KGW_OK ||
	    kgw_store_open(&fuzz_quiet_log, &conf, KGW_STORE_CREATE, &s) !=
	    KGW_OK ||
	    kgw_store_audit_init(s, &key, "fuzzhost") != KGW_OK)
		abort();
	enrol(s, &key, FUZZ_USER, d);
	enrol(s, &key, FUZZ_DISABLED, d);
	if (kgw_store_set_disabled(s, FUZZ_DISABLED, true, "fuzz") != KGW_OK)
		abort();
	kgw_store_close(&s);
	kgw_key_wipe(&key);
	if (sqlite3_open_v2(d->store, &d->raw, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK || sqlite3_busy_timeout(d->raw, 5000) != SQLITE_OK)
		abort();
}

void
fuzz_deploy_reset(const struct fuzz_deploy *d)
{
	if (sqlite3_exec(d->raw, "UPDATE users SET fail_count = 0, "
	    "locked_until = 0, totp_last_step = -1", NULL, NULL, NULL) !=
	    SQLITE_OK)
		abort();
}

void
fuzz_deploy_code(const struct fuzz_deploy *d, int64_t step, char out[16])
{
	if (oath_totp_generate2((const char *)d->secret, sizeof(d->secret),
	    (time_t)(step * KGW_TOTP_STEP), KGW_TOTP_STEP, 0, 6, 0, out) !=
	    OATH_OK)
		abort();
}

/* The glue's authenticate(), with the answers given. */
int
fuzz_deploy_login(const struct fuzz_deploy *d, const char *user, const char *rhost, const char *tty,
    const char *password, const char *code, time_t now)
{
	struct kgw_login l;
	bool ask_password;
	unsigned steps;
	int r;

	if ((r = kgw_login_begin(&l, &fuzz_quiet_log, d->conf, user,
	    now)) != KGW_OK)
		goto out;
	kgw_login_service(&l, "fuzz");
	if ((r = kgw_login_site(&l, rhost, tty)) != KGW_OK) {
		(void)kgw_login_record(&l, "auth", r, now);
		goto out;
	}
	ask_password = (kgw_login_needs(&l) & KGW_NEED_PASSWORD) != 0;
	if (ask_password)
		kgw_login_password(&l, password);
	steps = kgw_login_steps(&l);
	/* No key is plugged in here: the key step would find none. */
	if (steps & (KGW_STEP_TOTP | KGW_STEP_FALLBACK))
		kgw_login_totp(&l, code, now);
	r = kgw_login_finish(&l, ask_password, now);
	/* An allocation refused before the verdict must not end in a pass. */
	if (fault_alloc_fired() && r == KGW_OK)
		abort();
out:
	kgw_login_end(&l);
	return r;
}
