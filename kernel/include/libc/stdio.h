// <stdio.h> for the freestanding kernel: only the formatting functions.
// Implemented in //kernel/lib/libc on top of //kernel/lib:printf (see
// kernel/lib/printf.h for the supported conversions; no floating point).
#pragma once

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

int vsnprintf(char* __restrict buf, size_t size, const char* __restrict fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int snprintf(char* __restrict buf, size_t size, const char* __restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
