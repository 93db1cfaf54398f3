// <string.h> for the freestanding kernel (C11 7.24, plus strlcpy and
// strnlen). The memory functions move 8-byte words when source and
// destination share their alignment; they never make an unaligned access,
// so they are safe with the MMU off (where every access is Device memory and
// must be aligned) and never read outside the buffers they were given.
//
// Built with -fno-builtin, so the compiler does not turn these loops back
// into calls to themselves.
#include <stdint.h>

#include "kernel/lib/libc/libc_names.h"

namespace {

// A word type that may alias any object (like char).
using Word = uint64_t __attribute__((__may_alias__));
constexpr size_t kWord = sizeof(Word);

inline bool Aligned(const void* p) {
  return (reinterpret_cast<uintptr_t>(p) & (kWord - 1)) == 0;
}
inline bool SameAlignment(const void* a, const void* b) {
  return ((reinterpret_cast<uintptr_t>(a) ^ reinterpret_cast<uintptr_t>(b)) & (kWord - 1)) == 0;
}

// Copies n bytes forwards. Safe for overlapping buffers when dst < src: every
// word is read before the store that could overwrite it.
void CopyForward(unsigned char* d, const unsigned char* s, size_t n) {
  if (n >= 2 * kWord && SameAlignment(d, s)) {
    while (!Aligned(d)) {
      *d++ = *s++;
      n--;
    }
    while (n >= 4 * kWord) {
      Word w0 = reinterpret_cast<const Word*>(s)[0];
      Word w1 = reinterpret_cast<const Word*>(s)[1];
      Word w2 = reinterpret_cast<const Word*>(s)[2];
      Word w3 = reinterpret_cast<const Word*>(s)[3];
      reinterpret_cast<Word*>(d)[0] = w0;
      reinterpret_cast<Word*>(d)[1] = w1;
      reinterpret_cast<Word*>(d)[2] = w2;
      reinterpret_cast<Word*>(d)[3] = w3;
      d += 4 * kWord;
      s += 4 * kWord;
      n -= 4 * kWord;
    }
    while (n >= kWord) {
      *reinterpret_cast<Word*>(d) = *reinterpret_cast<const Word*>(s);
      d += kWord;
      s += kWord;
      n -= kWord;
    }
  }
  while (n-- > 0) {
    *d++ = *s++;
  }
}

// Copies n bytes backwards (from the end). Safe when dst > src.
void CopyBackward(unsigned char* d, const unsigned char* s, size_t n) {
  d += n;
  s += n;
  if (n >= 2 * kWord && SameAlignment(d, s)) {
    while (!Aligned(d)) {
      *--d = *--s;
      n--;
    }
    while (n >= kWord) {
      d -= kWord;
      s -= kWord;
      *reinterpret_cast<Word*>(d) = *reinterpret_cast<const Word*>(s);
      n -= kWord;
    }
  }
  while (n-- > 0) {
    *--d = *--s;
  }
}

#if defined(__aarch64__) && !defined(MICA_LIBC_HOST_TEST)
// Zero fills of at least this many bytes use DC ZVA.
constexpr size_t kZvaMin = 256;

// DC ZVA zeroes one block (DCZID_EL0: 4 << BS bytes; 64 on the Cortex-A53
// and A72 and under QEMU) per instruction, but only in Normal memory: with
// the MMU off every access is Device memory and DC ZVA faults, so it is
// used only while SCTLR_EL1.M and .C are set (the kernel never memsets a
// device's registers), and not when DCZID_EL0.DZP forbids it. Zeroes the
// whole blocks of [d, d + n) from the first block boundary, then leaves d
// and n to the bytes after them (the bytes before them are zeroed first,
// so the caller's plain loop finishes only the tail).
void ZeroBlocks(unsigned char*& d, size_t& n) {
  uint64_t sctlr, dczid;
  __asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
  __asm__ volatile("mrs %0, dczid_el0" : "=r"(dczid));
  constexpr uint64_t kSctlrM = 1u << 0, kSctlrC = 1u << 2, kDzp = 1u << 4;
  if ((sctlr & (kSctlrM | kSctlrC)) != (kSctlrM | kSctlrC) || (dczid & kDzp) != 0) {
    return;
  }
  const size_t block = size_t{4} << (dczid & 0xf);
  const size_t head = (block - (reinterpret_cast<uintptr_t>(d) & (block - 1))) & (block - 1);
  if (head + block > n) {
    return;
  }
  for (size_t i = 0; i < head; i++) {
    d[i] = 0;
  }
  d += head;
  n -= head;
  for (; n >= block; d += block, n -= block) {
    __asm__ volatile("dc zva, %0" : : "r"(d) : "memory");
  }
}
#endif

}  // namespace

extern "C" {

void* MICA_LIBC(memcpy)(void* dst, const void* src, size_t n) {
  CopyForward(static_cast<unsigned char*>(dst), static_cast<const unsigned char*>(src), n);
  return dst;
}

void* MICA_LIBC(memmove)(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  auto* s = static_cast<const unsigned char*>(src);
  // Backwards only if dst starts inside [src, src + n).
  if (reinterpret_cast<uintptr_t>(d) - reinterpret_cast<uintptr_t>(s) < n) {
    CopyBackward(d, s, n);
  } else {
    CopyForward(d, s, n);
  }
  return dst;
}

void* MICA_LIBC(memset)(void* dst, int c, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const unsigned char byte = static_cast<unsigned char>(c);
#if defined(__aarch64__) && !defined(MICA_LIBC_HOST_TEST)
  if (byte == 0 && n >= kZvaMin) {
    ZeroBlocks(d, n);  // the whole blocks inside; the edges below
  }
#endif
  if (n >= 2 * kWord) {
    while (!Aligned(d)) {
      *d++ = byte;
      n--;
    }
    const Word pattern = Word{byte} * 0x0101010101010101ull;
    while (n >= 4 * kWord) {
      reinterpret_cast<Word*>(d)[0] = pattern;
      reinterpret_cast<Word*>(d)[1] = pattern;
      reinterpret_cast<Word*>(d)[2] = pattern;
      reinterpret_cast<Word*>(d)[3] = pattern;
      d += 4 * kWord;
      n -= 4 * kWord;
    }
    while (n >= kWord) {
      *reinterpret_cast<Word*>(d) = pattern;
      d += kWord;
      n -= kWord;
    }
  }
  while (n-- > 0) {
    *d++ = byte;
  }
  return dst;
}

int MICA_LIBC(memcmp)(const void* a, const void* b, size_t n) {
  auto* x = static_cast<const unsigned char*>(a);
  auto* y = static_cast<const unsigned char*>(b);
  if (n >= 2 * kWord && SameAlignment(x, y)) {
    while (!Aligned(x)) {
      if (*x != *y) {
        return *x - *y;
      }
      x++;
      y++;
      n--;
    }
    // Skip equal words; the byte loop below finds the first difference.
    while (n >= kWord && *reinterpret_cast<const Word*>(x) == *reinterpret_cast<const Word*>(y)) {
      x += kWord;
      y += kWord;
      n -= kWord;
    }
  }
  for (; n > 0; n--, x++, y++) {
    if (*x != *y) {
      return *x - *y;
    }
  }
  return 0;
}

void* MICA_LIBC(memchr)(const void* s, int c, size_t n) {
  auto* p = static_cast<const unsigned char*>(s);
  const unsigned char byte = static_cast<unsigned char>(c);
  for (; n > 0; n--, p++) {
    if (*p == byte) {
      return const_cast<unsigned char*>(p);
    }
  }
  return nullptr;
}

size_t MICA_LIBC(strlen)(const char* s) {
  const char* p = s;
  while (*p != '\0') {
    p++;
  }
  return static_cast<size_t>(p - s);
}

size_t MICA_LIBC(strnlen)(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n] != '\0') {
    n++;
  }
  return n;
}

int MICA_LIBC(strcmp)(const char* a, const char* b) {
  // C11 7.24.4: compared as unsigned char.
  auto* x = reinterpret_cast<const unsigned char*>(a);
  auto* y = reinterpret_cast<const unsigned char*>(b);
  while (*x != '\0' && *x == *y) {
    x++;
    y++;
  }
  return *x - *y;
}

int MICA_LIBC(strncmp)(const char* a, const char* b, size_t n) {
  auto* x = reinterpret_cast<const unsigned char*>(a);
  auto* y = reinterpret_cast<const unsigned char*>(b);
  for (; n > 0; n--, x++, y++) {
    if (*x != *y || *x == '\0') {
      return *x - *y;
    }
  }
  return 0;
}

char* MICA_LIBC(strchr)(const char* s, int c) {
  const char ch = static_cast<char>(c);
  for (;; s++) {
    if (*s == ch) {
      return const_cast<char*>(s);
    }
    if (*s == '\0') {
      return nullptr;
    }
  }
}

char* MICA_LIBC(strrchr)(const char* s, int c) {
  const char ch = static_cast<char>(c);
  const char* last = nullptr;
  for (;; s++) {
    if (*s == ch) {
      last = s;
    }
    if (*s == '\0') {
      return const_cast<char*>(last);
    }
  }
}

size_t MICA_LIBC(strlcpy)(char* dst, const char* src, size_t size) {
  size_t len = MICA_LIBC(strlen)(src);
  if (size != 0) {
    size_t copy = len < size - 1 ? len : size - 1;
    MICA_LIBC(memcpy)(dst, src, copy);
    dst[copy] = '\0';
  }
  return len;
}

}  // extern "C"
