// <stdlib.h> for the freestanding kernel: integer parsing and abs. There is
// no malloc here: kernel code allocates with new/delete (the kernel heap).
// Implemented in //kernel/lib/libc.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// C11 7.22.1.4 semantics, without errno: on overflow the result saturates
// (LONG_MAX, ULONG_MAX, ...). base 0 accepts 0x / 0 prefixes.
long strtol(const char* __restrict s, char** __restrict end, int base);
long long strtoll(const char* __restrict s, char** __restrict end, int base);
unsigned long strtoul(const char* __restrict s, char** __restrict end, int base);
unsigned long long strtoull(const char* __restrict s, char** __restrict end, int base);

int abs(int x);
long labs(long x);
long long llabs(long long x);

#ifdef __cplusplus
}
#endif
