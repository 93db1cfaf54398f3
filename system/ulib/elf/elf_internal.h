// Helpers shared by the ELF library's translation units. Not part of the API.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "system/ulib/elf/elf.h"

namespace elf::internal {

// Little-endian loads and stores, byte by byte: no alignment requirement on
// the buffer and no dependence on the host's byte order (ELFDATA2LSB).
inline uint64_t LoadLe(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    v = (v << 8) | p[i];
  }
  return v;
}
inline uint16_t Load16(const uint8_t* p) {
  return static_cast<uint16_t>(LoadLe(p, 2));
}
inline uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(LoadLe(p, 4));
}
// On a little-endian host a 64-bit word is one unaligned-safe copy (a
// single load or store where the target allows unaligned accesses, as
// AArch64 and x86-64 do), not eight byte accesses: the relocation loop
// reads three words and writes one per entry.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
inline void Store64(uint8_t* p, uint64_t v) {
  __builtin_memcpy(p, &v, sizeof(v));
}
#else
inline uint64_t Load64(const uint8_t* p) {
  return LoadLe(p, 8);
}
inline void Store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    p[i] = static_cast<uint8_t>(v >> (8 * i));
  }
}
#endif

inline constexpr uint64_t PageDown(uint64_t v) {
  return v & ~(kPageSize - 1);
}
// Callers guarantee v <= UINT64_MAX - kPageSize + 1.
inline constexpr uint64_t PageUp(uint64_t v) {
  return PageDown(v + kPageSize - 1);
}
inline constexpr bool IsPowerOfTwo(uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

// True if [offset, offset + size) lies inside [0, limit), without overflow.
inline constexpr bool RangeInside(uint64_t offset, uint64_t size, uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

// Records a failure in *error (if non-null) and returns its status.
inline Status Fail(Error* error, Status status, const char* detail, uint64_t offset = 0,
                   Where where = Where::kNone, uint32_t index = kNoIndex, uint64_t value = 0) {
  if (error != nullptr) {
    error->status = status;
    error->detail = detail;
    error->offset = offset;
    error->where = where;
    error->index = index;
    error->value = value;
  }
  return status;
}

// Checks one relocation entry (r_info, span-relative target) against the
// plan: R_AARCH64_NONE is accepted and does nothing; R_AARCH64_RELATIVE must
// have symbol 0 and an 8-byte target inside the memory of a writable
// segment. Sets *apply when the entry is a RELATIVE that must be written.
// `entry_offset` is only used for the error report.
Status CheckRelocation(const Plan& plan, uint64_t info, uint64_t target, uint64_t entry_offset,
                       uint32_t index, bool* apply, Error* error);

}  // namespace elf::internal
