// The printf formatter. Conversion semantics follow C11 7.21.6.1 (fprintf)
// for the supported subset; see printf.h.
#include "kernel/lib/printf.h"

#include <stdint.h>

namespace mica {
namespace {

// Collects output, counts it, and forwards it to the callback.
struct Writer {
  FormatOutFn out;
  void* ctx;
  size_t count;

  void Put(const char* s, size_t n) {
    if (n != 0) {
      out(ctx, s, n);
      count += n;
    }
  }
  void Pad(char c, size_t n) {
    static constexpr char kSpaces[] = "                                ";
    static constexpr char kZeros[] = "00000000000000000000000000000000";
    const char* src = c == '0' ? kZeros : kSpaces;
    while (n > 0) {
      size_t chunk = n < sizeof(kSpaces) - 1 ? n : sizeof(kSpaces) - 1;
      Put(src, chunk);
      n -= chunk;
    }
  }
};

struct Spec {
  bool left = false;   // '-'
  bool zero = false;   // '0'
  bool space = false;  // ' '
  bool plus = false;   // '+'
  bool alt = false;    // '#'
  size_t width = 0;
  bool has_precision = false;
  size_t precision = 0;
};

enum class Length { kNone, kHH, kH, kL, kLL, kZ, kT, kJ };

size_t StrLenMax(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n] != '\0') {
    n++;
  }
  return n;
}

// Emits `s` (n bytes) padded to the spec's width with spaces.
void PutPadded(Writer& w, const Spec& spec, const char* s, size_t n) {
  size_t pad = spec.width > n ? spec.width - n : 0;
  if (!spec.left) {
    w.Pad(' ', pad);
  }
  w.Put(s, n);
  if (spec.left) {
    w.Pad(' ', pad);
  }
}

// Emits an integer: `magnitude` in `base` with an optional sign or prefix.
void PutInteger(Writer& w, const Spec& spec, uintmax_t magnitude, bool negative, bool is_signed,
                unsigned base, bool upper) {
  const char* digit_chars = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char digits[sizeof(uintmax_t) * 3];  // enough for octal
  size_t ndigits = 0;
  for (uintmax_t v = magnitude; v != 0; v /= base) {
    digits[sizeof(digits) - 1 - ndigits++] = digit_chars[v % base];
  }
  // Precision is the minimum number of digits (default 1); precision 0 with
  // value 0 prints no digits.
  size_t min_digits = spec.has_precision ? spec.precision : 1;
  if (base == 8 && spec.alt && min_digits <= ndigits) {
    // '#' with 'o': the first digit must be 0.
    min_digits = ndigits + 1;
  }
  size_t zeros = min_digits > ndigits ? min_digits - ndigits : 0;

  char prefix[2];
  size_t nprefix = 0;
  if (is_signed) {
    if (negative) {
      prefix[nprefix++] = '-';
    } else if (spec.plus) {
      prefix[nprefix++] = '+';
    } else if (spec.space) {
      prefix[nprefix++] = ' ';
    }
  } else if (base == 16 && spec.alt && magnitude != 0) {
    prefix[nprefix++] = '0';
    prefix[nprefix++] = upper ? 'X' : 'x';
  }

  size_t len = nprefix + zeros + ndigits;
  size_t pad = spec.width > len ? spec.width - len : 0;
  // '0' pads with zeros after the prefix, unless '-' or a precision is given.
  if (spec.zero && !spec.left && !spec.has_precision) {
    zeros += pad;
    pad = 0;
  }
  if (!spec.left) {
    w.Pad(' ', pad);
  }
  w.Put(prefix, nprefix);
  w.Pad('0', zeros);
  w.Put(digits + sizeof(digits) - ndigits, ndigits);
  if (spec.left) {
    w.Pad(' ', pad);
  }
}

// Parses a decimal number; saturates instead of overflowing.
size_t ParseNumber(const char** p) {
  size_t n = 0;
  while (**p >= '0' && **p <= '9') {
    size_t digit = static_cast<size_t>(**p - '0');
    n = n > (SIZE_MAX - digit) / 10 ? SIZE_MAX : n * 10 + digit;
    (*p)++;
  }
  return n;
}

}  // namespace

int VFormat(FormatOutFn out, void* ctx, const char* fmt, va_list ap) {
  Writer w{out, ctx, 0};
  va_list args;
  va_copy(args, ap);

  const char* p = fmt;
  while (*p != '\0') {
    // Literal text up to the next '%'.
    const char* lit = p;
    while (*p != '\0' && *p != '%') {
      p++;
    }
    w.Put(lit, static_cast<size_t>(p - lit));
    if (*p == '\0') {
      break;
    }
    const char* conv_start = p++;  // at '%'

    Spec spec;
    for (bool more = true; more;) {
      switch (*p) {
        case '-':
          spec.left = true;
          break;
        case '0':
          spec.zero = true;
          break;
        case ' ':
          spec.space = true;
          break;
        case '+':
          spec.plus = true;
          break;
        case '#':
          spec.alt = true;
          break;
        default:
          more = false;
          continue;
      }
      p++;
    }

    if (*p == '*') {
      p++;
      int width = va_arg(args, int);
      if (width < 0) {
        spec.left = true;
        spec.width = static_cast<size_t>(-static_cast<long>(width));
      } else {
        spec.width = static_cast<size_t>(width);
      }
    } else {
      spec.width = ParseNumber(&p);
    }

    if (*p == '.') {
      p++;
      spec.has_precision = true;
      if (*p == '*') {
        p++;
        int precision = va_arg(args, int);
        // A negative precision is taken as if it were omitted.
        spec.has_precision = precision >= 0;
        spec.precision = precision >= 0 ? static_cast<size_t>(precision) : 0;
      } else {
        spec.precision = ParseNumber(&p);
      }
    }

    Length length = Length::kNone;
    switch (*p) {
      case 'h':
        p++;
        length = Length::kH;
        if (*p == 'h') {
          p++;
          length = Length::kHH;
        }
        break;
      case 'l':
        p++;
        length = Length::kL;
        if (*p == 'l') {
          p++;
          length = Length::kLL;
        }
        break;
      case 'z':
        p++;
        length = Length::kZ;
        break;
      case 't':
        p++;
        length = Length::kT;
        break;
      case 'j':
        p++;
        length = Length::kJ;
        break;
      default:
        break;
    }

    const char conv = *p;
    if (conv == '\0') {
      // A truncated conversion: print it as it is.
      w.Put(conv_start, static_cast<size_t>(p - conv_start));
      break;
    }
    p++;

    switch (conv) {
      case 'd':
      case 'i': {
        intmax_t v;
        switch (length) {
          case Length::kHH:
            v = static_cast<signed char>(va_arg(args, int));
            break;
          case Length::kH:
            v = static_cast<short>(va_arg(args, int));
            break;
          case Length::kL:
            v = va_arg(args, long);
            break;
          case Length::kLL:
            v = va_arg(args, long long);
            break;
          case Length::kZ:
            // The signed type corresponding to size_t: long on LP64.
            static_assert(sizeof(long) == sizeof(size_t));
            v = va_arg(args, long);
            break;
          case Length::kT:
            v = va_arg(args, ptrdiff_t);
            break;
          case Length::kJ:
            v = va_arg(args, intmax_t);
            break;
          default:
            v = va_arg(args, int);
            break;
        }
        uintmax_t magnitude = v < 0 ? uintmax_t{0} - static_cast<uintmax_t>(v) : v;
        PutInteger(w, spec, magnitude, v < 0, true, 10, false);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        uintmax_t v;
        switch (length) {
          case Length::kHH:
            v = static_cast<unsigned char>(va_arg(args, unsigned int));
            break;
          case Length::kH:
            v = static_cast<unsigned short>(va_arg(args, unsigned int));
            break;
          case Length::kL:
            v = va_arg(args, unsigned long);
            break;
          case Length::kLL:
            v = va_arg(args, unsigned long long);
            break;
          case Length::kZ:
            v = va_arg(args, size_t);
            break;
          case Length::kT:
            v = static_cast<uintmax_t>(va_arg(args, ptrdiff_t));
            break;
          case Length::kJ:
            v = va_arg(args, uintmax_t);
            break;
          default:
            v = va_arg(args, unsigned int);
            break;
        }
        unsigned base = conv == 'u' ? 10 : conv == 'o' ? 8 : 16;
        PutInteger(w, spec, v, false, false, base, conv == 'X');
        break;
      }
      case 'c': {
        char c = static_cast<char>(va_arg(args, int));
        PutPadded(w, spec, &c, 1);
        break;
      }
      case 's': {
        const char* s = va_arg(args, const char*);
        if (s == nullptr) {
          s = "(null)";
        }
        size_t n = StrLenMax(s, spec.has_precision ? spec.precision : SIZE_MAX);
        PutPadded(w, spec, s, n);
        break;
      }
      case 'p': {
        void* ptr = va_arg(args, void*);
        if (ptr == nullptr) {
          PutPadded(w, spec, "(nil)", 5);
        } else {
          Spec hex = spec;
          hex.alt = true;
          PutInteger(w, hex, reinterpret_cast<uintptr_t>(ptr), false, false, 16, false);
        }
        break;
      }
      case '%':
        w.Put("%", 1);
        break;
      default:
        // Unknown conversion: print it verbatim.
        w.Put(conv_start, static_cast<size_t>(p - conv_start));
        break;
    }
  }

  va_end(args);
  return static_cast<int>(w.count);
}

int Format(FormatOutFn out, void* ctx, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = VFormat(out, ctx, fmt, ap);
  va_end(ap);
  return n;
}

namespace {

struct BufferSink {
  char* buf;
  size_t size;  // capacity including the NUL
  size_t pos;   // bytes stored so far (< size when size > 0)
};

void BufferOut(void* ctx, const char* s, size_t n) {
  auto* sink = static_cast<BufferSink*>(ctx);
  if (sink->size == 0) {
    return;
  }
  size_t room = sink->size - 1 - sink->pos;
  size_t copy = n < room ? n : room;
  for (size_t i = 0; i < copy; i++) {
    sink->buf[sink->pos + i] = s[i];
  }
  sink->pos += copy;
}

}  // namespace

int VSNPrintf(char* buf, size_t size, const char* fmt, va_list ap) {
  BufferSink sink{buf, size, 0};
  int n = VFormat(BufferOut, &sink, fmt, ap);
  if (size != 0) {
    buf[sink.pos] = '\0';
  }
  return n;
}

int SNPrintf(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = VSNPrintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

}  // namespace mica
