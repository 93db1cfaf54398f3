// <string.h> for the freestanding kernel. Implemented in //kernel/lib/libc.
// The compiler emits calls to memcpy, memmove, memset and memcmp on its own
// (struct copies, zeroing), even with -fno-builtin.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void* memcpy(void* __restrict dst, const void* __restrict src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
void* memchr(const void* s, int c, size_t n);
size_t strlen(const char* s);
size_t strnlen(const char* s, size_t max);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
char* strchr(const char* s, int c);
char* strrchr(const char* s, int c);
// Copies at most size-1 bytes of src into dst and NUL-terminates (if size >
// 0). Returns strlen(src): truncation happened if the result is >= size.
size_t strlcpy(char* __restrict dst, const char* __restrict src, size_t size);

#ifdef __cplusplus
}
#endif
