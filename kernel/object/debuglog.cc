#include "kernel/object/debuglog.h"

#include "kernel/base/log.h"
#include "kernel/lib/assert.h"
#include "kernel/lib/result.h"
#include "kernel/object/process.h"
#include "kernel/sched/sched.h"

namespace {

// Readable logs, to raise READABLE when a record is written.
IrqSpinLock g_readers_lock ACQUIRED_BEFORE(sched::g_sched_lock);  // and Dispatcher::lock_
mica::List<DebuglogDispatcher, &DebuglogDispatcher::reader_node> g_readers
    GUARDED_BY(g_readers_lock);

// The console log, if one exists, and the kernel thread that raises its
// READABLE for kernel lines. A kernel line is logged from any context (IRQ
// handlers, the scheduler lock held), where no signal can be raised, so
// while the console is taken the notifier looks every kConsolePollNs and
// raises READABLE if records wait; debuglog_write records raise it at once
// as for every reader. Without a console log the notifier sleeps.
DebuglogDispatcher* g_console_log GUARDED_BY(g_readers_lock);
mica::Atomic<bool> g_console_taken{false};
sched::WaitQueue g_console_wait;
constexpr uint64_t kConsolePollNs = 10'000'000;

void ConsoleNotifierMain(void*) {
  for (;;) {
    if (!g_console_taken.load(mica::kAcquire)) {
      (void)g_console_wait.BlockWhile(
          [](const void*) { return !g_console_taken.load(mica::kAcquire); }, nullptr,
          sched::kInfinite);
      continue;
    }
    sched::Sleep(kConsolePollNs);
    IrqGuard g(g_readers_lock);
    if (g_console_log != nullptr) {
      g_console_log->UpdateReadable();
    }
  }
}

}  // namespace

void DebuglogDispatcher::StartConsoleNotifier() {
  sched::Thread* t =
      sched::Create("console-notify", ConsoleNotifierMain, nullptr, sched::kPriorityDefault);
  MICA_ASSERT_MSG(t != nullptr, "cannot start the console notifier");
  sched::Detach(t);
  sched::Start(t);
}

DebuglogDispatcher::DebuglogDispatcher(bool readable)
    : Dispatcher(MICA_OBJ_TYPE_DEBUGLOG, MICA_SIGNAL_WRITABLE), readable_(readable) {
  if (readable_) {
    IrqGuard g(g_readers_lock);
    g_readers.push_back(this);
    UpdateReadable();
  }
}

DebuglogDispatcher::~DebuglogDispatcher() {
  if (readable_) {
    IrqGuard g(g_readers_lock);
    g_readers.remove(this);
    if (g_console_log == this) {
      g_console_log = nullptr;
      g_console_taken.store(false, mica::kRelease);
    }
  }
  if (console_) {
    LogReturnConsole(koid());
  }
}

void DebuglogDispatcher::UpdateReadable() {
  uint64_t cursor;
  {
    IrqGuard g(lock_);
    cursor = cursor_;
  }
  // Records only ever get added, so a stale "readable" is corrected by the
  // next Read, and a write after this check raises the signal again.
  if (cursor < LogNextRecord()) {
    UpdateSignals(0, MICA_SIGNAL_READABLE);
  } else {
    UpdateSignals(MICA_SIGNAL_READABLE, 0);
    if (cursor < LogNextRecord()) {
      UpdateSignals(0, MICA_SIGNAL_READABLE);
    }
  }
}

void DebuglogDispatcher::Write(const char* who, uint64_t koid, const char* data, size_t len) {
  // One record and one log line per text line, without the trailing newline.
  while (len > 0) {
    size_t n = 0;
    while (n < len && n < kMaxRecord && data[n] != '\n') {
      n++;
    }
    KLogRecord(koid, data, n, "%s(%llu): %.*s", who, static_cast<unsigned long long>(koid),
               static_cast<int>(n), data);
    if (n < len && data[n] == '\n') {
      n++;
    }
    data += n;
    len -= n;
  }
  IrqGuard g(g_readers_lock);
  for (DebuglogDispatcher& reader : g_readers) {
    reader.UpdateSignals(0, MICA_SIGNAL_READABLE);
  }
}

mica::Status DebuglogDispatcher::TakeConsole() {
  MICA_ASSERT(readable_);
  uint64_t first = 0;
  TRY(LogTakeConsole(koid(), &first));
  console_ = true;
  {
    IrqGuard g(lock_);
    cursor_ = first;
  }
  UpdateReadable();
  {
    IrqGuard g(g_readers_lock);
    g_console_log = this;
    g_console_taken.store(true, mica::kRelease);
  }
  g_console_wait.WakeAll();
  return mica::Status::kOk;
}

mica::Status DebuglogDispatcher::Read(mica_log_record_t* out, ReadUndo* undo) {
  bool got;
  {
    IrqGuard g(lock_);
    undo->before = cursor_;
    got = LogReadRecord(&cursor_, out);
    undo->after = cursor_;
    if (console_) {
      LogConsoleOwnerRead(koid(), cursor_);
    }
  }
  UpdateReadable();
  return got ? mica::Status::kOk : mica::Status::kShouldWait;
}

mica::Status DebuglogDispatcher::ReadLine(mica_log_record_t* out, char* line, size_t cap,
                                          size_t* len, ReadUndo* undo) {
  bool got;
  {
    IrqGuard g(lock_);
    undo->before = cursor_;
    got = LogReadLine(&cursor_, out, line, cap, len);
    undo->after = cursor_;
    if (console_) {
      LogConsoleOwnerRead(koid(), cursor_, true);
    }
  }
  UpdateReadable();
  return got ? mica::Status::kOk : mica::Status::kShouldWait;
}

void DebuglogDispatcher::Unread(const ReadUndo& undo) {
  {
    IrqGuard g(lock_);
    if (cursor_ != undo.after) {
      return;  // another read through this log moved on meanwhile
    }
    cursor_ = undo.before;
    if (console_) {
      LogConsoleOwnerRead(koid(), cursor_);
    }
  }
  UpdateReadable();
}
