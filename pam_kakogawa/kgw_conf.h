/* The configuration file shared by the module and the tool. */
#ifndef KGW_CONF_H
#define KGW_CONF_H

#include <stddef.h>

#include "kgw_directory.h"
#include "kgw_fido2.h"
#include "kgw_log.h"
#include "kgw_role.h"
#include "kgw_totp.h"
#include "kgw_zone.h"

#define KGW_CONF_DEFAULT "/etc/security/kakogawa.conf"
#define KGW_STORE_DEFAULT "/var/lib/kakogawa/store.db"
#define KGW_KEY_DEFAULT "/etc/security/kakogawa.key"
#define KGW_PATH_MAX 1024
#define KGW_ISSUER_MAX 64
#define KGW_RP_ID_DEFAULT "pam://kakogawa"
#define KGW_CONF_SIZE_MAX ((size_t)64 * 1024)
#define KGW_CONF_LINE_MAX 1024
/*
 * The longest store or key path: "store = PATH" must fit one line, or the
 * file kgw_conf_format writes would not read back (found by fuzz_conf).
 */
#define KGW_CONF_PATH_LEN_MAX (KGW_CONF_LINE_MAX - sizeof("store = ") + 1)
/* NIST SP 800-63B: at least 8 characters; 64 must always be accepted. */
#define KGW_PASSWORD_MIN_LENGTH_MIN 8
#define KGW_PASSWORD_MIN_LENGTH_MAX 64

struct kgw_conf {
	char store[KGW_PATH_MAX];	/* SQLite database, absolute */
	char key[KGW_PATH_MAX];		/* key file (kgw_crypto.h), absolute */
	char issuer[KGW_ISSUER_MAX];	/* shown by authenticator apps */
	enum kgw_totp_alg totp_algorithm;	/* for new enrolments */
	unsigned totp_digits;		/* for new enrolments: 6 or 8 */
	unsigned totp_window;		/* steps back accepted besides now */
	unsigned totp_max_drift;	/* steps a token's clock may be off */
	unsigned lockout_attempts;	/* consecutive failures that lock */
	unsigned lockout_time;		/* seconds locked; 0: until unlocked */
	unsigned busy_timeout;		/* milliseconds to wait for the store */
	unsigned fail_delay;		/* milliseconds asked of libpam on failure */
	char rp_id[KGW_FIDO2_RP_MAX];	/* security keys' relying party */
	unsigned fido2_touch_timeout;	/* seconds to wait for a touch */
	unsigned fido2_insert_timeout;	/* seconds to wait for a key */
	struct kgw_zones zones;		/* [zone NAME] sections, host_zone */
	unsigned password_min_length;	/* characters of a new password */
	char password_blocklist[KGW_PATH_MAX];	/* "" or a file of them */
	struct kgw_roles roles;		/* [role NAME] sections */
	struct kgw_dir_conf directory;	/* directory_*: the city-wide store */
};

void kgw_conf_defaults(struct kgw_conf *conf);

/*
 * Parses configuration text; name is used in messages ("name:line: ...").
 * Any malformed line, unknown or repeated key, or out-of-range value is
 * KGW_ERR_CONFIG, logged with its line number; *conf is then unspecified.
 */
int kgw_conf_parse(const struct kgw_log *log, const char *name,
    const char *text, size_t len, struct kgw_conf *conf);

/* Reads path safely (see kgw_path_read) and parses it. */
int kgw_conf_load(const struct kgw_log *log, const char *path,
    struct kgw_conf *conf);

/* Writes conf as a complete file text into out (for `init`). */
int kgw_conf_format(const struct kgw_conf *conf, char *out, size_t outlen);

#endif
