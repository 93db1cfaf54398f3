// The debug log handle any process may create, and system information.
#include <string.h>

#include "kernel/arch/arm64/timer.h"
#include "kernel/base/memory.h"
#include "kernel/base/percpu.h"
#include "kernel/object/debuglog.h"
#include "kernel/object/resource.h"
#include "kernel/syscalls/sys_common.h"

int64_t sys_debuglog_create(mica_handle_t resource, uint32_t options,
                            user_out_ptr<mica_handle_t> out) {
  if ((options & ~MICA_LOG_FLAG_READABLE) != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  bool root = false;
  if (resource != MICA_HANDLE_INVALID) {
    HandleEntry e;
    mica::Status s =
        Process::Current()->GetHandle(resource, MICA_OBJ_TYPE_RESOURCE, MICA_RIGHT_NONE, &e);
    if (s != mica::Status::kOk) {
      return Err(s);
    }
    root = static_cast<ResourceDispatcher*>(e.object.get())->is_root();
  }
  bool readable = (options & MICA_LOG_FLAG_READABLE) != 0;
  if (readable && !root) {
    return Err(mica::Status::kAccessDenied);  // reading the log needs the root resource
  }
  mica::AllocChecker ac_log;
  auto* log = new (ac_log) DebuglogDispatcher(readable);
  if (!ac_log.check()) {
    return Err(mica::Status::kNoMemory);
  }
  return Err(AddAndCopyOut(Process::Current(), mica::AdoptRef<Dispatcher>(log),
                           log->default_rights(), out));
}

int64_t sys_debuglog_read(mica_handle_t log, uint32_t options, user_out_ptr<void> record,
                          size_t record_size, user_out_ptr<size_t> actual) {
  HandleEntry e;
  mica::Status s = Process::Current()->GetHandle(log, MICA_OBJ_TYPE_DEBUGLOG, MICA_RIGHT_READ, &e);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  if (options != 0) {
    return Err(mica::Status::kInvalidArgs);
  }
  if (record_size < sizeof(mica_log_record_t)) {
    return Err(mica::Status::kBufferTooSmall);
  }
  mica_log_record_t r;
  DebuglogDispatcher::ReadUndo undo;
  auto* dl = static_cast<DebuglogDispatcher*>(e.object.get());
  s = dl->Read(&r, &undo);
  if (s != mica::Status::kOk) {
    return Err(s);
  }
  size_t bytes = sizeof(r) - MICA_LOG_MAX_DATA + r.data_size;
  s = record.copy_to_user(&r, bytes);
  if (s == mica::Status::kOk && !actual.is_null()) {
    s = actual.copy_to_user(bytes);
  }
  if (s != mica::Status::kOk) {
    dl->Unread(undo);  // the record stays the next one to read
  }
  return Err(s);
}

int64_t sys_system_get_info(uint32_t topic, user_out_ptr<void> buffer, size_t buffer_size) {
  if (topic != MICA_SYSTEM_INFO_BASIC) {
    return Err(mica::Status::kInvalidArgs);
  }
  if (buffer_size < sizeof(mica_system_info_basic_t)) {
    return Err(mica::Status::kBufferTooSmall);
  }
  mica_system_info_basic_t info = {};
  info.num_cpus = OnlineCpuCount();
  info.page_size = 4096;
  info.memory_bytes = kmem::GetStats().total_pages * 4096;
  info.ticks_per_second = timer::Frequency();
  strlcpy(info.version, "Mica 0.2 (M2 in progress)", sizeof(info.version));
  return Err(buffer.copy_to_user(&info, sizeof(info)));
}
