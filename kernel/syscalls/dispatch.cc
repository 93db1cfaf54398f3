// The syscall table that the SVC path of the EL0 exception vector
// (kernel/arch/arm64/vectors.S, el0_sync) indexes with x8.
#include "kernel/arch/arm64/arch.h"
#include "kernel/arch/arm64/include_asm.h"
#include "kernel/syscalls/sys_common.h"

// The entries are generated from system/public/syscalls.mica: one function
// per call that takes the argument registers x0..x7 as its arguments, checks
// its 32-bit arguments are zero-extended and calls the typed handler
// (sys_<name>). A handler returns a mica::Status; the entry's
// syscall_gen::ToAbi is the one place that turns it into the ABI's status.
#include "kernel/syscall_table.inc"

// Page-aligned, so that vectors.S addresses it with a single ADRP.
struct alignas(arch::kPageSize) SyscallTable {
  syscall_gen::Entry entry[SYSCALL_TABLE_SIZE];
};

namespace {

// Every slot that names no call holds BadSyscall, slot 0 included (numbers
// start at 1); vectors.S maps a number past the table to slot 0.
consteval SyscallTable MakeTable() {
  SyscallTable t{};
  for (syscall_gen::Entry& e : t.entry) {
    e = syscall_gen::BadSyscall;
  }
  syscall_gen::FillTable(t.entry);
  return t;
}

static_assert(syscall_gen::kLastNumber < SYSCALL_TABLE_SIZE,
              "raise SYSCALL_TABLE_SIZE (kernel/arch/arm64/include_asm.h)");

}  // namespace

extern "C" constinit const SyscallTable arm64_syscall_table = MakeTable();
