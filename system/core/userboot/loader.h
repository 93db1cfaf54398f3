// Loading an ELF program into a new process (docs/kernel.md, "Starting
// programs"): the user-space counterpart of what the kernel does for
// userboot itself, with syscalls only.
#ifndef SYSTEM_CORE_USERBOOT_LOADER_H_
#define SYSTEM_CORE_USERBOOT_LOADER_H_

#include <mica/cpp/handle.h>
#include <stddef.h>
#include <stdint.h>

namespace userboot {

// The main thread's stack when PT_GNU_STACK does not say (as the kernel's
// launcher).
inline constexpr uint64_t kDefaultStackSize = 256 * 1024;

struct Program {
  mica::Handle process;  // MICA_DEFAULT_PROCESS_RIGHTS
  mica::Handle vmar;     // its root VMAR
  mica::Handle thread;   // its first thread, not started
  uint64_t base = 0;     // the load base (x1 at entry)
  uint64_t entry = 0;
  uint64_t stack_top = 0;  // 16-byte aligned
};

// Checks the ELF image image[0, size) (system/ulib/elf), creates a process
// named `name` in `job` and lays the program out in it at a random address:
// its segments copied into a fresh VMO, relocated, and mapped each with its
// own permissions (the PT_GNU_RELRO pages read-only), and a stack VMO mapped
// with an unmapped guard page below it. Makes the first thread but does not
// start it. On failure returns false with a one-line reason in
// why[0, why_size); everything made so far is closed (the process never
// ran).
bool LoadProgram(mica_handle_t job, const char* name, const uint8_t* image, size_t size,
                 Program* out, char* why, size_t why_size);

}  // namespace userboot

#endif  // SYSTEM_CORE_USERBOOT_LOADER_H_
