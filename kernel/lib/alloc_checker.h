// AllocChecker: the kernel's only way to allocate with `new` (as Zircon's
// fbl::AllocChecker). Every kernel allocation can fail, and a failure must be
// seen before the object is used:
//
//   mica::AllocChecker ac;
//   auto* ev = new (ac) EventDispatcher();
//   if (!ac.check()) {
//     return Status::kNoMemory;
//   }
//
// `operator new(size_t, AllocChecker&)` is noexcept, so the compiler checks
// the result for null before running the constructor (a throwing-style
// `new` lets it assume non-null and construct at address 0: R1's bug 1). The
// kernel defines no plain `operator new(size_t)` (kernel/base/memory.cc), so
// a `new T` without a checker fails to link.
//
// Tested on the host: kernel/lib/test/alloc_checker_test.cc.
//
// Contract: an armed checker (one a `new` went through) must be check()ed
// before it is destroyed or armed again; otherwise the kernel panics at
// once, on the first run of the faulty path whether or not the allocation
// failed, rather than on the rare day memory runs out.
#pragma once

#include <stddef.h>

#include <new>

#include "kernel/lib/assert.h"

namespace mica {

class AllocChecker {
 public:
  AllocChecker() = default;
  AllocChecker(const AllocChecker&) = delete;
  AllocChecker& operator=(const AllocChecker&) = delete;
  ~AllocChecker() { MICA_ASSERT_MSG(!armed_, "an allocation's result was never checked"); }

  // Records the outcome of one allocation (called by operator new).
  void Arm(bool ok) {
    MICA_ASSERT_MSG(!armed_, "an allocation's result was never checked");
    armed_ = true;
    ok_ = ok;
  }
  // True if the last allocation succeeded; disarms.
  [[nodiscard]] bool check() {
    armed_ = false;
    return ok_;
  }

 private:
  bool armed_ = false;
  bool ok_ = false;
};

}  // namespace mica

namespace mica {
// The memory behind `new (ac)`: the kernel heap (defined in
// kernel/base/memory.cc); a host test that uses AllocChecker defines its own.
void* AllocCheckerAllocate(size_t size) noexcept;
}  // namespace mica

// Inline, so the compiler sees the checker's whole life at each call site
// and keeps only the one null test (the contract checks fold away).
[[nodiscard]] inline void* operator new(size_t size, mica::AllocChecker& ac) noexcept {
  void* p = mica::AllocCheckerAllocate(size);
  ac.Arm(p != nullptr);
  return p;
}
[[nodiscard]] inline void* operator new[](size_t size, mica::AllocChecker& ac) noexcept {
  void* p = mica::AllocCheckerAllocate(size);
  ac.Arm(p != nullptr);
  return p;
}
