// Loading an ELF program into a new process (docs/kernel.md, "Starting
// programs"): the user-space counterpart of what the kernel does for
// userboot itself, with syscalls only.
#pragma once

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
  bool cloned = false;     // the segments are a clone of the file (LoadProgram's `from`)
};

// Where the image is also found as VMO bytes: vmo[offset, offset + size)
// holds the same bytes as image[0, size) (the bootfs file the image is
// mapped from); `offset` page aligned. The VMO needs MICA_RIGHT_DUPLICATE
// and MICA_RIGHT_READ (vmo_create_child).
struct ImageVmo {
  mica_handle_t vmo = MICA_HANDLE_INVALID;  // not consumed
  uint64_t offset = 0;
};

// Checks the ELF image image[0, size) (system/ulib/elf), creates a process
// named `name` in `job` and lays the program out in it at a random address:
// its segments in one VMO, relocated, and mapped each with its own
// permissions (the PT_GNU_RELRO pages read-only), and a stack VMO mapped
// with an unmapped guard page below it. Makes the first thread but does not
// start it. On failure returns false with a one-line reason in
// why[0, why_size); everything made so far is closed (the process never
// ran).
//
// With `from`, and when every segment's file bytes lie the same page
// multiple after its place in memory (as ld.lld lays out static PIEs), the
// segments' VMO is a copy-on-write clone of the file's pages in from->vmo,
// grown with zero pages: nothing is copied, pages nobody writes stay shared
// with the file, and only the pages relocation or zeroing writes (the
// .data/.got pages, the page where .bss starts) get copies of their own.
// The bytes of a segment's pages outside its file bytes read zero either
// way. Without `from` (or with another layout) the file bytes are copied
// into a fresh VMO.
bool LoadProgram(mica_handle_t job, const char* name, const uint8_t* image, size_t size,
                 Program* out, char* why, size_t why_size, const ImageVmo* from = nullptr);

}  // namespace userboot
