/*
 * init: the key, the store and the configuration, each made only when
 * absent, so that running it again is safe. With --config it builds a
 * complete throwaway deployment in the configuration's directory, which
 * is what demos and tests need: no root, no system path.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enroll.h"
#include "kgw_crypto.h"
#include "kgw_err.h"
#include "kgw_i18n.h"
#include "kgw_path.h"
#include "kgw_store.h"

#define CONF_TEXT_MAX 4096

struct init_state {
	bool config_created;
	bool key_created;
};

static bool
exists(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return true;
	if (errno != ENOENT)
		enroll_die("%s: %s", path, strerror(errno));
	return false;
}

/* One directory level, private; the ones above must exist. */
static void
make_dir(const char *dir)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		enroll_die("cannot create %s: %s", dir, strerror(errno));
}

/* The directory part of the configuration path as it was given. */
static void
make_config_dir(const char *config)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(config, '/');

	if (slash == NULL || slash == config)
		return;		/* the working directory, or "/" */
	if ((size_t)(slash - config) >= sizeof(dir))
		enroll_die("configuration path too long");
	memcpy(dir, config, (size_t)(slash - config));
	dir[slash - config] = '\0';
	make_dir(dir);
}

/*
 * A new configuration's one zone: this host, reached from itself only.
 * Every other login is refused until the city's zones are written in
 * (kakogawa.conf(5) has a three-zone example): a safe place to start.
 */
static void
starter_zone(struct enroll *e)
{
	struct kgw_zones *z = &e->conf.zones;
	char networks[] = "127.0.0.0/8 ::1", why[160];
	unsigned seen = 0;

	if (kgw_zone_conf_add(z, "lgwan", why, sizeof(why)) != KGW_OK ||
	    kgw_zone_conf_set(z, 0, "networks", networks, &seen, why,
	    sizeof(why)) != KGW_OK ||
	    kgw_zone_conf_host(z, "lgwan", why, sizeof(why)) != KGW_OK)
		enroll_die("cannot make the starter zone: %s", why);
}

/* Store and key next to the configuration file, by absolute paths. */
static void
throwaway_conf(struct enroll *e)
{
	char dir[KGW_PATH_MAX];
	int n1, n2;

	if (kgw_path_dirname(e->config_abs, dir, sizeof(dir)) != KGW_OK)
		enroll_die("%s: no directory part", e->config_abs);
	kgw_conf_defaults(&e->conf);
	starter_zone(e);
	n1 = snprintf(e->conf.store, sizeof(e->conf.store), "%s/store.db",
	    strcmp(dir, "/") == 0 ? "" : dir);
	n2 = snprintf(e->conf.key, sizeof(e->conf.key), "%s/kakogawa.key",
	    strcmp(dir, "/") == 0 ? "" : dir);
	/* A path the configuration file could not hold is refused now. */
	if (n1 < 0 || (size_t)n1 > KGW_CONF_PATH_LEN_MAX || n2 < 0 ||
	    (size_t)n2 > KGW_CONF_PATH_LEN_MAX)
		enroll_die("%s: path too long", dir);
}

static void
init_key(struct enroll *e, struct init_state *st)
{
	struct kgw_key key;
	int r;

	if (exists(e->conf.key)) {
		/* Never replace a key: every sealed secret depends on it. */
		r = kgw_key_load(&e->log, e->conf.key, &key);
		kgw_key_wipe(&key);
		if (r != KGW_OK)
			enroll_die("existing key %s unusable: %s", e->conf.key,
			    kgw_strerror(r));
		return;
	}
	if ((r = kgw_key_create(&e->log, e->conf.key)) != KGW_OK)
		enroll_die("cannot create key %s: %s", e->conf.key,
		    kgw_strerror(r));
	st->key_created = true;
}

static void
init_store(struct enroll *e)
{
	char dir[KGW_PATH_MAX];
	int r;

	if (kgw_path_dirname(e->conf.store, dir, sizeof(dir)) != KGW_OK)
		enroll_die("%s: no directory part", e->conf.store);
	make_dir(dir);
	if ((r = kgw_store_open(&e->log, &e->conf, KGW_STORE_CREATE,
	    &e->store)) != KGW_OK)
		enroll_die("cannot create store %s: %s", e->conf.store,
		    kgw_strerror(r));
	enroll_audit_arm(e);	/* a new store: its trail starts now */
	kgw_store_close(&e->store);
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Written last and only when absent: a config names a working deployment. */
static void
write_config(const struct enroll *e)
{
	char text[CONF_TEXT_MAX];
	int fd, saved = 0;

	if (kgw_conf_format(&e->conf, text, sizeof(text)) != KGW_OK)
		enroll_die("cannot format the configuration");
	fd = open(e->config_abs, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd < 0)
		enroll_die("cannot create %s: %s", e->config_abs,
		    strerror(errno));
	/* 0644 whatever the umask: the module reads it as any user's PAM. */
	if (fchmod(fd, 0644) != 0 || write_all(fd, text, strlen(text)) != 0 ||
	    fsync(fd) != 0)
		saved = errno;
	if (close(fd) != 0 && saved == 0)
		saved = errno;
	if (saved != 0) {
		(void)unlink(e->config_abs);
		enroll_die("cannot write %s: %s", e->config_abs,
		    strerror(saved));
	}
}

static void
report(const struct enroll *e, const struct init_state *st)
{
	if (e->json) {
		(void)fputs("{\"config\":", stdout);
		json_string(stdout, e->config_abs);
		(void)printf(",\"config_created\":%s,\"key\":",
		    st->config_created ? "true" : "false");
		json_string(stdout, e->conf.key);
		(void)printf(",\"key_created\":%s,\"store\":",
		    st->key_created ? "true" : "false");
		json_string(stdout, e->conf.store);
		(void)fputs("}\n", stdout);
		return;
	}
	(void)printf(st->key_created ? _("created key %s\n") :
	    _("kept the existing key %s and reused it\n"), e->conf.key);
	(void)printf(_("store %s ready\n"), e->conf.store);
	(void)printf(st->config_created ? _("created configuration %s\n") :
	    _("kept the existing configuration %s\n"), e->config_abs);
}

int
cmd_init(struct enroll *e, int argc, char **argv)
{
	static const struct option opts[] = {
		ENROLL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct init_state st = { false, false };
	int ch, r;

	while ((ch = enroll_getopt(argc, argv, opts)) != -1)
		enroll_common_option(e, "init", ch, argv);
	if (optind < argc)
		enroll_usage("init: too many arguments (see --help)");
	if (e->config_given)
		make_config_dir(e->config);
	enroll_config_path(e);
	if (exists(e->config_abs)) {
		if ((r = kgw_conf_load(&e->log, e->config_abs,
		    &e->conf)) != KGW_OK)
			enroll_die("cannot load configuration %s: %s",
			    e->config_abs, kgw_strerror(r));
	} else if (e->config_given) {
		throwaway_conf(e);
		st.config_created = true;
	} else {
		kgw_conf_defaults(&e->conf);
		starter_zone(e);
		st.config_created = true;
	}
	init_key(e, &st);
	init_store(e);
	if (st.config_created)
		write_config(e);
	report(e, &st);
	return 0;
}
