// Virtual memory address regions. Today every process has one: its root
// VMAR, the whole user half of the address space; mappings of VMOs live in
// the process (Process::MapVmo). Sub-regions (vmar_allocate) come later.
#pragma once

#include "kernel/object/dispatcher.h"

class Process;

class VmarDispatcher final : public Dispatcher {
 public:
  explicit VmarDispatcher(Process* process, uint64_t base, uint64_t size)
      : Dispatcher(MICA_OBJ_TYPE_VMAR, 0), process_(process), base_(base), size_(size) {}
  mica_rights_t default_rights() const override { return MICA_DEFAULT_VMAR_RIGHTS; }

  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }
  // Runs `fn(Process*)` with the owning process, or returns kBadState if the
  // process is gone (a VMAR handle may outlive it in another process).
  template <typename Fn>
  mica::Status WithProcess(Fn&& fn) {
    IrqGuard g(vmar_lock_);
    if (process_ == nullptr) {
      return mica::Status::kBadState;
    }
    return fn(process_);
  }
  // The process is going away.
  void Detach() {
    IrqGuard g(vmar_lock_);
    process_ = nullptr;
  }

 private:
  IrqSpinLock vmar_lock_;
  Process* process_ GUARDED_BY(vmar_lock_);
  const uint64_t base_;
  const uint64_t size_;
};
