/*
 * Drives the built pam_kakogawa.so through the real libpam: a throwaway
 * deployment made by the real kakogawa-enroll, a private PAM service
 * (pam_start_confdir), a scripted conversation, and every log line libpam
 * sends to syslog captured in memory.
 */
#ifndef KGW_TEST_HARNESS_H
#define KGW_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define H_PATH_MAX 512
#define H_SERVICE "kgwtest"
#define H_RHOST "192.0.2.10"	/* TEST-NET-1: never a real client */
#define H_TTY "ssh"
#define H_ZONE "lgwan"		/* the test host's zone, and its people's */
/* The zone part of every config unless a test sets d->zones. */
#define H_ZONES "host_zone = " H_ZONE "\n" \
	"[zone " H_ZONE "]\nnetworks = 192.0.2.0/24\n"
#define H_MAX_ANSWERS 8
#define H_MAX_PROMPTS 16
#define H_MAX_NOTICES 4
#define H_TEXT_MAX 256
#define H_LOG_MAX 16384
#define H_B32_MAX 128
#define H_PASSWORD_MAX 64

/* One throwaway deployment in a private temporary directory. */
struct h_deploy {
	char dir[H_PATH_MAX];		/* mkdtemp, mode 0700 */
	char conf[H_PATH_MAX];		/* dir/kakogawa.conf */
	char store[H_PATH_MAX];		/* dir/store.db */
	char key[H_PATH_MAX];		/* dir/kakogawa.key */
	char pamdir[H_PATH_MAX];	/* dir/pam.d: the confdir */
	/* What h_write_config puts in the file. */
	unsigned totp_window;
	unsigned lockout_attempts;
	unsigned lockout_time;
	unsigned fail_delay;
	const char *zones;	/* host_zone and [zone] sections: last */
};

/* A test user: a random password and a random TOTP secret (base32). */
struct h_user {
	char name[64];
	char password[H_PASSWORD_MAX];
	char secret[H_B32_MAX];
};

/* How the scripted conversation misbehaves, from prompt conv_at on. */
enum h_conv_mode {
	H_CONV_ANSWER = 0,	/* answer from the script */
	H_CONV_ERR,		/* return PAM_CONV_ERR */
	H_CONV_NULL_RESP,	/* PAM_SUCCESS, resp[i].resp == NULL */
	H_CONV_NULL_ARRAY,	/* PAM_SUCCESS, *resp == NULL */
};

struct h_prompt {
	int style;		/* PAM_PROMPT_ECHO_OFF, PAM_TEXT_INFO, ... */
	char text[H_TEXT_MAX];
};

/* One login: what to send in, and everything that came out. */
struct h_login {
	/* in */
	const char *user;
	const char *answers[H_MAX_ANSWERS];	/* NULL-terminated script */
	enum h_conv_mode conv;
	size_t conv_at;		/* index of the first misbehaving prompt */
	const char *authtok;	/* set by an earlier module (pam_set_items) */
	/* Called before answering prompt index (0: password, 1: code), so a
	 * test can act "during" a login, as a concurrent session would. */
	void (*before_answer)(size_t index, void *arg);
	void *hook_arg;
	bool skip_account;
	bool skip_auth;		/* account only: an SSH public-key login */
	const char *rhost;	/* PAM_RHOST; NULL: H_RHOST */
	const char *tty;	/* PAM_TTY; NULL: H_TTY */
	bool no_rhost;		/* leave PAM_RHOST unset */
	bool no_tty;		/* leave PAM_TTY unset */
	/* out */
	int start_rc;
	int auth_rc;
	int acct_rc;		/* -1 when skipped */
	struct h_prompt prompts[H_MAX_PROMPTS];	/* messages too */
	size_t nprompts;
	/* The notices after an allowed login (last login, failures since),
	 * kept apart: prompts is what everyone sees before the verdict. */
	struct h_prompt notices[H_MAX_NOTICES];
	size_t nnotices;
	/* With chauthtok: pam_chauthtok(PAM_CHANGE_EXPIRED_AUTHTOK) when the
	 * account phase answers PAM_NEW_AUTHTOK_REQD, as login(1) and sshd
	 * do; its result (-1: not run). */
	bool chauthtok;
	int chauthtok_rc;
	/* The PAM environment variable getenv_name after the account phase
	 * (pam_getenv), "" when unset. */
	const char *getenv_name;
	char getenv_value[128];
	char log[H_LOG_MAX];	/* lines captured during this login */
};

/* Set once by main before the runner forks: the parent of all temp dirs. */
void h_set_base(const char *dir);
/* Removes a directory tree (no symlinks followed); 0 on success. */
int h_rmtree(const char *dir);

/* The module and tool under test (the environment overrides the build). */
const char *h_module_path(void);
const char *h_enroll_path(void);

/*
 * A new deployment: temp dir, `init` by the CLI, then the harness's own
 * config (fail_delay 0) and the default service. Aborts the test on error.
 */
void h_deploy_new(struct h_deploy *d);
/* Removes the deployment's directory. */
void h_deploy_free(struct h_deploy *d);
/* Rewrites the config from d's fields; extra lines appended verbatim. */
void h_write_config(const struct h_deploy *d, const char *extra);
/* Writes the whole config file text as given. */
void h_write_file(const char *path, const char *text, unsigned mode);
/*
 * The service file: "auth required MODULE config=CONF AUTH_OPTS" and
 * "account required MODULE config=CONF ACCT_OPTS"; pre is put first
 * verbatim (may be NULL). config_path NULL means d->conf.
 */
void h_service(const struct h_deploy *d, const char *pre,
    const char *config_path, const char *auth_opts, const char *acct_opts);

/*
 * Runs the CLI: argv is KGW_TEST_ENROLL --config CONF args...; input (may
 * be NULL) goes to its stdin, stdout and stderr come back in out (may be
 * NULL). Returns the exit status, or -1 when it did not exit normally.
 */
int h_cli(const struct h_deploy *d, const char *input, char *out,
    size_t outlen, const char *arg, ...) __attribute__((sentinel));

/*
 * A library the CLI runs with (LD_PRELOAD, the CLI only: the test program
 * links what it needs); NULL or "" for none.
 */
void h_cli_preload(const char *path);

/* Fills u with name, a random password and a random 20-byte secret. */
void h_user_make(struct h_user *u, const char *name);
/* Enrols u: add (zone H_ZONE), passwd (password on stdin), totp (secret on stdin). */
void h_enrol(const struct h_deploy *d, const struct h_user *u);
/* add + totp only (no password). */
void h_enrol_totp_only(const struct h_deploy *d, const struct h_user *u);

/* The current step; waits for the next when fewer than margin s remain. */
int64_t h_step_with_margin(unsigned margin);
/* The 6-digit SHA1 code of secret (base32) at step. */
void h_code(const char *secret, int64_t step, char out[16]);

/* Runs pam_authenticate then pam_acct_mgmt through the real libpam. */
void h_login(const struct h_deploy *d, struct h_login *l);
/* The same login prepared in n child processes released at once; returns
 * how many succeeded; replays counts those refused with reason=replay. */
int h_race(const struct h_deploy *d, const struct h_login *l, int n,
    int *replays);
/* The same, racer i logging in at host ds[i % nd] (a shared directory). */
int h_race_hosts(const struct h_deploy *const *ds, int nd,
    const struct h_login *l, int n, int *replays);

/*
 * pam_chauthtok(flags) alone, as passwd(1) runs it, through the service's
 * password line (h_service_password); its result in l->chauthtok_rc.
 */
void h_passwd(const struct h_deploy *d, struct h_login *l, int flags);
/* The service file of h_service with "password required MODULE ..." too. */
void h_service_password(const struct h_deploy *d, const char *auth_opts,
    const char *acct_opts, const char *password_opts);

/* libpam-wrapper's pam_set_items.so (sets items from the environment). */
const char *h_set_items_module(void);

/* The decision line of a phase ("auth", "account") in l->log, or NULL. */
const char *h_decision(const struct h_login *l, const char *phase,
    char *buf, size_t buflen);
/* The phase's decision line has every field=value in want (space-separated). */
void h_expect_line(const struct h_login *l, const char *phase,
    const char *want);
/* How many questions (prompts asking for an answer) l was asked. */
size_t h_questions(const struct h_login *l);
/* True when l got a message of style (PAM_ERROR_MSG...) containing needle. */
bool h_told(const struct h_login *l, int style, const char *needle);
/* How many times needle occurs in haystack. */
size_t h_count(const char *haystack, const char *needle);
/* True when both logins saw the same prompts (style and text). */
bool h_same_prompts(const struct h_login *a, const struct h_login *b);
/* Renders the prompt list for messages: "[1]Password: |[1]Verif..." */
const char *h_prompts_str(const struct h_login *l, char *buf, size_t len);

/*
 * Leak checks. Every secret registered (passwords, secrets, typed answers)
 * is searched for in everything the module said during this process: log
 * lines, prompts and messages. Returns the first leaked secret or NULL.
 */
void h_secret_add(const char *secret);
/* A secret made by the test (password, TOTP secret, code, key) for the
 * suite's final scan of every captured output (KGW_TEST_SECRETS). */
void h_secret_publish(const char *secret);

/*
 * Pulls the n quoted codes after key in the tool's JSON into codes, each
 * registered as a secret (h_secret_add, h_secret_publish).
 */
#define H_CODE_MAX 32
void h_json_codes(const char *json, const char *key,
    char codes[][H_CODE_MAX], size_t n);
const char *h_leak_find(void);
/* Everything captured in this process (log lines and prompts). */
const char *h_transcript(void);

#endif
