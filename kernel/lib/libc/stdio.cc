// <stdio.h> for the freestanding kernel: snprintf/vsnprintf on top of the
// formatter in kernel/lib/printf.h.
#include "kernel/lib/libc/libc_names.h"
#include "kernel/lib/printf.h"

extern "C" {

int MICA_LIBC(vsnprintf)(char* buf, size_t size, const char* fmt, va_list ap) {
  return mica::VSNPrintf(buf, size, fmt, ap);
}

int MICA_LIBC(snprintf)(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = mica::VSNPrintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

}  // extern "C"
