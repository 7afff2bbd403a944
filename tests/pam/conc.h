/*
 * Helpers of the concurrency tests (test_concurrency.c): login workers in
 * processes of their own, released at once, each writing one line per
 * login; and the audit trail as the real CLI exports it.
 */
#ifndef KGW_TEST_CONC_H
#define KGW_TEST_CONC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

#define C_WORKERS_MAX 8
#define C_FIELD_MAX 64

/* One login as a worker saw it. */
struct c_result {
	char tag[8];		/* the worker's label for what it sent */
	int auth_rc;		/* pam_authenticate's return */
	char reason[32];	/* reason= of the auth decision, "-" if none */
	int64_t seq;		/* its audit record (audit=SEQ:...), 0: none */
	unsigned lock_lines;	/* "locked after N failures" lines it caused */
};

/*
 * A worker's job: fills l (user, answers, tag) for login number i, or
 * returns false when it is done. stop is true once the parent asked the
 * workers to finish.
 */
typedef bool (*c_next_fn)(int worker, unsigned i, bool stop,
    struct h_login *l, char tag[8], void *arg);

struct c_run {
	int n;			/* workers */
	pid_t pids[C_WORKERS_MAX];
	int stop_fd;		/* closing it asks the workers to end */
	char files[C_WORKERS_MAX][H_PATH_MAX + 16];
};

/*
 * Starts n workers and releases them together once all are ready; each
 * runs next/h_login (auth only) until next says done, writing its results
 * under d->dir. c_stop asks them to finish; c_wait reaps them and returns
 * every result (free it), in worker order, asserting each exited cleanly
 * and found none of its codes or passwords in what the module said.
 */
void c_start(const struct h_deploy *d, struct c_run *run, int n,
    c_next_fn next, void *arg);
void c_stop(struct c_run *run);
struct c_result *c_wait(struct c_run *run, size_t *count);

/* One record of the trail (audit export --format csv). */
struct c_rec {
	int64_t seq;
	char kind[C_FIELD_MAX];
	char user[C_FIELD_MAX];
	char result[C_FIELD_MAX];
	char reason[C_FIELD_MAX];
	char action[C_FIELD_MAX];
	char detail[2 * C_FIELD_MAX];
};

/* The whole trail, in order, exported by the CLI (free it). */
struct c_rec *c_trail(const struct h_deploy *d, size_t *count);

/*
 * The CLI started ahead, waiting for its standard input (a password hash,
 * a secret): c_cli_finish gives it, so the change commits at once rather
 * than after the tool's start-up.
 */
struct c_cli {
	pid_t pid;
	int in_fd;
	const char *what;
};
void c_cli_spawn(const struct h_deploy *d, struct c_cli *c,
    const char *const args[]);
void c_cli_finish(struct c_cli *c, const char *input);

/* The CLI with these arguments must succeed (input: its stdin, or NULL). */
void c_cli_ok(const struct h_deploy *d, const char *input, const char *a1,
    const char *a2, const char *a3, const char *a4, const char *a5);
/* The helpdesk re-enrols user's TOTP with secret: its steps are unused. */
void c_set_secret(const struct h_deploy *d, const char *user,
    const char *secret);

/*
 * Logins racing the helpdesk for cycles rounds of changes (conc_flip.c);
 * the config must allow 1000 failures and define zone "internet".
 */
void c_flip(const struct h_deploy *d, unsigned cycles);

/* `show USER --json`: the failure count and whether locked now. */
void c_show(const struct h_deploy *d, const char *user, unsigned *failures,
    bool *locked);

/* Sets user's password as a yescrypt hash of cost 1 (see conc.c). */
void c_cheap_password(const struct h_deploy *d, const char *user,
    const char *password);

/* Seconds on the monotonic clock. */
double c_now(void);

#endif
