// <stdlib.h> for the freestanding kernel: strtol and friends (C11 7.22.1.4,
// without errno: out-of-range values saturate) and abs.
#include <limits.h>

#include "kernel/lib/libc/libc_names.h"

namespace {

bool IsSpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

int DigitValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'Z') {
    return c - 'A' + 10;
  }
  return 36;
}

// Parses the subject sequence of `s`. Returns the magnitude, saturated at
// `limit`, with the sign in *negative; *end is set like strtol's endptr.
unsigned long long Parse(const char* s, char** end, int base, unsigned long long limit,
                         bool* negative, bool* overflow) {
  const char* p = s;
  *negative = false;
  *overflow = false;
  while (IsSpace(*p)) {
    p++;
  }
  if (*p == '+' || *p == '-') {
    *negative = *p == '-';
    p++;
  }
  if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
      DigitValue(p[2]) < 16) {
    p += 2;
    base = 16;
  } else if (base == 0) {
    base = p[0] == '0' ? 8 : 10;
  }
  if (base < 2 || base > 36) {
    if (end != nullptr) {
      *end = const_cast<char*>(s);
    }
    return 0;
  }
  const char* digits_start = p;
  unsigned long long value = 0;
  for (int d; (d = DigitValue(*p)) < base; p++) {
    const auto ubase = static_cast<unsigned long long>(base);
    const auto udigit = static_cast<unsigned long long>(d);
    if (value > (limit - udigit) / ubase) {
      *overflow = true;
    } else {
      value = value * ubase + udigit;
    }
  }
  if (end != nullptr) {
    *end = const_cast<char*>(p == digits_start ? s : p);
  }
  return *overflow ? limit : value;
}

}  // namespace

extern "C" {

long long MICA_LIBC(strtoll)(const char* s, char** end, int base) {
  bool negative;
  bool overflow;
  // The magnitude of LLONG_MIN is LLONG_MAX + 1.
  unsigned long long limit = static_cast<unsigned long long>(LLONG_MAX);
  unsigned long long v = Parse(s, end, base, limit + 1, &negative, &overflow);
  if (negative) {
    return v == limit + 1 ? LLONG_MIN : -static_cast<long long>(v);
  }
  return v > limit ? LLONG_MAX : static_cast<long long>(v);
}

long MICA_LIBC(strtol)(const char* s, char** end, int base) {
  long long v = MICA_LIBC(strtoll)(s, end, base);
  if (v > LONG_MAX) {
    return LONG_MAX;
  }
  if (v < LONG_MIN) {
    return LONG_MIN;
  }
  return static_cast<long>(v);
}

unsigned long long MICA_LIBC(strtoull)(const char* s, char** end, int base) {
  bool negative;
  bool overflow;
  unsigned long long v = Parse(s, end, base, ULLONG_MAX, &negative, &overflow);
  // C11: a negative subject is negated in the return type, unless it
  // overflowed, which saturates at ULLONG_MAX.
  if (overflow) {
    return ULLONG_MAX;
  }
  return negative ? 0 - v : v;
}

unsigned long MICA_LIBC(strtoul)(const char* s, char** end, int base) {
  static_assert(sizeof(unsigned long) == sizeof(unsigned long long));
  return MICA_LIBC(strtoull)(s, end, base);
}

int MICA_LIBC(abs)(int x) {
  return x < 0 ? -x : x;
}
long MICA_LIBC(labs)(long x) {
  return x < 0 ? -x : x;
}
long long MICA_LIBC(llabs)(long long x) {
  return x < 0 ? -x : x;
}

}  // extern "C"
