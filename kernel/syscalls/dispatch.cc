#include "kernel/syscalls/dispatch.h"

#include "kernel/lib/status.h"

namespace syscall {

int64_t Dispatch(uint64_t number, const uint64_t* args) {
  (void)number;
  (void)args;
  return static_cast<int64_t>(mica::Status::kBadSyscall);
}

}  // namespace syscall
