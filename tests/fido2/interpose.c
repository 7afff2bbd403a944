/*
 * The libfido2 functions the softkey replaces. A test program linked with
 * the softkey (and -Wl,--export-dynamic, for a dlopen'ed PAM module), or a
 * process with softkey.so in LD_PRELOAD, finds these definitions before
 * libfido2's: the shipped code calls the plain API and holds no test hook.
 *
 * fido_dev_info_manifest lists the virtual devices; fido_dev_open and
 * fido_dev_new_with_info give a "softkey:N" device the softkey's io
 * functions (and libfido2's io_own flag with them), then defer to the real
 * function. fido_dev_open_with_info needs no replacement: the device it
 * opens was made by fido_dev_new_with_info, io functions included.
 *
 * The test API of softkey.h is here too: a program that calls any of it
 * links this object, interposers included, even from a static archive.
 */
#include <config.h>

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "sk.h"
#include "softkey.h"

#define SK_MANUFACTURER	"kakogawa test"
#define SK_PRODUCT	"softkey"

typedef int open_fn(fido_dev_t *, const char *);
typedef fido_dev_t *new_with_info_fn(const fido_dev_info_t *);

/* Load time: sshd's PAM child gets an empty environment, so read it now. */
__attribute__((constructor)) static void
softkey_init(void)
{
	sk_config_read();
}

void
softkey_reload(void)
{
	sk_config_read();
}

size_t
softkey_count(void)
{
	return sk_config_count();
}

int
softkey_state_write(const char *dir, const char *text)
{
	return sk_state_write(dir, text);
}

/* libfido2's own definition of NAME, the one after ours. */
static void *
real(const char *name)
{
	void *sym = dlsym(RTLD_NEXT, name);

	if (sym == NULL)
		fprintf(stderr, "softkey: dlsym %s: %s\n", name, dlerror());
	return sym;
}

/* Even a device gone from KGW_SOFTKEY must not reach hidraw. */
static bool
is_softkey(const char *path)
{
	return path != NULL &&
	    strncmp(path, SK_PATH_PREFIX, strlen(SK_PATH_PREFIX)) == 0;
}

int
fido_dev_info_manifest(fido_dev_info_t *devlist, size_t ilen, size_t *olen)
{
	struct sk_state st;
	char path[32];
	size_t i, n = sk_config_count();
	int r = FIDO_OK;

	*olen = 0;
	for (i = 0; i < n && *olen < ilen && r == FIDO_OK; i++) {
		if (sk_state_load(sk_config_dir(i), &st) < 0)
			continue;
		sk_state_wipe(&st);
		if (!st.present)
			continue;
		(void)snprintf(path, sizeof(path), SK_PATH_PREFIX "%zu", i);
		if ((r = fido_dev_info_set(devlist, *olen, path,
		    SK_MANUFACTURER, SK_PRODUCT, &sk_hid_io, NULL)) == FIDO_OK)
			(*olen)++;
	}
	return r;
}

int
fido_dev_open(fido_dev_t *dev, const char *path)
{
	void *sym;
	open_fn *fn;
	int r;

	if (is_softkey(path) &&
	    (r = fido_dev_set_io_functions(dev, &sk_hid_io)) != FIDO_OK)
		return r;
	if ((sym = real("fido_dev_open")) == NULL)
		return FIDO_ERR_INTERNAL;
	memcpy(&fn, &sym, sizeof(fn));
	return fn(dev, path);
}

fido_dev_t *
fido_dev_new_with_info(const fido_dev_info_t *di)
{
	void *sym;
	new_with_info_fn *fn;
	fido_dev_t *dev;

	if ((sym = real("fido_dev_new_with_info")) == NULL)
		return NULL;
	memcpy(&fn, &sym, sizeof(fn));
	if ((dev = fn(di)) != NULL && is_softkey(fido_dev_info_path(di)) &&
	    fido_dev_set_io_functions(dev, &sk_hid_io) != FIDO_OK)
		fido_dev_free(&dev);
	return dev;
}
