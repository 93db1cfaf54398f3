// See loader.h. The address space of the new process is empty until this
// runs and nothing else maps into it, so choosing a range and then mapping
// into it is race-free.
#include "system/core/userboot/loader.h"

#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include <mica/rt/runtime.h>

#include "system/ulib/elf/elf.h"

namespace userboot {
namespace {

constexpr uint64_t kPage = MICA_PAGE_SIZE;

uint64_t PageRound(uint64_t n) {
  return (n + kPage - 1) & ~(kPage - 1);
}

uint32_t MapOptions(uint32_t flags) {
  uint32_t o = 0;
  if (flags & elf::kRead)
    o |= MICA_VM_PERM_READ;
  if (flags & elf::kWrite)
    o |= MICA_VM_PERM_READ | MICA_VM_PERM_WRITE;
  if (flags & elf::kExecute)
    o |= MICA_VM_PERM_READ | MICA_VM_PERM_EXECUTE;
  return o;
}

// Says why, formatted, and fails.
bool Fail(char* why, size_t why_size, const char* what, mica_status_t s) {
  snprintf(why, why_size, "%s failed (status %d)", what, static_cast<int>(s));
  return false;
}

// The address of offset 0 in `vmar`: the ABI places a MICA_VM_SPECIFIC
// mapping at the VMAR's base + offset.
mica_status_t VmarBase(mica_handle_t vmar, uint64_t* base) {
  mica_info_vmar_t info = {};
  mica_status_t s =
      mica_object_get_info(vmar, MICA_INFO_VMAR, &info, sizeof(info), nullptr, nullptr);
  *base = info.base;
  return s;
}

// Maps span[offset, offset + len) of `vmo` at base + offset in the child.
// With p->base still 0, the piece (the span's first: offset 0) goes to a
// random address, which becomes the base.
mica_status_t MapPiece(Program* p, uint64_t vmar_base, mica_handle_t vmo, uint64_t offset,
                       uint64_t len, uint32_t options) {
  if (len == 0) {
    return MICA_OK;
  }
  mica_vaddr_t addr = 0;
  if (p->base == 0) {
    mica_status_t s = offset == 0 ? mica_vmar_map(p->vmar.get(), options, 0, vmo, 0, len, &addr)
                                  : MICA_ERR_INTERNAL;
    p->base = addr;
    return s;
  }
  return mica_vmar_map(p->vmar.get(), options | MICA_VM_SPECIFIC, p->base + offset - vmar_base, vmo,
                       offset, len, &addr);
}

// Maps every segment; a writable one is cut around the RELRO pages, which
// are mapped read-only (relocation is done by then, or before the program
// runs). The segments are in ascending order and the first starts at span
// offset 0, so with p->base 0 the first piece chooses the load address.
mica_status_t MapSegments(const elf::Plan& plan, Program* p, uint64_t vmar_base,
                          mica_handle_t vmo) {
  for (uint32_t i = 0; i < plan.segment_count; i++) {
    const elf::Segment& seg = plan.segments[i];
    uint32_t options = MapOptions(seg.flags);
    uint64_t start = seg.page_offset, end = seg.page_offset + seg.page_size;
    uint64_t relro_start = plan.relro_offset, relro_end = plan.relro_offset + plan.relro_size;
    mica_status_t s;
    if (plan.relro_size != 0 && relro_start >= start && relro_end <= end) {
      s = MapPiece(p, vmar_base, vmo, start, relro_start - start, options);
      if (s == MICA_OK) {
        s = MapPiece(p, vmar_base, vmo, relro_start, plan.relro_size, MICA_VM_PERM_READ);
      }
      if (s == MICA_OK) {
        s = MapPiece(p, vmar_base, vmo, relro_end, end - relro_end, options);
      }
    } else {
      s = MapPiece(p, vmar_base, vmo, start, end - start, options);
    }
    if (s != MICA_OK) {
      return s;
    }
  }
  return MICA_OK;
}

// Whether every segment's file bytes lie the same distance (*delta, a page
// multiple) after its place in the span, so that the span is the file
// itself from that offset on (ld.lld lays out static PIEs so, with 0). Sets
// *file_end to the page-rounded end of the last file byte, as a span offset.
bool FileLayoutMatches(const elf::Plan& plan, uint64_t* delta, uint64_t* file_end) {
  bool any = false;
  uint64_t d = 0, end = 0;
  for (uint32_t i = 0; i < plan.segment_count; i++) {
    const elf::Segment& seg = plan.segments[i];
    if (seg.file_size == 0) {
      continue;  // all zeros: nothing from the file
    }
    if (seg.file_offset < seg.vaddr_offset || (any && seg.file_offset - seg.vaddr_offset != d)) {
      return false;
    }
    d = seg.file_offset - seg.vaddr_offset;
    any = true;
    uint64_t e = PageRound(seg.vaddr_offset + seg.file_size);
    end = e > end ? e : end;
  }
  *delta = d;
  *file_end = end;
  return any && d % kPage == 0;
}

// Whether bytes[0, n) are all zero.
bool AllZero(const uint8_t* bytes, uint64_t n) {
  uint64_t i = 0;
  for (; i < n && (reinterpret_cast<uintptr_t>(bytes + i) & 7) != 0; i++) {
    if (bytes[i] != 0) {
      return false;
    }
  }
  for (; i + 32 <= n; i += 32) {
    const auto* w = reinterpret_cast<const uint64_t*>(bytes + i);
    if ((w[0] | w[1] | w[2] | w[3]) != 0) {
      return false;
    }
  }
  for (; i + 8 <= n; i += 8) {
    if (*reinterpret_cast<const uint64_t*>(bytes + i) != 0) {
      return false;
    }
  }
  for (; i < n; i++) {
    if (bytes[i] != 0) {
      return false;
    }
  }
  return true;
}

// Zeroes span[start, end) (clipped to the file's pages, past which the VMO
// is fresh zero pages) unless it already is zero: a write copies the page.
// `file` is our view of the same bytes in the image while inside it.
void ZeroSpan(uint8_t* span, uint64_t start, uint64_t end, uint64_t file_end, const uint8_t* image,
              size_t size, uint64_t delta) {
  end = end < file_end ? end : file_end;
  if (start >= end) {
    return;
  }
  const uint8_t* now = start + delta <= size && end - start <= size - (start + delta)
                           ? image + start + delta
                           : span + start;
  if (!AllZero(now, end - start)) {
    memset(span + start, 0, end - start);
  }
}

// Lays the segments out in the span VMO, through a temporary mapping of
// our own, and relocates them for `base` there. With the file's layout
// (`mapped`), the VMO already shows the file: only the bytes of each
// segment's pages that are not its file bytes need zeroing (the segment's
// .bss, and whatever else of the file shares its first and last page).
// Otherwise the file bytes are copied into the fresh (zero) VMO.
bool FillImage(const elf::Plan& plan, const uint8_t* image, size_t size, mica_handle_t vmo,
               uint64_t base, bool mapped, uint64_t delta, uint64_t file_end, char* why,
               size_t why_size) {
  mica_vaddr_t local = 0;
  mica_status_t s = mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0,
                                  vmo, 0, plan.span_size, &local);
  if (s != MICA_OK) {
    return Fail(why, why_size, "mapping the image", s);
  }
  auto* span = reinterpret_cast<uint8_t*>(local);
  for (uint32_t i = 0; i < plan.segment_count; i++) {
    const elf::Segment& seg = plan.segments[i];
    if (mapped) {
      ZeroSpan(span, seg.page_offset, seg.vaddr_offset, file_end, image, size, delta);
      ZeroSpan(span, seg.vaddr_offset + seg.file_size, seg.page_offset + seg.page_size, file_end,
               image, size, delta);
    } else {
      memcpy(span + seg.vaddr_offset, image + seg.file_offset, seg.file_size);
    }
  }
  elf::Error err;
  bool ok = elf::ApplyRelocations(plan, span, plan.span_size, base, &err) == elf::Status::kOk;
  if (!ok) {
    elf::FormatError(err, why, why_size);
  }
  (void)mica_vmar_unmap(mica_rt_vmar_root(), local, plan.span_size);
  return ok;
}

// The VMO for the span, `range_size` bytes: a copy-on-write clone of the
// file when `from` holds it and its layout allows (*mapped), else a fresh
// one to copy the file into.
mica_status_t MakeImageVmo(const elf::Plan& plan, const ImageVmo* from, uint64_t range_size,
                           mica::Handle* vmo, bool* mapped, uint64_t* delta, uint64_t* file_end) {
  *mapped = from != nullptr && from->vmo != MICA_HANDLE_INVALID && from->offset % kPage == 0 &&
            FileLayoutMatches(plan, delta, file_end);
  if (!*mapped) {
    return mica_vmo_create(range_size, 0, vmo->reset_and_get_address());
  }
  // The clone holds the file's pages only (what follows them in `from` is
  // not the program's); growing it adds zero pages for the rest.
  mica_status_t s =
      mica_vmo_create_child(from->vmo, MICA_VMO_CHILD_COPY_ON_WRITE | MICA_VMO_CHILD_RESIZABLE,
                            from->offset + *delta, *file_end, vmo->reset_and_get_address());
  if (s == MICA_OK) {
    s = mica_vmo_set_size(vmo->get(), range_size);
  }
  return s;
}

// The stack: a VMO one page larger than the stack, mapped at a random
// address, its lowest page unmapped again as the guard. (A random mapping
// always keeps the page after it free, so none can take the guard page.)
bool MapStack(const elf::Plan& plan, Program* p, char* why, size_t why_size) {
  uint64_t size = plan.stack_size != 0 ? PageRound(plan.stack_size) : kDefaultStackSize;
  mica::Handle vmo;
  mica_status_t s = mica_vmo_create(size + kPage, 0, vmo.reset_and_get_address());
  if (s != MICA_OK) {
    return Fail(why, why_size, "vmo_create (stack)", s);
  }
  (void)vmo.set_name("stack", 5);
  mica_vaddr_t addr = 0;
  s = mica_vmar_map(p->vmar.get(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, vmo.get(), 0,
                    size + kPage, &addr);
  if (s == MICA_OK) {
    s = mica_vmar_unmap(p->vmar.get(), addr, kPage);
  }
  if (s != MICA_OK) {
    return Fail(why, why_size, "mapping the stack", s);
  }
  p->stack_top = addr + kPage + size;
  return true;
}

// Everything after process_create; on failure the caller kills the process.
bool LayOut(const elf::Plan& plan, const char* name, const uint8_t* image, size_t size,
            const ImageVmo* from, Program* p, char* why, size_t why_size) {
  // One VMO holds the whole span, laid out as in memory; `align` spare
  // bytes (never touched, so never committed) let the range chosen below
  // start on an aligned base.
  uint64_t align = plan.max_align > kPage ? plan.max_align : kPage;
  uint64_t range_size = plan.span_size + align - kPage;
  mica::Handle vmo;
  bool mapped = false;
  uint64_t delta = 0, file_end = 0;
  mica_status_t s = MakeImageVmo(plan, from, range_size, &vmo, &mapped, &delta, &file_end);
  if (s != MICA_OK) {
    return Fail(why, why_size, "vmo_create (image)", s);
  }
  p->cloned = mapped;
  (void)vmo.set_name(name, strlen(name));
  // The load address is random. With page alignment the first segment's
  // mapping chooses it (the address space is empty, so the rest of the span
  // is free after it); a larger alignment needs a range with `align` spare
  // bytes: map it whole, note where, unmap.
  uint64_t vmar_base = 0;
  s = VmarBase(p->vmar.get(), &vmar_base);
  p->base = 0;
  if (s == MICA_OK && align > kPage) {
    mica_vaddr_t range = 0;
    s = mica_vmar_map(p->vmar.get(), MICA_VM_PERM_READ, 0, vmo.get(), 0, range_size, &range);
    if (s == MICA_OK) {
      s = mica_vmar_unmap(p->vmar.get(), range, range_size);
    }
    p->base = (range + align - 1) & ~(align - 1);
  }
  if (s != MICA_OK) {
    return Fail(why, why_size, "choosing the load address", s);
  }
  s = MapSegments(plan, p, vmar_base, vmo.get());
  if (s != MICA_OK) {
    return Fail(why, why_size, "mapping the segments", s);
  }
  if (!FillImage(plan, image, size, vmo.get(), p->base, mapped, delta, file_end, why, why_size)) {
    return false;
  }
  if (!MapStack(plan, p, why, why_size)) {
    return false;
  }
  s = mica_thread_create(p->process.get(), name, strlen(name), 0,
                         p->thread.reset_and_get_address());
  if (s != MICA_OK) {
    return Fail(why, why_size, "thread_create", s);
  }
  p->entry = p->base + plan.entry_offset;
  return true;
}

}  // namespace

bool LoadProgram(mica_handle_t job, const char* name, const uint8_t* image, size_t size,
                 Program* out, char* why, size_t why_size, const ImageVmo* from) {
  elf::Plan plan;
  elf::Error err;
  if (elf::Validate(image, size, &plan, &err) != elf::Status::kOk) {
    elf::FormatError(err, why, why_size);
    return false;
  }
  Program p;
  mica_status_t s =
      mica_process_create(job, name, strlen(name), 0, p.process.reset_and_get_address(),
                          p.vmar.reset_and_get_address());
  if (s != MICA_OK) {
    return Fail(why, why_size, "process_create", s);
  }
  if (!LayOut(plan, name, image, size, from, &p, why, why_size)) {
    // Never started: nothing else holds it, so end it before the handles go.
    (void)mica_task_kill(p.process.get());
    return false;
  }
  *out = static_cast<Program&&>(p);
  return true;
}

}  // namespace userboot
