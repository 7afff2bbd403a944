/*
 * A throwaway deployment for the fuzz harnesses that log in: made once per
 * process in a temp directory with the core's own API (configuration, key
 * file, store, enrolled people), plus a raw SQLite connection to the same
 * store, for resetting login state and writing rows the API never would.
 */
#ifndef FUZZ_DEPLOY_H
#define FUZZ_DEPLOY_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "kgw_log.h"

#define FUZZ_USER "alice"		/* enabled, password and TOTP */
#define FUZZ_DISABLED "bob"		/* the same secrets, disabled */
#define FUZZ_PASSWORD "correct horse"
#define FUZZ_ZONE "lgwan"		/* the host's zone, alice's too */
#define FUZZ_WINDOW 1			/* totp_window of the config */
#define FUZZ_SECRET_LEN 20

struct fuzz_deploy {
	char dir[64];
	char conf[128];
	char store[128];
	char key[128];
	unsigned char secret[FUZZ_SECRET_LEN];	/* alice's and bob's TOTP */
	sqlite3 *raw;
};

extern const struct kgw_log fuzz_quiet_log;

/* Makes the deployment; aborts when it cannot (nothing to fuzz then). */
void fuzz_deploy_make(struct fuzz_deploy *d);

/* Clears failures, locks and used steps, so every input starts alike. */
void fuzz_deploy_reset(const struct fuzz_deploy *d);

/*
 * The code of step (SHA1, 6 digits) computed by liboath itself, not by
 * the core: what a phone would show.
 */
void fuzz_deploy_code(const struct fuzz_deploy *d, int64_t step,
    char out[16]);

/*
 * A login as the PAM glue drives it (authenticate() in pam_kakogawa.c),
 * with these answers and no security key plugged in: the verdict. It
 * aborts when an allocation refused before the verdict (fault_alloc.h)
 * ends in a pass.
 */
int fuzz_deploy_login(const struct fuzz_deploy *d, const char *user,
    const char *rhost, const char *tty, const char *password,
    const char *code, time_t now);

#endif
