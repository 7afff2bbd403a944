/*
 * softkey: a software FIDO2 authenticator for the tests. Linked into a test
 * program (or preloaded), it defines fido_dev_info_manifest, fido_dev_open
 * and fido_dev_new_with_info, so libfido2 callers reach the virtual devices
 * listed in KGW_SOFTKEY (see tests/fido2/README).
 */
#ifndef SOFTKEY_H
#define SOFTKEY_H

#include <stddef.h>

/*
 * Re-reads KGW_SOFTKEY. The library reads it once at load time (sshd wipes
 * the environment of its PAM child); a test that sets it later calls this.
 * Calling any function of this header links the interposers into a
 * program even when the softkey comes from a static archive.
 */
void softkey_reload(void);

/* How many device directories KGW_SOFTKEY names (present or not). */
size_t softkey_count(void);

/*
 * Replaces DIR/state with TEXT ("key=value" lines) in one rename, so that a
 * device opened at the same moment sees the old file or the new, never half.
 * Returns 0, or -1 with errno set.
 */
int softkey_state_write(const char *dir, const char *text);

#endif /* SOFTKEY_H */
