// printf-style formatting for the kernel: a formatter core that writes
// through a callback (the kernel log uses it) and snprintf on top.
//
// Conversions: %d %i %u %x %X %o %c %s %p %%.
// Flags: '-' (left-justify), '0' (zero pad), ' ', '+', '#' (0x / 0 prefix).
// Width and precision, each a number or '*' (from the arguments; a negative
// width means '-', a negative precision means none).
// Length modifiers: hh h l ll z t j.
// %s of a null pointer prints "(null)"; %p prints 0x followed by lowercase
// hex (like glibc, "(nil)" for null). No floating point (the kernel is built
// with -mgeneral-regs-only) and no %n. An unknown conversion is printed as
// is, from its '%' on.
#pragma once

#include <stdarg.h>
#include <stddef.h>

namespace mica {

// Receives the formatted output in pieces: `n` bytes at `s`, not
// NUL-terminated. Called with the caller's locks held: keep it short.
using FormatOutFn = void (*)(void* ctx, const char* s, size_t n);

// Formats `fmt` and sends the result to `out`. Returns the number of bytes
// produced.
int VFormat(FormatOutFn out, void* ctx, const char* fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int Format(FormatOutFn out, void* ctx, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

// C99 7.21.6.12 semantics: writes at most size-1 bytes and a NUL (if size >
// 0) and returns the length the full output would have had.
int VSNPrintf(char* buf, size_t size, const char* fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
int SNPrintf(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace mica
