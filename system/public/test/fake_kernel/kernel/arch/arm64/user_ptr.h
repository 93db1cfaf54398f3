// Host-test stand-in for the kernel's kernel/arch/arm64/user_ptr.h: the same
// three class templates with the constructor and accessor that the
// generated dispatch code (kernel/syscall_table.inc) relies on, without the
// kernel's fault-safe copy routines. The test's include path puts this
// directory ahead of the repository root.
#pragma once

#include <stdint.h>

template <typename T>
class user_in_ptr {
 public:
  explicit user_in_ptr(uint64_t addr) : addr_(addr) {}
  uint64_t addr() const { return addr_; }

 private:
  uint64_t addr_;
};

template <typename T>
class user_out_ptr {
 public:
  explicit user_out_ptr(uint64_t addr) : addr_(addr) {}
  uint64_t addr() const { return addr_; }

 private:
  uint64_t addr_;
};

template <typename T>
class user_inout_ptr {
 public:
  explicit user_inout_ptr(uint64_t addr) : addr_(addr) {}
  uint64_t addr() const { return addr_; }

 private:
  uint64_t addr_;
};
