/* Bounded integer parsing: the only way the project turns text into numbers. */
#ifndef KGW_NUM_H
#define KGW_NUM_H

/*
 * Parses a decimal integer in [min, max]: digits only, no sign, no spaces,
 * no leading zeros beyond "0" itself. Returns KGW_OK or KGW_ERR_INVALID.
 */
int kgw_parse_ulong(const char *s, unsigned long min, unsigned long max,
    unsigned long *out);

#endif
