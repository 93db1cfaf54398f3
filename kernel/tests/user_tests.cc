// In-kernel tests of user mode: EL0 entry, the syscall path, user faults
// killing only their process, and the user address space's permissions.
#include <mica/types.h>
#include <string.h>

#include "kernel/arch/arm64/timer.h"
#include "kernel/arch/arm64/user_page_table.h"
#include "kernel/base/memory.h"
#include "kernel/object/event.h"
#include "kernel/object/process.h"
#include "kernel/tests/ktest.h"

extern "C" const uint8_t ktest_user_blob[], ktest_user_blob_end[];

namespace {

constexpr uint64_t kCode = 0x400000;
constexpr uint64_t kData = 0x800000;
constexpr uint64_t kStack = 0xc00000;

// Runs the blob with `kind`; returns the process's exit code and the data
// page's first words.
bool RunBlob(ktest::Context* ctx, uint64_t kind, int64_t* code, uint64_t data[3]) {
  Process* p = Process::Create("ktest-user", /*auto_reap=*/false);
  if (!ctx->Check(p != nullptr, "Process::Create", __FILE__, __LINE__))
    return false;
  size_t len = static_cast<size_t>(ktest_user_blob_end - ktest_user_blob);
  bool ok =
      p->MapNewPages(kCode, 1, arch::kPermRead | arch::kPermWrite) == mica::Status::kOk &&
      p->WriteMemory(kCode, ktest_user_blob, len) == mica::Status::kOk &&
      p->aspace().Protect(kCode, 1, arch::kPermRead | arch::kPermExecute) == mica::Status::kOk &&
      p->MapNewPages(kData, 1, arch::kPermRead | arch::kPermWrite) == mica::Status::kOk &&
      p->MapNewPages(kStack, 4, arch::kPermRead | arch::kPermWrite) == mica::Status::kOk &&
      p->StartThread("blob", kCode, kStack + 4 * arch::kPageSize, kind, kData) == mica::Status::kOk;
  if (!ctx->Check(ok, "setting up the user process", __FILE__, __LINE__)) {
    delete p;
    return false;
  }
  if (kind == 5) {
    // The spinning variant: wait until it runs, then kill it from here.
    uint64_t spins = 0;
    for (int i = 0; i < 2000 && spins == 0; i++) {
      sched::Sleep(1'000'000);
      (void)p->ReadMemory(kData + 16, &spins, sizeof(spins));
    }
    ctx->Check(spins != 0, "the user thread runs", __FILE__, __LINE__);
    p->Kill(-7);
  }
  mica::Status s = p->WaitForExit(sched::kInfinite, code);
  (void)p->ReadMemory(kData, data, 3 * sizeof(uint64_t));
  delete p;
  return ctx->Check(s == mica::Status::kOk, "WaitForExit", __FILE__, __LINE__);
}

}  // namespace

// Every kind of fatal user fault kills the process (MICA_TASK_RETCODE_FAULT)
// and the
// kernel carries on; the syscall before it got MICA_ERR_BAD_SYSCALL.
KTEST(user_faults_kill_only_the_process) {
  for (uint64_t kind = 0; kind <= 4; kind++) {
    int64_t code = 0;
    uint64_t data[3] = {};
    if (!RunBlob(ctx, kind, &code, data))
      return;
    KEXPECT_EQ(code, static_cast<uint64_t>(MICA_TASK_RETCODE_FAULT));
    KEXPECT_EQ(data[0], static_cast<uint64_t>(static_cast<int64_t>(mica::Status::kBadSyscall)));
    KEXPECT_EQ(data[1], 0x600du);
  }
}

// A process busy in user mode is killed by another thread: it dies at its
// next entry to the kernel (here the timer interrupt).
KTEST(user_busy_process_can_be_killed) {
  int64_t code = 0;
  uint64_t data[3] = {};
  if (!RunBlob(ctx, 5, &code, data))
    return;
  KEXPECT_EQ(code, static_cast<uint64_t>(-7));
  KEXPECT(data[2] != 0);
}

// Creating and destroying processes returns every page and ASID.
KTEST(user_process_churn_returns_memory) {
  int64_t code;
  uint64_t data[3];
  RunBlob(ctx, 0, &code, data);  // warm up allocator caches
  kmem::Stats before = kmem::GetStats();
  size_t asids = arch::AsidsInUse();
  for (int i = 0; i < 10; i++) {
    if (!RunBlob(ctx, i % 5, &code, data))
      return;
  }
  kmem::Stats after = kmem::GetStats();
  KEXPECT_EQ(arch::AsidsInUse(), asids);
  KEXPECT_EQ(after.free_pages + after.heap_pages, before.free_pages + before.heap_pages);
}

KTEST(user_page_table_rejects_bad_requests) {
  arch::UserPageTable pt;
  KEXPECT(pt.Init() == mica::Status::kOk);
  uint64_t pa;
  KEXPECT(kmem::AllocPage(&pa));
  // W^X, unaligned, kernel-half, page 0 and overflowing ranges are refused.
  KEXPECT(pt.Map(0x400000, &pa, 1, arch::kPermRead | arch::kPermWrite | arch::kPermExecute) ==
          mica::Status::kInvalidArgs);
  KEXPECT(pt.Map(0x400010, &pa, 1, arch::kPermRead) == mica::Status::kInvalidArgs);
  KEXPECT(pt.Map(0xffffffffc0000000ull, &pa, 1, arch::kPermRead) == mica::Status::kInvalidArgs);
  KEXPECT(pt.Map(0, &pa, 1, arch::kPermRead) == mica::Status::kInvalidArgs);
  KEXPECT(pt.Map(arch::kUserTop - arch::kPageSize, &pa, 2, arch::kPermRead) ==
          mica::Status::kInvalidArgs);
  KEXPECT(pt.Map(0x400000, &pa, 1, arch::kPermRead) == mica::Status::kOk);
  KEXPECT(pt.Map(0x400000, &pa, 1, arch::kPermRead) == mica::Status::kAlreadyExists);
  uint64_t got;
  uint32_t perms;
  KEXPECT(pt.Query(0x400123, &got, &perms));
  KEXPECT_EQ(got, pa + 0x123);
  KEXPECT_EQ(perms, arch::kPermRead);
  KEXPECT_EQ(pt.Unmap(0x400000, 1), 1u);
  KEXPECT(!pt.Query(0x400000, &got, &perms));
  kmem::FreePage(pa);
}

// A process's handle table lock is held with interrupts off: a thread that
// held it with interrupts on could be preempted, and another thread on the
// same CPU would then spin on it until the holder ran again (found by
// bin/syscall-fuzz as "acquiring a SpinLock this CPU already holds").
KTEST(handle_table_lock_holds_off_preemption) {
  Process* p = Process::Create("ktest-handles", /*auto_reap=*/false);
  KEXPECT(p != nullptr);
  if (p == nullptr) {
    return;
  }
  mica::AllocChecker ac;
  auto* ev = new (ac) EventDispatcher();
  KEXPECT(ac.check());
  if (ev != nullptr) {
    mica_handle_t h = MICA_HANDLE_INVALID;
    KEXPECT(p->AddHandle(mica::AdoptRef<Dispatcher>(ev), MICA_DEFAULT_EVENT_RIGHTS, &h) ==
            mica::Status::kOk);
    bool irqs_off_inside = false;
    int visited = 0;
    p->handles().ForEach([&](uint32_t, const HandleEntry&) {
      irqs_off_inside = arch::IrqsDisabled();
      visited++;
      return true;
    });
    KEXPECT_EQ(visited, 1);
    KEXPECT(irqs_off_inside);
    KEXPECT(!arch::IrqsDisabled());
    KEXPECT(p->CloseHandle(h) == mica::Status::kOk);
  }
  delete p;
}
