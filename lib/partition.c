/*
 * partition.c: which copy of a partitioned stage a key goes to, by a hash
 * fixed once and for all, so that a key's copy does not depend on the run
 * or the machine (ds-partition(1) gives test vectors).
 */

#include <stddef.h>
#include <stdint.h>

/* Inlined: a short key costs no call into the library. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "ds.h"

uint64_t
ds_partition_hash(const void *key, size_t len)
{
	return XXH64(key, len, 0);
}

size_t
ds_partition_of(const void *key, size_t len, size_t n)
{
	return XXH64(key, len, 0) % n;
}
