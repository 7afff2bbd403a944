/* Opening files whose contents we trust: no symlinks, right owner and mode. */
#ifndef KGW_PATH_H
#define KGW_PATH_H

#include <stddef.h>

#include "kgw_log.h"

/* Flags for the checks below. */
#define KGW_PATH_PRIVATE 0x1	/* refuse any group or other permission */

/*
 * Checks path and every directory above it: absolute, no symlink, owned by
 * root or by the effective user, not writable by group or others (a
 * root-owned sticky directory such as /tmp is accepted as an ancestor,
 * never as the file's own directory).
 * The final component must be a regular file. Logs why on refusal.
 */
int kgw_path_check_file(const struct kgw_log *log, const char *path, int flags);

/* Same checks for a directory (no sticky grace) and its ancestors. */
int kgw_path_check_dir(const struct kgw_log *log, const char *dir);

/*
 * Reads a whole file after kgw_path_check_file, opening it with O_NOFOLLOW
 * and re-checking the opened descriptor. Refuses files larger than maxsize.
 * On success *buf is a malloc'd buffer of *len bytes plus a NUL the caller
 * frees (wiping it first when it is secret).
 */
int kgw_path_read(const struct kgw_log *log, const char *path, int flags,
    size_t maxsize, unsigned char **buf, size_t *len);

/* fsyncs a directory, so that a file just created in it survives a power cut. */
int kgw_path_sync_dir(const struct kgw_log *log, const char *dir);

/* Copies the directory part of path into out ("/a/b/c" gives "/a/b"). */
int kgw_path_dirname(const char *path, char *out, size_t outlen);

#endif
