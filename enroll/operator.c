/*
 * Who is making a change, for the store's record of helpdesk actions: the
 * person behind sudo when there is one, else the account running the tool.
 */
#include <config.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "enroll.h"
#include "kgw_user.h"
#include "kgw_err.h"
#include "kgw_str.h"

static int
copy_name(const char *name, char *out, size_t outlen)
{
	if (name == NULL || !kgw_username_valid(name) ||
	    kgw_strcopy(out, outlen, name) != KGW_OK)
		return -1;
	return 0;
}

void
operator_name(char *out, size_t outlen)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL;
	long size;
	uid_t uid = getuid();

	/* Helpdesk staff work through sudo; root alone would say nothing. */
	if (copy_name(getenv("SUDO_USER"), out, outlen) == 0)
		return;
	if ((size = sysconf(_SC_GETPW_R_SIZE_MAX)) <= 0)
		size = 16384;
	if ((buf = malloc((size_t)size)) == NULL)
		enroll_die("out of memory");
	if (getpwuid_r(uid, &pw, buf, (size_t)size, &res) != 0 || res == NULL ||
	    copy_name(pw.pw_name, out, outlen) != 0)
		(void)snprintf(out, outlen, "uid:%lu", (unsigned long)uid);
	free(buf);
}
