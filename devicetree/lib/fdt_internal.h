// Internal helpers shared by the fdt library's translation units. Not part of
// the API: include "devicetree/lib/fdt.h" instead.
//
// These replace libc (the library links without one): every helper reads
// byte by byte, so the blob may have any alignment and no access is ever
// type-punned.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "devicetree/lib/fdt.h"

namespace fdt {

// Structure block tokens (DT spec v0.4 §5.4.1).
inline constexpr uint32_t kTokenBeginNode = 0x1;
inline constexpr uint32_t kTokenEndNode = 0x2;
inline constexpr uint32_t kTokenProp = 0x3;
inline constexpr uint32_t kTokenNop = 0x4;
inline constexpr uint32_t kTokenEnd = 0x9;

// Header field offsets (DT spec v0.4 §5.2, struct fdt_header).
inline constexpr uint32_t kHdrMagic = 0;
inline constexpr uint32_t kHdrTotalSize = 4;
inline constexpr uint32_t kHdrOffStruct = 8;
inline constexpr uint32_t kHdrOffStrings = 12;
inline constexpr uint32_t kHdrOffMemRsv = 16;
inline constexpr uint32_t kHdrVersion = 20;
inline constexpr uint32_t kHdrLastCompVersion = 24;
inline constexpr uint32_t kHdrBootCpuid = 28;
inline constexpr uint32_t kHdrSizeStrings = 32;
inline constexpr uint32_t kHdrSizeStruct = 36;
// Header length for version 16 (no size_dt_struct) and version >= 17.
inline constexpr uint32_t kHeaderSizeV16 = 36;
inline constexpr uint32_t kHeaderSizeV17 = 40;

// Big-endian loads (the blob is big-endian throughout, §5.1).
inline uint32_t Be32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}
inline uint64_t Be64(const uint8_t* p) {
  return (static_cast<uint64_t>(Be32(p)) << 32) | Be32(p + 4);
}

// Length of `s` up to `max`: returns `max` if there is no NUL in the first
// `max` bytes (so the caller can tell an unterminated string).
inline size_t StrNLen(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n] != '\0') {
    ++n;
  }
  return n;
}

// Length of a NUL-terminated string the caller knows to be terminated.
inline size_t StrLen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') {
    ++n;
  }
  return n;
}

// True if the `n` bytes at `a` and `b` are equal.
inline bool MemEq(const void* a, const void* b, size_t n) {
  const unsigned char* x = static_cast<const unsigned char*>(a);
  const unsigned char* y = static_cast<const unsigned char*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) {
      return false;
    }
  }
  return true;
}

// True if NUL-terminated `s` equals the `n` bytes at `t` (which contain no
// NUL).
inline bool StrEqN(const char* s, const char* t, size_t n) {
  return StrNLen(s, n + 1) == n && MemEq(s, t, n);
}

// Pointer to the first `c` in [s, s + n), or nullptr.
inline const char* MemChr(const char* s, char c, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (s[i] == c) {
      return s + i;
    }
  }
  return nullptr;
}

// Rounds up to a multiple of 4 (computed in 64 bits: no overflow).
inline uint64_t Align4(uint64_t v) {
  return (v + 3) & ~static_cast<uint64_t>(3);
}

// One decoded structure-block token. Offsets are relative to the start of
// the structure block.
struct Fdt::Token {
  uint32_t type = 0;
  uint32_t offset = 0;
  uint32_t next = 0;              // offset of the following token
  const char* name = nullptr;     // BEGIN_NODE: node name; PROP: property name
  const uint8_t* data = nullptr;  // PROP: value
  uint32_t len = 0;               // PROP: value length
  const char* detail = nullptr;   // why decoding failed
};

// Appends to a bounded buffer, counting the untruncated length.
struct Writer {
  char* buf;
  size_t size;
  size_t len = 0;
  void Put(char c) {
    if (len + 1 < size) {
      buf[len] = c;
    }
    ++len;
  }
  void Put(const char* s) {
    while (*s != '\0') {
      Put(*s++);
    }
  }
  void Put(const char* s, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      Put(s[i]);
    }
  }
  void Hex(uint32_t v) {
    Put("0x");
    bool started = false;
    for (int shift = 28; shift >= 0; shift -= 4) {
      const uint32_t digit = (v >> shift) & 0xf;
      if (digit != 0 || started || shift == 0) {
        Put("0123456789abcdef"[digit]);
        started = true;
      }
    }
  }
  void Terminate() {
    if (size > 0) {
      buf[len < size ? len : size - 1] = '\0';
    }
  }
};

}  // namespace fdt
