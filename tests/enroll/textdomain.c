/*
 * Preloaded into the tool by the enroll tests (LD_PRELOAD): binds the
 * text domain to the build tree's catalogues before main runs. The tool
 * keeps a binding it finds (kgw_i18n_init), as the module does for
 * tests/pam/harness.c, so its Japanese comes from this tree's po/ja.po
 * and never from an installed catalogue; the tool itself has no switch
 * for it, as a root tool should not read catalogues a caller names.
 */
#include <config.h>

#include <libintl.h>

static void bind_build_tree(void) __attribute__((constructor));

static void
bind_build_tree(void)
{
	(void)bindtextdomain(PACKAGE, KGW_TEST_LOCALEDIR);
}
