#include "kernel/top/crash.h"

#include <string.h>

#include "kernel/base/log.h"
#include "kernel/base/panic.h"
#include "kernel/lib/assert.h"
#include "kernel/sched/sched.h"

namespace {

volatile uintptr_t g_null_address = 0;
volatile int g_depth_limit = 1 << 30;

[[gnu::noinline]] void CrashNullWrite() {
  *reinterpret_cast<volatile int*>(g_null_address) = 1;
}

[[gnu::noinline]] int CrashRecurse(int depth) {
  volatile char frame[256];
  frame[0] = static_cast<char>(depth);
  if (depth >= g_depth_limit) {
    return frame[0];
  }
  return CrashRecurse(depth + 1) + frame[0];
}

void StackOverflowThread(void*) {
  CrashRecurse(0);
}

}  // namespace

void CrashForTest(const char* kind) {
  KLog("crash test: %s", kind);
  if (strcmp(kind, "null") == 0) {
    CrashNullWrite();
  } else if (strcmp(kind, "stack") == 0) {
    // On a fresh kernel thread: its stack has an unmapped guard below it.
    sched::Thread* t =
        sched::Create("overflow", StackOverflowThread, nullptr, sched::kPriorityDefault);
    if (t != nullptr) {
      sched::Start(t);
      (void)sched::Join(t, sched::kInfinite, nullptr);
    }
  } else if (strcmp(kind, "assert") == 0) {
    MICA_ASSERT(g_null_address != 0);
  } else if (strcmp(kind, "panic") == 0) {
    Panic("crash test requested on the command line");
  }
  KLog("crash test: unknown kind '%s' (null, stack, assert, panic)", kind);
}
