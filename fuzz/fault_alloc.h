/*
 * Allocation-failure injection for the fuzz harnesses: the allocations
 * made by our own objects (linked with -Wl,--wrap=malloc,...), by SQLite
 * (SQLITE_CONFIG_MALLOC) and by OpenSSL (CRYPTO_set_mem_functions) fail
 * from the Nth on, N taken from the input, so that error paths run too.
 */
#ifndef FAULT_ALLOC_H
#define FAULT_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Installs the SQLite and OpenSSL allocators. Call once, first thing in
 * LLVMFuzzerInitialize: both refuse once they have allocated.
 */
void fault_alloc_setup(void);

/* From now on, the nth allocation and every one after it fail; 0: none. */
void fault_alloc_arm(unsigned long nth);

/* Stops failing; true when some allocation was refused since arm. */
bool fault_alloc_disarm(void);

/* True when some allocation was refused since arm. */
bool fault_alloc_fired(void);

/*
 * Takes the countdown from the input's first byte (consumed): 0 means no
 * failure, n fails the nth allocation on, so most inputs run clean.
 */
unsigned long fault_alloc_take(const uint8_t **data, size_t *size);

#endif
