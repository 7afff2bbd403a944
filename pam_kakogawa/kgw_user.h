/* Account names: what the store and the module accept as a user name. */
#ifndef KGW_USER_H
#define KGW_USER_H

#include <stdbool.h>

#define KGW_USERNAME_MAX 32	/* bytes, as useradd allows */

/*
 * True when name is a portable user name as shadow's useradd accepts it:
 * [A-Za-z0-9_.][A-Za-z0-9_.-]* with an optional trailing '$', at most
 * KGW_USERNAME_MAX bytes, not "." or "..", not all digits.
 */
bool kgw_username_valid(const char *name);

#endif
