/*
 * What bench_login's files share: dying on a setup error, bounded numbers
 * from the command line, a monotonic clock and latency percentiles.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>

__attribute__((noreturn)) void die(const char *what);
unsigned long arg_ulong(const char *s, unsigned long max);
double now_us(void);
/* Sorts lat (n > 0, microseconds) and returns its p-th percentile in ms. */
double pct_ms(double *lat, size_t n, unsigned p);

/*
 * bench_ldap_time.c: this process's microseconds inside the libldap calls
 * the module makes, by phase (connect happens inside the bind).
 */
enum { LT_INIT, LT_BIND, LT_SEARCH, LT_WRITE, LT_UNBIND, LT_N };
extern double bench_ldap_us[LT_N];

/* bench_connect.c: libldap's connect, bind and search, timed apart. */
int bench_connect(int argc, char **argv);

#endif
