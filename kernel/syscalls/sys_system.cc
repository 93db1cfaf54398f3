// The debug log handle any process may create (and the console's), system
// information and system power.
#include <string.h>

#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/pmu.h"
#include "kernel/arch/arm64/smp.h"
#include "kernel/arch/arm64/timer.h"
#include "kernel/base/log.h"
#include "kernel/base/memory.h"
#include "kernel/base/panic.h"
#include "kernel/base/percpu.h"
#include "kernel/object/debuglog.h"
#include "kernel/object/resource.h"
#include "kernel/syscalls/sys_common.h"

// debuglog_create: READABLE needs the root resource with INSPECT (reading
// the log inspects the kernel); CONSOLE (with READABLE) the root or a
// SYSTEM resource covering MICA_RSRC_SYSTEM_CONSOLE.
mica::Status sys_debuglog_create(mica_handle_t resource, uint32_t options,
                                 user_out_ptr<mica_handle_t> out) {
  if ((options & ~(MICA_LOG_FLAG_READABLE | MICA_LOG_FLAG_CONSOLE)) != 0) {
    return mica::Status::kInvalidArgs;
  }
  bool readable = (options & MICA_LOG_FLAG_READABLE) != 0;
  bool console = (options & MICA_LOG_FLAG_CONSOLE) != 0;
  if (console && !readable) {
    return mica::Status::kInvalidArgs;
  }
  bool root = false;
  bool console_cap = false;
  if (resource != MICA_HANDLE_INVALID) {
    mica_rights_t rights = MICA_RIGHT_NONE;
    mica::RefPtr<ResourceDispatcher> r =
        TRY(Process::Current()->GetObject<ResourceDispatcher>(resource, MICA_RIGHT_NONE, &rights));
    root = r->is_root() && (rights & MICA_RIGHT_INSPECT) != 0;
    console_cap = r->CoversSystem(MICA_RSRC_SYSTEM_CONSOLE);
  }
  if (console ? !console_cap : (readable && !root)) {
    return mica::Status::kAccessDenied;  // reading the log needs the root resource, INSPECT
  }
  mica::AllocChecker ac_log;
  auto* log = new (ac_log) DebuglogDispatcher(readable);
  if (!ac_log.check()) {
    return mica::Status::kNoMemory;
  }
  mica::RefPtr<Dispatcher> ref = mica::AdoptRef<Dispatcher>(log);
  if (console) {
    TRY(log->TakeConsole());
  }
  return AddAndCopyOut(Process::Current(), mica::Move(ref), log->default_rights(), out);
}

mica::Status sys_debuglog_read(mica_handle_t log, uint32_t options, user_out_ptr<void> record,
                               size_t record_size, user_out_ptr<size_t> actual) {
  mica::RefPtr<DebuglogDispatcher> dl =
      TRY(Process::Current()->GetObject<DebuglogDispatcher>(log, MICA_RIGHT_READ));
  if ((options & ~MICA_LOG_READ_LINE) != 0) {
    return mica::Status::kInvalidArgs;
  }
  if (record_size < sizeof(mica_log_record_t)) {
    return mica::Status::kBufferTooSmall;
  }
  constexpr size_t kHeader = sizeof(mica_log_record_t) - MICA_LOG_MAX_DATA;
  mica_log_record_t r;
  DebuglogDispatcher::ReadUndo undo;
  size_t bytes;
  mica::Status s;
  if ((options & MICA_LOG_READ_LINE) != 0) {
    char line[kLogLineMax];
    size_t cap = record_size - kHeader < sizeof(line) ? record_size - kHeader : sizeof(line);
    size_t len = 0;
    TRY(dl->ReadLine(&r, line, cap, &len, &undo));
    r.data_size = static_cast<uint16_t>(len);
    bytes = kHeader + len;
    s = record.copy_to_user(&r, kHeader);
    if (s == mica::Status::kOk && len > 0) {
      s = record.byte_offset(kHeader).copy_to_user(line, len);
    }
  } else {
    TRY(dl->Read(&r, &undo));
    bytes = kHeader + r.data_size;
    s = record.copy_to_user(&r, bytes);
  }
  if (s == mica::Status::kOk && !actual.is_null()) {
    s = actual.copy_to_user(bytes);
  }
  if (s != mica::Status::kOk) {
    dl->Unread(undo);  // the record stays the next one to read
  }
  return s;
}

mica::Status sys_system_get_info(uint32_t topic, user_out_ptr<void> buffer, size_t buffer_size) {
  if (topic == MICA_SYSTEM_INFO_INSTRUCTIONS) {
    if (buffer_size < sizeof(mica_system_info_instructions_t)) {
      return mica::Status::kBufferTooSmall;
    }
    if (!pmu::Supported()) {
      return mica::Status::kNotSupported;
    }
    mica_system_info_instructions_t info = {};
    info.retired = pmu::ReadInstructions();
    info.cpu = CurrentCpu();
    return buffer.copy_to_user(&info, sizeof(info));
  }
  if (topic == MICA_SYSTEM_INFO_CONSOLE) {
    if (buffer_size < sizeof(mica_system_info_console_t)) {
      return mica::Status::kBufferTooSmall;
    }
    mica_system_info_console_t info = LogConsoleInfo();
    return buffer.copy_to_user(&info, sizeof(info));
  }
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

// system_power, in order: (1) the resource grants MICA_RSRC_SYSTEM_POWER,
// (2) the action is known, (3) the machine has PSCI; nothing has changed
// if any of them fails. Then (4) the log line, (5) the console back from a
// console driver and drained, (6) the other CPUs stopped and PSCI called
// (smp::SystemPower). A PSCI call that returns is a firmware failure with
// every other CPU stopped: the kernel panics.
mica::Status sys_system_power(mica_handle_t resource, uint32_t action) {
  Process* p = Process::Current();
  mica::RefPtr<ResourceDispatcher> r =
      TRY(p->GetObject<ResourceDispatcher>(resource, MICA_RIGHT_MANAGE_RESOURCE));
  if (!r->CoversSystem(MICA_RSRC_SYSTEM_POWER)) {
    return mica::Status::kAccessDenied;
  }
  if (action != MICA_SYSTEM_POWER_OFF && action != MICA_SYSTEM_POWER_REBOOT) {
    return mica::Status::kInvalidArgs;
  }
  if (!smp::PsciSystemPower()) {
    return mica::Status::kNotSupported;
  }
  bool reset = action == MICA_SYSTEM_POWER_REBOOT;
  LogReturnConsole(0);
  KLog("mica: %s requested by %s(%llu)", reset ? "reboot" : "power off", p->name(),
       static_cast<unsigned long long>(p->koid()));
  LogDrainConsole();
  int64_t err = smp::SystemPower(reset);
  Panic("PSCI %s failed: %lld", reset ? "SYSTEM_RESET" : "SYSTEM_OFF", static_cast<long long>(err));
}
