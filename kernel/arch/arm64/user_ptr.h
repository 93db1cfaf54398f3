// Typed user pointers for syscall arguments. A user pointer is only ever
// dereferenced through CopyIn/CopyOut, which check the range lies in the
// user half and copy with unprivileged accesses that survive faults
// (arm64_copy_from_user / arm64_copy_to_user). Nothing else may read or
// write user memory.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/arch/arm64/user_page_table.h"
#include "kernel/lib/status.h"

extern "C" {
int arm64_copy_from_user(void* dst, const void* user_src, size_t len);
int arm64_copy_to_user(void* user_dst, const void* src, size_t len);
int arm64_get_user64(uint64_t user_src, uint64_t* out);
int arm64_get_user32(uint64_t user_src, uint32_t* out);
int arm64_put_user64(uint64_t user_dst, uint64_t value);
int arm64_put_user32(uint64_t user_dst, uint32_t value);
}

namespace usercopy {

// Copies `len` bytes from user address `src`. kInvalidArgs if the range is
// not in the user half or any byte is not readable by the process (also
// when a page of it could not be committed: the syscall return path then
// reports kNoMemory, see arm64_syscall_return_work).
[[gnu::always_inline]] inline mica::Status CopyIn(void* dst, uint64_t src, size_t len) {
  if (len == 0) {
    return mica::Status::kOk;
  }
  if (!arch::IsUserRange(src, len)) {
    return mica::Status::kInvalidArgs;
  }
  return arm64_copy_from_user(dst, reinterpret_cast<const void*>(src), len) == 0
             ? mica::Status::kOk
             : mica::Status::kInvalidArgs;
}

[[gnu::always_inline]] inline mica::Status CopyOut(uint64_t dst, const void* src, size_t len) {
  if (len == 0) {
    return mica::Status::kOk;
  }
  if (!arch::IsUserRange(dst, len)) {
    return mica::Status::kInvalidArgs;
  }
  return arm64_copy_to_user(reinterpret_cast<void*>(dst), src, len) == 0
             ? mica::Status::kOk
             : mica::Status::kInvalidArgs;
}

// Six 8-byte words from an 8-byte aligned user address (checked by the
// caller to lie in the user half) into dst, inline: six unprivileged loads
// and no call (channel_call's and channel_write_read's 48-byte argument
// block). 0, or -1 if a load faulted (the exception table sends a
// faulting load to the `mov`). The table entries go in the section group
// of the code ("?"), so that an inline copy of this in a COMDAT function
// the linker discards takes its entries with it.
[[gnu::always_inline]] inline int GetUserWords6(uint64_t* dst, uint64_t src) {
  uint64_t w0, w1, w2, w3, w4, w5;
  int err = 0;
  __asm__ volatile(
      "1: ldtr %[w0], [%[src]]\n"
      "2: ldtr %[w1], [%[src], #8]\n"
      "3: ldtr %[w2], [%[src], #16]\n"
      "4: ldtr %[w3], [%[src], #24]\n"
      "5: ldtr %[w4], [%[src], #32]\n"
      "6: ldtr %[w5], [%[src], #40]\n"
      "   b 8f\n"
      "7: mov %w[err], #-1\n"
      "8:\n"
      "   .pushsection __ex_table, \"a?\"\n"
      "   .balign 8\n"
      "   .quad 1b, 7b, 2b, 7b, 3b, 7b, 4b, 7b, 5b, 7b, 6b, 7b\n"
      "   .popsection\n"
      : [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [w4] "=&r"(w4),
        [w5] "=&r"(w5), [err] "+r"(err)
      : [src] "r"(src)
      : "memory");
  dst[0] = w0;
  dst[1] = w1;
  dst[2] = w2;
  dst[3] = w3;
  dst[4] = w4;
  dst[5] = w5;
  return err;
}

// One value of type T: a single unprivileged access when T is a 4- or
// 8-byte trivially copyable type (handles, times, sizes, koids), six
// inline ones for a 48-byte one (the IPC calls' argument block) when
// aligned, else the general copy. The value travels in registers, so the
// caller keeps no buffer on its stack.
template <typename T>
inline mica::Status GetValue(T* out, uint64_t src) {
  if constexpr (__is_trivially_copyable(T) && sizeof(T) == 48 && alignof(T) == 8) {
    if (!arch::IsUserRange(src, sizeof(T))) {
      return mica::Status::kInvalidArgs;
    }
    if ((src & 7) != 0) {
      return CopyIn(out, src, sizeof(T));  // unaligned: the general routine
    }
    uint64_t words[6];
    int r = GetUserWords6(words, src);
    __builtin_memcpy(out, words, sizeof(T));
    return r == 0 ? mica::Status::kOk : mica::Status::kInvalidArgs;
  } else if constexpr (__is_trivially_copyable(T) && (sizeof(T) == 8 || sizeof(T) == 4)) {
    if (!arch::IsUserRange(src, sizeof(T))) {
      return mica::Status::kInvalidArgs;
    }
    // The routine stores straight into *out (any alignment: kernel memory
    // is Normal memory).
    int r;
    if constexpr (sizeof(T) == 8) {
      r = arm64_get_user64(src, reinterpret_cast<uint64_t*>(out));
    } else {
      r = arm64_get_user32(src, reinterpret_cast<uint32_t*>(out));
    }
    return r == 0 ? mica::Status::kOk : mica::Status::kInvalidArgs;
  } else {
    return CopyIn(out, src, sizeof(T));
  }
}

template <typename T>
inline mica::Status PutValue(uint64_t dst, const T& value) {
  if constexpr (__is_trivially_copyable(T) && (sizeof(T) == 8 || sizeof(T) == 4)) {
    if (!arch::IsUserRange(dst, sizeof(T))) {
      return mica::Status::kInvalidArgs;
    }
    int r;
    if constexpr (sizeof(T) == 8) {
      uint64_t v;
      __builtin_memcpy(&v, &value, sizeof(T));
      r = arm64_put_user64(dst, v);
    } else {
      uint32_t v;
      __builtin_memcpy(&v, &value, sizeof(T));
      r = arm64_put_user32(dst, v);
    }
    return r == 0 ? mica::Status::kOk : mica::Status::kInvalidArgs;
  } else {
    return CopyOut(dst, &value, sizeof(T));
  }
}

}  // namespace usercopy

template <typename T>
struct RemoveConst {
  using Type = T;
};
template <typename T>
struct RemoveConst<const T> {
  using Type = T;
};

// user_in_ptr<const T>: data the kernel reads.
template <typename T>
class user_in_ptr {
 public:
  using Value = typename RemoveConst<T>::Type;
  explicit user_in_ptr(uint64_t addr) : addr_(addr) {}
  bool is_null() const { return addr_ == 0; }
  uint64_t addr() const { return addr_; }
  mica::Status copy_from_user(Value* out) const { return usercopy::GetValue(out, addr_); }
  // `count` elements (overflow checked).
  mica::Status copy_array_from_user(Value* out, size_t count) const {
    if (count > SIZE_MAX / sizeof(Value)) {
      return mica::Status::kInvalidArgs;
    }
    return usercopy::CopyIn(out, addr_, count * sizeof(Value));
  }

 private:
  uint64_t addr_;
};

// Byte buffers are in_ptr<const void>.
template <>
class user_in_ptr<const void> {
 public:
  explicit user_in_ptr(uint64_t addr) : addr_(addr) {}
  bool is_null() const { return addr_ == 0; }
  uint64_t addr() const { return addr_; }
  mica::Status copy_from_user(void* out, size_t len) const {
    return usercopy::CopyIn(out, addr_, len);
  }
  // The buffer from `bytes` on (a copy in pieces).
  user_in_ptr byte_offset(size_t bytes) const { return user_in_ptr(addr_ + bytes); }

 private:
  uint64_t addr_;
};

// user_out_ptr<T>: data the kernel writes.
template <typename T>
class user_out_ptr {
 public:
  explicit user_out_ptr(uint64_t addr) : addr_(addr) {}
  bool is_null() const { return addr_ == 0; }
  uint64_t addr() const { return addr_; }
  mica::Status copy_to_user(const T& value) const { return usercopy::PutValue(addr_, value); }
  mica::Status copy_array_to_user(const T* values, size_t count) const {
    if (count > SIZE_MAX / sizeof(T)) {
      return mica::Status::kInvalidArgs;
    }
    return usercopy::CopyOut(addr_, values, count * sizeof(T));
  }

 private:
  uint64_t addr_;
};

template <>
class user_out_ptr<void> {
 public:
  explicit user_out_ptr(uint64_t addr) : addr_(addr) {}
  bool is_null() const { return addr_ == 0; }
  uint64_t addr() const { return addr_; }
  [[gnu::always_inline]] mica::Status copy_to_user(const void* data, size_t len) const {
    return usercopy::CopyOut(addr_, data, len);
  }
  // The buffer from `bytes` on (a copy in pieces).
  user_out_ptr byte_offset(size_t bytes) const { return user_out_ptr(addr_ + bytes); }

 private:
  uint64_t addr_;
};

// user_inout_ptr<T>: read, then written back.
template <typename T>
class user_inout_ptr {
 public:
  explicit user_inout_ptr(uint64_t addr) : addr_(addr) {}
  bool is_null() const { return addr_ == 0; }
  uint64_t addr() const { return addr_; }
  mica::Status copy_from_user(T* out) const { return usercopy::GetValue(out, addr_); }
  mica::Status copy_to_user(const T& value) const { return usercopy::PutValue(addr_, value); }

 private:
  uint64_t addr_;
};
