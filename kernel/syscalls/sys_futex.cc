// Futexes.
#include "kernel/object/futex.h"
#include "kernel/syscalls/sys_common.h"

mica::Status sys_futex_wait(user_in_ptr<const mica_futex_t> value_ptr, int32_t current_value,
                            mica_time_t deadline) {
  return futex::Wait(Process::Current(), value_ptr, current_value, ToDeadline(deadline));
}

mica::Status sys_futex_wake(user_in_ptr<const mica_futex_t> value_ptr, uint32_t wake_count) {
  // The word is never read, but it must be a user address (ABI).
  if ((value_ptr.addr() & 3) != 0 || !arch::IsUserRange(value_ptr.addr(), 4)) {
    return mica::Status::kInvalidArgs;
  }
  futex::Wake(Process::Current(), value_ptr.addr(), wake_count);
  return mica::Status::kOk;
}

mica::Status sys_futex_requeue(user_in_ptr<const mica_futex_t> value_ptr, uint32_t wake_count,
                               int32_t current_value, user_in_ptr<const mica_futex_t> requeue_ptr,
                               uint32_t requeue_count) {
  return futex::Requeue(Process::Current(), value_ptr, current_value, wake_count, requeue_ptr,
                        requeue_count);
}
