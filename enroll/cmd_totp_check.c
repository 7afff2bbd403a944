/*
 * Codes typed from a person's device at the helpdesk: the first code of
 * a new TOTP, which makes it the active one (totp --verify, --confirm),
 * and two consecutive codes of a token whose clock ran off (resync).
 * Codes are read from the terminal without echo, or from standard input,
 * never from the command line.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "enroll.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_store.h"
#include "kgw_totp.h"

#define TRIES 3		/* codes asked for at a terminal */

/* One code, as digits; KGW_ERR_IO at the end of input. */
static int
read_code(const char *prompt, unsigned digits, char code[KGW_TOTP_CODE_MAX + 1])
{
	char line[KGW_TOTP_INPUT_MAX + 1];
	int r;

	if (isatty(STDIN_FILENO))
		r = secret_prompt(prompt, N_("code"), line, sizeof(line));
	else
		r = secret_read_line(STDIN_FILENO, N_("code"), line,
		    sizeof(line));
	if (r == KGW_OK && (r = kgw_totp_normalize(line, digits, code)) !=
	    KGW_OK)
		enroll_warn("a code is %u digits", digits);
	OPENSSL_cleanse(line, sizeof(line));
	return r;
}

/* Where the tool looks for a new device's code: the module's bound. */
static struct kgw_totp_range
fresh_range(const struct enroll *e)
{
	struct kgw_totp_range range = {
		e->conf.totp_window, e->conf.totp_max_drift, 0, 0, -1
	};

	return range;
}

/*
 * Makes the pending TOTP p, whose secret is t, the active one once a
 * code from the device matches it: up to TRIES codes, from the terminal
 * or lines of standard input, until one matches or the input ends.
 */
int
totp_prove(struct enroll *e, const char *user, const struct kgw_totp *t,
    const struct kgw_totp_pending *p)
{
	const struct kgw_totp_range range = fresh_range(e);
	char code[KGW_TOTP_CODE_MAX + 1];
	int64_t step = -1;
	time_t now;
	int i, r = KGW_ERR_DENIED;

	for (i = 0; i < TRIES; i++) {
		if (read_code(N_("Code shown by the new device: "), t->digits,
		    code) != KGW_OK) {
			if (!isatty(STDIN_FILENO))
				break;
			continue;
		}
		now = time(NULL);
		if ((r = kgw_totp_check(t, code, now, &range, &step)) ==
		    KGW_OK) {
			r = kgw_store_totp_confirm(e->store, user, p, step,
			    kgw_totp_learn(&range, step, now),
			    e->operator_name);
			if (r != KGW_OK)
				enroll_store_error(_("cannot activate the new "
				    "TOTP of"), user, r);
			break;
		}
		enroll_warn("that code does not match the new TOTP");
	}
	OPENSSL_cleanse(code, sizeof(code));
	return r;
}

/* What the operator is told when the new TOTP stays pending. */
void
totp_pending_note(const char *user)
{
	enroll_warn("the new TOTP of %s is not active: no code from the new "
	    "device matched. Until one does, the old TOTP (if any) stays "
	    "active; try again with: kakogawa-enroll totp %s --confirm",
	    user, user);
}

/* The pending TOTP's secret, opened with the key file. */
static int
pending_open(struct enroll *e, const char *user,
    const struct kgw_totp_pending *p, struct kgw_totp *t)
{
	char purpose[KGW_TOTP_PURPOSE_MAX];
	struct kgw_key key;
	int r;

	if ((r = kgw_key_load(&e->log, e->conf.key, &key)) != KGW_OK) {
		enroll_warn("cannot load the key %s: %s", e->conf.key,
		    kgw_strerror(r));
		return r;
	}
	t->alg = p->alg;
	t->digits = p->digits;
	if ((r = kgw_totp_purpose(p->alg, p->digits, purpose,
	    sizeof(purpose))) == KGW_OK)
		r = kgw_unseal(&key, purpose, user, p->sealed, p->sealed_len,
		    t->secret, sizeof(t->secret), &t->secret_len);
	if (r != KGW_OK)
		enroll_warn("the pending TOTP of %s does not open with the key "
		    "file: %s", user, kgw_strerror(r));
	kgw_key_wipe(&key);
	return r;
}

/* totp USER --confirm: the pending TOTP, proved by a code. */
int
totp_confirm(struct enroll *e, const char *user)
{
	struct kgw_totp_pending p;
	struct kgw_totp t;
	int r, status = 1;

	memset(&t, 0, sizeof(t));
	enroll_open(e);
	if ((r = kgw_store_totp_pending_get(e->store, user, &p)) ==
	    KGW_ERR_NOT_FOUND) {
		enroll_warn("%s has no TOTP waiting for a code", user);
		goto fail;
	}
	if (r != KGW_OK) {
		enroll_store_error(_("cannot read the pending TOTP of"), user, r);
		goto fail;
	}
	if (kgw_totp_init() != KGW_OK) {
		enroll_warn("cannot initialise liboath");
		goto fail;
	}
	if (pending_open(e, user, &p, &t) == KGW_OK) {
		r = totp_prove(e, user, &t, &p);
		if (r == KGW_OK) {
			enroll_done(e, user, "totp", _("TOTP verified and active "
			    "for %s (%s, %u digits)"), user,
			    kgw_totp_alg_name(t.alg), t.digits);
			status = 0;
		} else if (r == KGW_ERR_DENIED) {
			totp_pending_note(user);
		}
	}
	kgw_totp_done();
fail:
	kgw_totp_wipe(&t);
	OPENSSL_cleanse(&p, sizeof(p));
	enroll_close(e);
	return status;
}

/* The person's active TOTP, opened with the key file. */
static int
active_open(struct enroll *e, const struct kgw_user_rec *rec,
    struct kgw_totp *t)
{
	struct kgw_totp_pending p;
	int r;

	memset(&p, 0, sizeof(p));
	memcpy(p.sealed, rec->totp_sealed, rec->totp_sealed_len);
	p.sealed_len = rec->totp_sealed_len;
	p.alg = rec->totp_alg;
	p.digits = rec->totp_digits;
	r = pending_open(e, rec->name, &p, t);
	OPENSSL_cleanse(&p, sizeof(p));
	return r;
}

/*
 * The two codes, and the token's offset: the step where the second one
 * follows the first, less this host's step when they were typed.
 */
static int
resync_find(const struct kgw_totp *t, int64_t *second, int64_t *offset)
{
	time_t now;
	char c1[KGW_TOTP_CODE_MAX + 1], c2[KGW_TOTP_CODE_MAX + 1];
	int r;

	if ((r = read_code(N_("A code from the token: "), t->digits, c1)) !=
	    KGW_OK ||
	    (r = read_code(N_("The next code (wait for it to change): "),
	    t->digits, c2)) != KGW_OK)
		goto out;
	now = time(NULL);
	r = kgw_totp_find_pair(t, c1, c2, now, KGW_TOTP_RESYNC_STEPS, second);
	if (r == KGW_OK)
		*offset = *second - kgw_totp_step(now);
	else if (r == KGW_ERR_DENIED)
		enroll_warn("these are not two consecutive codes of the token "
		    "within a day of this host's time");
out:
	OPENSSL_cleanse(c1, sizeof(c1));
	OPENSSL_cleanse(c2, sizeof(c2));
	return r;
}

static void
resync_done(const struct enroll *e, const struct kgw_user_rec *rec,
    int64_t second, int64_t offset)
{
	if (e->json) {
		(void)fputs("{\"user\":", stdout);
		json_string(stdout, rec->name);
		(void)printf(",\"action\":\"resync\",\"offset\":%lld}\n",
		    (long long)offset);
		return;
	}
	(void)printf(_("resynchronised the token of %s: its clock is %+lld "
	    "steps (%+lld s) off this host's\n"), rec->name,
	    (long long)offset, (long long)offset * KGW_TOTP_STEP);
	if (second <= rec->totp_last_step)
		enroll_warn("note: the token's codes up to a later one were "
		    "used already; its logins work again once it shows a "
		    "newer code");
}

/* resync USER: two consecutive codes put the token's offset right. */
int
cmd_resync(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct kgw_user_rec rec;
	struct kgw_totp t;
	const char *user;
	int64_t second = -1, offset = 0;
	int ch, r, status = 1;
	bool oath = false;

	memset(&t, 0, sizeof(t));
	while ((ch = enroll_getopt(argc, argv, opts)) != -1)
		enroll_common_option(e, "resync", ch, argv);
	user = enroll_user_arg(argc, argv, "resync");
	enroll_open(e);
	if ((r = kgw_store_get_user(e->store, user, &rec)) == KGW_OK &&
	    rec.totp_sealed_len == 0)
		r = KGW_ERR_NO_FACTOR;
	if (r != KGW_OK) {
		enroll_store_error(_("cannot resynchronise the token of"), user,
		    r);
		goto fail;
	}
	if (kgw_totp_init() != KGW_OK) {
		enroll_warn("cannot initialise liboath");
		goto fail;
	}
	oath = true;
	if (active_open(e, &rec, &t) != KGW_OK ||
	    resync_find(&t, &second, &offset) != KGW_OK)
		goto fail;
	if ((r = kgw_store_totp_resync(e->store, &rec, second, offset,
	    e->operator_name)) != KGW_OK) {
		enroll_store_error(_("cannot resynchronise the token of"), user,
		    r);
		goto fail;
	}
	resync_done(e, &rec, second, offset);
	status = 0;
fail:
	if (oath)
		kgw_totp_done();
	kgw_totp_wipe(&t);
	explicit_bzero(&rec, sizeof(rec));
	enroll_close(e);
	return status;
}
