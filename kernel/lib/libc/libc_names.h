// Declarations of the kernel C library's functions under the names they are
// built with. In the kernel, MICA_LIBC(memcpy) is memcpy (the declarations
// of //kernel/include/libc apply). In the host test build
// (MICA_LIBC_HOST_TEST) every function is named mica_libc_<name> so that it
// coexists with, and is tested against, the host's C library.
#pragma once

#include <stdarg.h>
#include <stddef.h>

#ifdef MICA_LIBC_HOST_TEST
#define MICA_LIBC(name) mica_libc_##name
#else
#define MICA_LIBC(name) name
#endif

extern "C" {
void* MICA_LIBC(memcpy)(void* dst, const void* src, size_t n);
void* MICA_LIBC(memmove)(void* dst, const void* src, size_t n);
void* MICA_LIBC(memset)(void* dst, int c, size_t n);
int MICA_LIBC(memcmp)(const void* a, const void* b, size_t n);
void* MICA_LIBC(memchr)(const void* s, int c, size_t n);
size_t MICA_LIBC(strlen)(const char* s);
size_t MICA_LIBC(strnlen)(const char* s, size_t max);
int MICA_LIBC(strcmp)(const char* a, const char* b);
int MICA_LIBC(strncmp)(const char* a, const char* b, size_t n);
char* MICA_LIBC(strchr)(const char* s, int c);
char* MICA_LIBC(strrchr)(const char* s, int c);
size_t MICA_LIBC(strlcpy)(char* dst, const char* src, size_t size);

int MICA_LIBC(vsnprintf)(char* buf, size_t size, const char* fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int MICA_LIBC(snprintf)(char* buf, size_t size, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

long MICA_LIBC(strtol)(const char* s, char** end, int base);
long long MICA_LIBC(strtoll)(const char* s, char** end, int base);
unsigned long MICA_LIBC(strtoul)(const char* s, char** end, int base);
unsigned long long MICA_LIBC(strtoull)(const char* s, char** end, int base);
int MICA_LIBC(abs)(int x);
long MICA_LIBC(labs)(long x);
long long MICA_LIBC(llabs)(long long x);
}
