/* Helpers of the softkey's Check test (test_util.c). */
#ifndef SK_TEST_UTIL_H
#define SK_TEST_UTIL_H

#include <check.h>
#include <fido.h>
#include <stddef.h>
#include <sys/stat.h>
#include <ftw.h>

#define RP	"kakogawa.example"
#define PIN	"4711"
#define NDEV	2
#define FLAG_UP	0x01
#define FLAG_UV	0x04
#define FLAG_AT	0x40

extern char basedir[64];		/* one per run, made by main() */
extern char devdir[NDEV][128];		/* one per device, per test */

int rm_one(const char *path, const struct stat *st, int type,
    struct FTW *ftw);
void use_devices(size_t n);
void setup(void);
void teardown(void);
void state(size_t idx, const char *text);
long now_ms(void);

fido_dev_t *dev_open(size_t idx);
void dev_close(fido_dev_t **dev);
fido_cred_t *cred_new(int type, const char *rp);
int cred_make(fido_dev_t *dev, int type, const char *pin, fido_cred_t **out);
fido_cred_t *cred_make_ok(fido_dev_t *dev, int type);
int assert_get(fido_dev_t *dev, const fido_cred_t *cred, const char *rp,
    const char *pin, fido_opt_t up, fido_opt_t uv, fido_assert_t **out);
fido_assert_t *assert_ok(fido_dev_t *dev, const fido_cred_t *cred);
int assert_verify(const fido_assert_t *a, const fido_cred_t *cred);

/* test_user.c: the test cases of verification and presence. */
TCase *user_tcase(void);
TCase *presence_tcase(void);
/* test_rogue.c: a key that lies, or never answers the handshake. */
TCase *rogue_tcase(void);

#endif /* SK_TEST_UTIL_H */
