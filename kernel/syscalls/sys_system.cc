// The debug log handle any process may create, and system information.
#include <string.h>

#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/timer.h"
#include "kernel/base/memory.h"
#include "kernel/base/percpu.h"
#include "kernel/object/debuglog.h"
#include "kernel/object/resource.h"
#include "kernel/syscalls/sys_common.h"

mica::Status sys_debuglog_create(mica_handle_t resource, uint32_t options,
                                 user_out_ptr<mica_handle_t> out) {
  if ((options & ~MICA_LOG_FLAG_READABLE) != 0) {
    return mica::Status::kInvalidArgs;
  }
  bool root = false;
  if (resource != MICA_HANDLE_INVALID) {
    mica::RefPtr<ResourceDispatcher> r =
        TRY(Process::Current()->GetObject<ResourceDispatcher>(resource, MICA_RIGHT_NONE));
    root = r->is_root();
  }
  bool readable = (options & MICA_LOG_FLAG_READABLE) != 0;
  if (readable && !root) {
    return mica::Status::kAccessDenied;  // reading the log needs the root resource
  }
  mica::AllocChecker ac_log;
  auto* log = new (ac_log) DebuglogDispatcher(readable);
  if (!ac_log.check()) {
    return mica::Status::kNoMemory;
  }
  return AddAndCopyOut(Process::Current(), mica::AdoptRef<Dispatcher>(log), log->default_rights(),
                       out);
}

mica::Status sys_debuglog_read(mica_handle_t log, uint32_t options, user_out_ptr<void> record,
                               size_t record_size, user_out_ptr<size_t> actual) {
  mica::RefPtr<DebuglogDispatcher> dl =
      TRY(Process::Current()->GetObject<DebuglogDispatcher>(log, MICA_RIGHT_READ));
  if (options != 0) {
    return mica::Status::kInvalidArgs;
  }
  if (record_size < sizeof(mica_log_record_t)) {
    return mica::Status::kBufferTooSmall;
  }
  mica_log_record_t r;
  DebuglogDispatcher::ReadUndo undo;
  TRY(dl->Read(&r, &undo));
  size_t bytes = sizeof(r) - MICA_LOG_MAX_DATA + r.data_size;
  mica::Status s = record.copy_to_user(&r, bytes);
  if (s == mica::Status::kOk && !actual.is_null()) {
    s = actual.copy_to_user(bytes);
  }
  if (s != mica::Status::kOk) {
    dl->Unread(undo);  // the record stays the next one to read
  }
  return s;
}

mica::Status sys_system_get_info(uint32_t topic, user_out_ptr<void> buffer, size_t buffer_size) {
  if (topic != MICA_SYSTEM_INFO_BASIC) {
    return mica::Status::kInvalidArgs;
  }
  if (buffer_size < sizeof(mica_system_info_basic_t)) {
    return mica::Status::kBufferTooSmall;
  }
  mica_system_info_basic_t info = {};
  info.num_cpus = OnlineCpuCount();
  info.page_size = arch::kPageSize;
  info.memory_bytes = kmem::GetStats().total_pages * arch::kPageSize;
  info.ticks_per_second = timer::Frequency();
  strlcpy(info.version, "Mica 0.2 (M2 in progress)", sizeof(info.version));
  return buffer.copy_to_user(&info, sizeof(info));
}
