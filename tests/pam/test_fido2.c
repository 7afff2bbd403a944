/*
 * Security keys through the real libpam and the real libfido2: a key is
 * enrolled by the real kakogawa-enroll (with the software authenticator
 * preloaded into it) and a console login through the built module asks
 * it for an assertion. The software authenticator (tests/fido2) is linked
 * into this program, so the module's calls into libfido2 reach it; the
 * shipped code has no test hook. Each test gets its own two virtual keys.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <security/pam_appl.h>

#include "harness.h"
#include "softkey.h"

#define PIN "73914682"
#define TOUCH "Touch your security key"
#define INSERT "Insert your security key"

/* The host's zone, with the rules a test gives it. */
#define LAB(rules) "host_zone = " H_ZONE "\n[zone " H_ZONE "]\n" \
	"networks = 192.0.2.0/24\n" rules
#define KEY_ONLY LAB("factors = password fido2\n")
#define ANY_TOKEN LAB("factors = password token\n")
/* Short waits: a key that is absent or never touched fails fast. */
#define FAST "fido2_insert_timeout = 0\nfido2_touch_timeout = 1\n"

static struct h_deploy D;
static struct h_user alice;
static struct h_login L;
static char keydir[2][H_PATH_MAX];
static char code[16];
static int64_t next_step;	/* the next unused step a login may take */

static void
keys_use(const char *env)
{
	ck_assert_int_eq(setenv("KGW_SOFTKEY", env, 1), 0);
	softkey_reload();
}

/* Key n's behaviour (tests/fido2/README); "" for a well-behaved key. */
static void
key_state(size_t n, const char *text)
{
	ck_assert_int_eq(softkey_state_write(keydir[n], text), 0);
}

/* The preload for the CLI (the environment overrides the build). */
static const char *
softkey_path(void)
{
	const char *p = getenv("KGW_TEST_SOFTKEY");

	return p != NULL && p[0] != '\0' ? p : KGW_TEST_SOFTKEY;
}

/*
 * The CLI under a Japanese locale, its text domain bound to the build
 * tree's catalogue by a preload (tests/enroll/textdomain.c) in place of
 * the authenticator, which it does not need then.
 */
static int
cli_ja(char *out, size_t outlen, const char *a1, const char *a2,
    const char *a3)
{
	const char *td = getenv("KGW_TEST_TEXTDOMAIN"), *v;
	char lc[64];
	int rc;

	v = getenv("LC_ALL");
	(void)snprintf(lc, sizeof(lc), "%s", v != NULL ? v : "");
	h_cli_preload(td != NULL && td[0] != '\0' ? td : KGW_TEST_TEXTDOMAIN);
	ck_assert_int_eq(setenv("LC_ALL", "ja_JP.UTF-8", 1), 0);
	rc = h_cli(&D, NULL, out, outlen, a1, a2, a3, (char *)NULL);
	ck_assert_int_eq(lc[0] != '\0' ? setenv("LC_ALL", lc, 1) :
	    unsetenv("LC_ALL"), 0);
	h_cli_preload(softkey_path());
	return rc;
}

static void
config(const char *extra, const char *zones)
{
	D.zones = zones;
	h_write_config(&D, extra);
}

static void
setup(void)
{
	size_t i;

	h_deploy_new(&D);
	D.totp_window = 10;
	for (i = 0; i < 2; i++) {
		ck_assert_int_lt(snprintf(keydir[i], sizeof(keydir[i]),
		    "%.400s/key%zu", D.dir, i), (int)sizeof(keydir[i]));
		ck_assert_int_eq(mkdir(keydir[i], 0700), 0);
		key_state(i, "");
	}
	keys_use(keydir[0]);	/* one key plugged in, unless a test says */
	h_cli_preload(softkey_path());
	config(FAST, KEY_ONLY);
	h_user_make(&alice, "alice");
	h_enrol(&D, &alice);
	h_secret_add(PIN);	/* never in a log line or a message */
	next_step = 0;
}

static void
teardown(void)
{
	const char *leak = h_leak_find();

	h_deploy_free(&D);
	ck_assert_msg(leak == NULL, "a secret appears in the captured output:"
	    "\n%s", h_transcript());
}

/* kakogawa-enroll ARGS with input on stdin; its exit status. */
static int
cli(const char *input, char *out, size_t outlen, const char *a1,
    const char *a2, const char *a3, const char *a4, const char *a5)
{
	return h_cli(&D, input, out, outlen, a1, a2, a3, a4, a5, (char *)NULL);
}

static void
enrol_key(const char *label)
{
	char out[4096];
	int rc;

	rc = cli(NULL, out, sizeof(out), "fido2", "alice", "--label", label,
	    NULL);
	ck_assert_msg(rc == 0, "fido2 enrol: exit %d: %s", rc, out);
}

/* alice at the console: the password, then what answer says (or none). */
static void
console_login(const char *answer)
{
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.answers[0] = alice.password;
	L.answers[1] = answer;
	L.no_rhost = true;
	L.tty = "tty1";
	h_login(&D, &L);
}

static void
expect_deny(const char *reason)
{
	char want[128];

	ck_assert_msg(L.auth_rc == PAM_AUTH_ERR, "auth gave %d; log:\n%s",
	    L.auth_rc, L.log);
	(void)snprintf(want, sizeof(want), "result=deny reason=%s", reason);
	h_expect_line(&L, "auth", want);
}

/* A code no earlier login of this test used, still inside the window. */
static const char *
fresh_code(void)
{
	int64_t oldest = h_step_with_margin(3) - 8;

	if (next_step < oldest)
		next_step = oldest;
	h_code(alice.secret, next_step++, code);
	return code;
}

START_TEST(test_enrol_and_login)
{
	char out[8192];

	enrol_key("office");
	console_login(NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
	ck_assert_int_eq(L.acct_rc, PAM_SUCCESS);
	ck_assert(h_told(&L, PAM_TEXT_INFO, TOUCH));
	ck_assert_uint_eq(h_questions(&L), 1);	/* the password only */
	h_expect_line(&L, "auth", "src_zone=console rule=console "
	    "factors=password,fido2 result=allow reason=ok");
	/* The helpdesk sees the key and its counter moving. */
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "--json", "show", "alice",
	    NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"fido2_keys\":1"));
	ck_assert_ptr_nonnull(strstr(out, "\"label\":\"office\""));
	ck_assert_ptr_nonnull(strstr(out, "\"flagged\":false"));
	ck_assert_ptr_null(strstr(out, "\"last_used\":null"));
	ck_assert_ptr_nonnull(strstr(out, "\"action\":\"fido2\","
	    "\"detail\":\"label=office\""));
	/* The login is in the audit trail with its factors. */
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "--json", "audit",
	    "export", NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"tty\":\"tty1\",\"factors\":"
	    "\"password,fido2\",\"result\":\"allow\""));
}
END_TEST

/* EdDSA keys work the same way. */
START_TEST(test_eddsa)
{
	char out[4096];

	ck_assert_int_eq(cli(NULL, out, sizeof(out), "fido2", "alice",
	    "--algorithm", "eddsa", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "key1 (eddsa"));
	console_login(NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
}
END_TEST

/* Another key than the one enrolled: it holds no credential of alice. */
START_TEST(test_wrong_key)
{
	enrol_key("office");
	keys_use(keydir[1]);
	console_login(NULL);
	expect_deny("no_key");
	ck_assert_ptr_nonnull(strstr(L.log, "holds none of the person's"));
}
END_TEST

START_TEST(test_presence_missing)
{
	enrol_key("office");
	/* A key that signs without the user-present flag. */
	key_state(0, "up_flag=no\n");
	console_login(NULL);
	expect_deny("bad_key");
	/* The person declines (does not confirm on the key). */
	key_state(0, "touch=no\n");
	console_login(NULL);
	expect_deny("bad_key");
}
END_TEST

START_TEST(test_uv_required)
{
	char out[8192];

	config(FAST, LAB("factors = password fido2\nuser_verification = yes\n"));
	/* Enrolled by PIN: the key asks for it, so does the enrolment. */
	key_state(0, "pin=" PIN "\n");
	ck_assert_int_eq(cli(PIN "\n", NULL, 0, "fido2", "alice",
	    "--pin-stdin", NULL, NULL), 0);
	console_login(PIN);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
	ck_assert_uint_eq(h_questions(&L), 2);
	ck_assert(h_told(&L, PAM_PROMPT_ECHO_OFF, "Security key PIN: "));
	/* A wrong PIN is a refusal, and counts as a failure. */
	console_login("0000");
	expect_deny("bad_key");
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "--json", "show",
	    "alice", NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"failures\":1"));
}
END_TEST

/*
 * The PIN prompt's conversation fails (pam_u2f's CVE-2021-31924: Esc at
 * the PIN prompt, and the key was used with no PIN): an error, NULL
 * replies, or an empty PIN are refusals, never a key asked without PIN.
 */
START_TEST(test_uv_pin_conversation)
{
	static const enum h_conv_mode modes[] = {
		H_CONV_ERR, H_CONV_NULL_RESP, H_CONV_NULL_ARRAY,
	};
	size_t m;

	config(FAST, LAB("factors = password fido2\nuser_verification = yes\n"));
	key_state(0, "pin=" PIN "\n");
	ck_assert_int_eq(cli(PIN "\n", NULL, 0, "fido2", "alice",
	    "--pin-stdin", NULL, NULL), 0);
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		memset(&L, 0, sizeof(L));
		L.user = "alice";
		L.answers[0] = alice.password;
		L.answers[1] = PIN;
		L.conv = modes[m];
		L.conv_at = 1;	/* the PIN prompt */
		L.no_rhost = true;
		L.tty = "tty1";
		h_login(&D, &L);
		expect_deny("conversation");
		ck_assert(h_told(&L, PAM_PROMPT_ECHO_OFF, "Security key PIN: "));
	}
	console_login("");
	ck_assert_msg(L.auth_rc == PAM_AUTH_ERR, "an empty PIN: auth gave "
	    "%d; log:\n%s", L.auth_rc, L.log);
	console_login(PIN);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
}
END_TEST

START_TEST(test_uv_unavailable)
{
	enrol_key("office");	/* no PIN, no fingerprint */
	config(FAST, LAB("factors = password fido2\nuser_verification = yes\n"));
	console_login(NULL);
	expect_deny("no_uv");
	/* A key with a fingerprint reader verifies by itself. */
	key_state(0, "uv=builtin\n");
	console_login(NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
	ck_assert_uint_eq(h_questions(&L), 1);
}
END_TEST

START_TEST(test_counter_backwards)
{
	char out[8192];

	enrol_key("office");
	console_login(NULL);
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	key_state(0, "counter=backwards\n");
	console_login(NULL);
	expect_deny("key_clone");
	ck_assert_ptr_nonnull(strstr(L.log, "possible clone"));
	/* The flag stays: the same key, well-behaved again, is refused, as
	 * if none were enrolled... */
	key_state(0, "");
	console_login(NULL);
	expect_deny("no_fido2");
	/* ...so where any token will do, the code is asked instead. */
	config(FAST, ANY_TOKEN);
	console_login(fresh_code());
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
	h_expect_line(&L, "auth", "factors=password,totp result=allow");
	config(FAST, KEY_ONLY);
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "show", "alice", NULL,
	    NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "FLAGGED"));
	/* The security officer's report lists it. */
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "--json", "audit",
	    "report", NULL, NULL), 0);
	ck_assert_msg(strstr(out, "\"clones\":[{\"time\":") != NULL &&
	    strstr(out, "\"user\":\"alice\"") != NULL &&
	    strstr(out, "\"detail\":\"label=office\"}]") != NULL, "%s", out);
	/* And the self-inspection. */
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "check", "--only",
	    "policy", NULL, NULL), 1);
	ck_assert_msg(strstr(out, "[warning] policy.key_flagged.alice.office") !=
	    NULL && strstr(out, "the security key office of alice is "
	    "flagged") != NULL, "%s", out);
	/* In Japanese the owner comes first: po/ja.po's %2$s ... %1$s. */
	ck_assert_int_eq(cli_ja(out, sizeof(out), "check", "--only", "policy"),
	    1);
	ck_assert_msg(strstr(out, "alice のセキュリティキー office が複製の疑いで"
	    "停止されています") != NULL, "%s", out);
	/* Revoked and enrolled again by the helpdesk: back at work. */
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "revoke", "alice",
	    "fido2", "office", NULL), 0);
	enrol_key("office");
	console_login(NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
}
END_TEST

/* A key keeping no counter (always 0) is accepted again and again. */
START_TEST(test_counter_zero)
{
	key_state(0, "counter=zero\n");
	enrol_key("office");
	console_login(NULL);
	ck_assert_int_eq(L.auth_rc, PAM_SUCCESS);
	console_login(NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
}
END_TEST

/* A credential made for another relying party does not answer ours. */
START_TEST(test_other_rp)
{
	config(FAST "rp_id = other.example\n", KEY_ONLY);
	enrol_key("office");
	config(FAST, KEY_ONLY);		/* the default, pam://kakogawa */
	console_login(NULL);
	expect_deny("no_key");
}
END_TEST

/* Revoked between two logins of one process: the module caches nothing. */
START_TEST(test_revoked)
{
	char out[4096];

	enrol_key("office");
	console_login(NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "revoke", "alice",
	    "fido2", NULL, NULL), 0);
	console_login(NULL);
	expect_deny("no_fido2");
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "revoke", "alice",
	    "fido2", NULL, NULL), 1);
}
END_TEST

/* No touch: the login gives up after fido2_touch_timeout, not later. */
START_TEST(test_touch_timeout)
{
	time_t start;

	enrol_key("office");
	key_state(0, "touch=timeout\n");
	start = time(NULL);
	console_login(NULL);
	expect_deny("key_timeout");
	ck_assert_int_le(time(NULL) - start, 5);
}
END_TEST

/* No key plugged in: asked for one, then refused after the wait. */
START_TEST(test_no_key_plugged)
{
	enrol_key("office");
	config("fido2_insert_timeout = 1\nfido2_touch_timeout = 1\n",
	    KEY_ONLY);
	key_state(0, "present=no\n");
	console_login(NULL);
	expect_deny("no_key");
	ck_assert(h_told(&L, PAM_TEXT_INFO, INSERT));
}
END_TEST

/*
 * Where a key is required, the conversation does not tell a person with a
 * key from one without, or from no one at all: same cues, same questions.
 */
START_TEST(test_same_conversation)
{
	static struct h_login with_key;
	static const char *const others[] = { "mallory", "bob" };
	char pa[1024], pb[1024];
	struct h_user bob;
	size_t i;

	h_user_make(&bob, "bob");
	h_enrol(&D, &bob);		/* a TOTP, no key */
	enrol_key("office");
	config("fido2_insert_timeout = 1\nfido2_touch_timeout = 1\n",
	    KEY_ONLY);
	key_state(0, "present=no\n");
	for (i = 0; i < 3; i++) {
		if (i == 1)
			key_state(0, "touch=no\n");	/* plugged in */
		/* Auth only: the account phase judges the person openly. */
		memset(&L, 0, sizeof(L));
		L.user = "alice";
		L.answers[0] = alice.password;
		L.no_rhost = true;
		L.tty = "tty1";
		L.skip_account = true;
		h_login(&D, &L);
		with_key = L;
		L.user = others[i % 2];
		L.answers[0] = "a wrong password";
		h_login(&D, &L);
		ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
		ck_assert_msg(h_same_prompts(&with_key, &L), "%s saw %s, alice "
		    "%s (round %zu)", L.user, h_prompts_str(&L, pa,
		    sizeof(pa)), h_prompts_str(&with_key, pb, sizeof(pb)), i);
	}
	/* Where the key must verify the user, everyone is asked its PIN. */
	config(FAST, LAB("factors = password fido2\nuser_verification = yes\n"));
	key_state(0, "pin=" PIN "\n");
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.answers[0] = alice.password;
	L.answers[1] = PIN;
	L.no_rhost = true;
	L.tty = "tty1";
	L.skip_account = true;
	h_login(&D, &L);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
	with_key = L;
	L.user = "mallory";
	L.answers[1] = "00000000";
	h_login(&D, &L);
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	ck_assert_msg(h_same_prompts(&with_key, &L), "mallory saw %s, alice "
	    "%s", h_prompts_str(&L, pa, sizeof(pa)), h_prompts_str(&with_key,
	    pb, sizeof(pb)));
}
END_TEST

/*
 * su in a session (a pseudo-terminal, no remote host) says nothing of
 * where the person is, unless the zone takes no remote login (so the
 * session began here) and requires a key plugged in here.
 */
START_TEST(test_su_with_key)
{
	enrol_key("office");
	config(FAST, LAB("factors = password fido2\nconsole_only = yes\n"));
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.answers[0] = alice.password;
	L.no_rhost = true;
	L.tty = "/dev/pts/3";
	h_login(&D, &L);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
	h_expect_line(&L, "auth", "tty=/dev/pts/3 src_zone=console "
	    "host_zone=" H_ZONE " rule=local_key factors=password,fido2 "
	    "result=allow");
	/* A zone SSH reaches: the session su runs in may be remote. */
	config(FAST, KEY_ONLY);
	h_login(&D, &L);
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	ck_assert_uint_eq(h_questions(&L), 0);
	h_expect_line(&L, "auth", "rule=tty_not_console result=deny");
	config(FAST, ANY_TOKEN);
	h_login(&D, &L);
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	h_expect_line(&L, "auth", "rule=tty_not_console result=deny");
}
END_TEST

/* Where any token will do, a code stands in for a missing key. */
START_TEST(test_fallback_to_totp)
{
	enrol_key("office");
	config(FAST, ANY_TOKEN);
	key_state(0, "present=no\n");
	console_login(fresh_code());
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
	ck_assert_str_eq(L.prompts[L.nprompts - 1].text,
	    "Verification code: ");
	h_expect_line(&L, "auth", "factors=password,totp,fido2 result=allow");
	/* The key plugged in: the key, and no code asked. */
	key_state(0, "");
	console_login(NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
	ck_assert_uint_eq(h_questions(&L), 1);
	h_expect_line(&L, "auth", "factors=password,fido2 result=allow");
	/* A zone that lists fido2 never falls back. */
	config(FAST, KEY_ONLY);
	key_state(0, "present=no\n");
	console_login(fresh_code());
	expect_deny("no_key");
	ck_assert_uint_eq(h_questions(&L), 1);
}
END_TEST

/* A remote login in an any-token zone never asks for a key. */
START_TEST(test_remote_uses_totp)
{
	enrol_key("office");
	config(FAST, ANY_TOKEN);
	memset(&L, 0, sizeof(L));
	L.user = "alice";
	L.answers[0] = alice.password;
	L.answers[1] = fresh_code();
	L.rhost = "192.0.2.50";
	h_login(&D, &L);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
	ck_assert(!h_told(&L, PAM_TEXT_INFO, TOUCH));
	h_expect_line(&L, "auth", "factors=password,totp result=allow");
}
END_TEST

/* A key answering nonsense is refused, never a crash; a code may stand in. */
START_TEST(test_bad_replies)
{
	static const char *const faults[] = { "truncated", "badcbor",
	    "oversized", "wrongcid" };
	char state[64];
	size_t i;

	enrol_key("office");
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		(void)snprintf(state, sizeof(state), "fault=%s\n", faults[i]);
		config(FAST, KEY_ONLY);
		key_state(0, state);
		console_login(NULL);
		ck_assert_msg(L.auth_rc == PAM_AUTH_ERR, "%s: %d", faults[i],
		    L.auth_rc);
		config(FAST, ANY_TOKEN);
		key_state(0, state);
		console_login(fresh_code());
		ck_assert_msg(L.auth_rc == PAM_SUCCESS, "%s fallback: %s",
		    faults[i], L.log);
	}
}
END_TEST

/*
 * Keys that answer what they should not: the module itself must refuse
 * (libfido2 leaves the returned id and, when uv is not asked of it, the UV
 * flag to its caller).
 */
START_TEST(test_rogue_keys)
{
	time_t start;

	enrol_key("office");
	/* Signed for another relying party. */
	key_state(0, "rp_hash=wrong\n");
	console_login(NULL);
	expect_deny("bad_key");
	/* A credential id that was not asked for. */
	key_state(0, "response_id=random\n");
	console_login(NULL);
	expect_deny("key_error");
	/* No id at all, which CTAP2 allows with one credential asked. */
	key_state(0, "response_id=empty\n");
	console_login(NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
	/* A good PIN, and no UV flag in what the key signed. */
	config(FAST, LAB("factors = password fido2\nuser_verification = yes\n"));
	key_state(0, "pin=" PIN "\nuv_flag=no\n");
	console_login(PIN);
	expect_deny("bad_key");
	key_state(0, "uv=builtin\nuv_flag=no\n");
	console_login(NULL);
	expect_deny("bad_key");
	/* A device that never answers the handshake: given up on in time. */
	config(FAST, KEY_ONLY);
	key_state(0, "init=silent\n");
	start = time(NULL);
	console_login(NULL);
	ck_assert_int_eq(L.auth_rc, PAM_AUTH_ERR);
	ck_assert_int_le(time(NULL) - start, 5);
}
END_TEST

/* Enrolment refuses what it must, and leaves the store as it was. */
START_TEST(test_enrol_refusals)
{
	char out[4096];

	key_state(0, "attestation=bad\n");
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "fido2", "alice", NULL,
	    NULL, NULL), 1);
	ck_assert_ptr_nonnull(strstr(out, "attestation"));
	key_state(0, "attestation=self\n");
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "fido2", "alice", NULL,
	    NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "self attestation"));
	/* The same key again for alice: it holds her credential already. */
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "fido2", "alice", NULL,
	    NULL, NULL), 1);
	ck_assert_ptr_nonnull(strstr(out, "already"));
	/* A label in use; a bad label; a PIN-protected key without it. */
	keys_use(keydir[1]);
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "fido2", "alice",
	    "--label", "key1", NULL), 1);
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "fido2", "alice",
	    "--label", "no/slash", NULL), 2);
	key_state(1, "pin=" PIN "\n");
	ck_assert_int_eq(cli("9999\n", out, sizeof(out), "fido2", "alice",
	    "--pin-stdin", NULL, NULL), 1);
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "list", NULL, NULL,
	    NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "fido2=1"));
}
END_TEST

/* Two keys plugged in at the helpdesk: the one touched is enrolled. */
START_TEST(test_enrol_choose_by_touch)
{
	char env[2 * H_PATH_MAX + 2], out[4096];

	(void)snprintf(env, sizeof(env), "%s:%s", keydir[0], keydir[1]);
	keys_use(env);
	key_state(0, "touch=timeout\n");
	ck_assert_int_eq(cli(NULL, out, sizeof(out), "fido2", "alice", NULL,
	    NULL, NULL), 0);
	/* It was key 1: key 0 alone does not answer for alice. */
	key_state(0, "");
	keys_use(keydir[0]);
	console_login(NULL);
	expect_deny("no_key");
	keys_use(env);
	console_login(NULL);
	ck_assert_msg(L.auth_rc == PAM_SUCCESS, "log:\n%s", L.log);
}
END_TEST

static Suite *
fido2_suite(void)
{
	Suite *s = suite_create("fido2");
	TCase *tc = tcase_create("fido2");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_enrol_and_login);
	tcase_add_test(tc, test_eddsa);
	tcase_add_test(tc, test_wrong_key);
	tcase_add_test(tc, test_presence_missing);
	tcase_add_test(tc, test_uv_required);
	tcase_add_test(tc, test_uv_unavailable);
	tcase_add_test(tc, test_uv_pin_conversation);
	tcase_add_test(tc, test_counter_backwards);
	tcase_add_test(tc, test_counter_zero);
	tcase_add_test(tc, test_other_rp);
	tcase_add_test(tc, test_revoked);
	tcase_add_test(tc, test_touch_timeout);
	tcase_add_test(tc, test_no_key_plugged);
	tcase_add_test(tc, test_same_conversation);
	tcase_add_test(tc, test_su_with_key);
	tcase_add_test(tc, test_fallback_to_totp);
	tcase_add_test(tc, test_remote_uses_totp);
	tcase_add_test(tc, test_bad_replies);
	tcase_add_test(tc, test_rogue_keys);
	tcase_add_test(tc, test_enrol_refusals);
	tcase_add_test(tc, test_enrol_choose_by_touch);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	char base[] = "/tmp/kgw-fido2test.XXXXXX";
	SRunner *sr;
	int failed;

	if (mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	h_set_base(base);
	sr = srunner_create(fido2_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (h_rmtree(base) != 0)
		(void)fprintf(stderr, "cannot remove %s\n", base);
	return failed == 0 ? 0 : 1;
}
