/*
 * Who is making a change, for the store's record of helpdesk actions: the
 * person behind sudo when there is one, else the account running the tool.
 */
#include <config.h>

#include <pwd.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "enroll.h"
#include "kgw_user.h"
#include "kgw_err.h"
#include "kgw_num.h"
#include "kgw_str.h"

static int
copy_name(const char *name, char *out, size_t outlen)
{
	if (name == NULL || !kgw_username_valid(name) ||
	    kgw_strcopy(out, outlen, name) != KGW_OK)
		return -1;
	return 0;
}

/*
 * SUDO_USER, believed only as sudo leaves it: we run as root, and the
 * account it names has the uid in SUDO_UID. Anyone else could set it to
 * sign their changes with another name.
 */
static int
sudo_user(char *buf, size_t buflen, char *out, size_t outlen)
{
	const char *name = getenv("SUDO_USER");
	struct passwd pw, *res = NULL;
	unsigned long uid;

	if (getuid() != 0 || name == NULL || !kgw_username_valid(name) ||
	    kgw_parse_ulong(getenv("SUDO_UID") != NULL ? getenv("SUDO_UID") :
	    "", 0, UINT32_MAX - 1, &uid) != KGW_OK)
		return -1;
	if (getpwnam_r(name, &pw, buf, buflen, &res) != 0 || res == NULL ||
	    (unsigned long)pw.pw_uid != uid)
		return -1;
	return copy_name(name, out, outlen);
}

void
operator_name(char *out, size_t outlen)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL;
	long size;
	uid_t uid = getuid();

	if ((size = sysconf(_SC_GETPW_R_SIZE_MAX)) <= 0)
		size = 16384;
	if ((buf = malloc((size_t)size)) == NULL)
		enroll_die("out of memory");
	/* Helpdesk staff work through sudo; root alone would say nothing. */
	if (sudo_user(buf, (size_t)size, out, outlen) == 0)
		goto out;
	if (getpwuid_r(uid, &pw, buf, (size_t)size, &res) != 0 || res == NULL ||
	    copy_name(pw.pw_name, out, outlen) != 0)
		(void)snprintf(out, outlen, "uid:%lu", (unsigned long)uid);
out:
	free(buf);
}
