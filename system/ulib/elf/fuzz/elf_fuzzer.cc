// libFuzzer target: elf::Validate on arbitrary bytes; for an accepted image,
// checks the plan's invariants, builds the span in an exactly-sized buffer
// (when it is at most kMaxFuzzSpan) and applies the relocations at a base
// derived from the input, checking that only writable segments changed.
// The input lives in libFuzzer's exactly-sized buffer, so ASan reports any
// read outside it.
//
// Run: out/fuzzers/elf_fuzzer -max_total_time=N out/fixtures/elf
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <memory>

#include "system/ulib/elf/elf.h"

namespace {

constexpr uint64_t kMaxFuzzSpan = uint64_t{1} << 20;

void Check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

// What Validate promises about an accepted image.
void CheckPlan(const elf::Plan& plan, size_t size) {
  Check(plan.span_size != 0 && plan.span_size % elf::kPageSize == 0);
  Check(plan.span_size <= elf::kMaxSpan);
  Check(plan.segment_count >= 1 && plan.segment_count <= elf::kMaxSegments);
  bool entry_ok = false;
  for (uint32_t i = 0; i < plan.segment_count; ++i) {
    const elf::Segment& s = plan.segments[i];
    Check((s.flags & elf::kWrite) == 0 || (s.flags & elf::kExecute) == 0);
    Check(s.page_offset % elf::kPageSize == 0 && s.page_size % elf::kPageSize == 0);
    Check(s.page_offset <= s.vaddr_offset);
    Check(s.vaddr_offset + s.mem_size <= s.page_offset + s.page_size);
    Check(s.page_offset + s.page_size <= plan.span_size);
    Check(s.file_size <= s.mem_size);
    Check(s.file_size == 0 || (s.file_offset <= size && s.file_size <= size - s.file_offset));
    if (i > 0) {
      const elf::Segment& p = plan.segments[i - 1];
      Check(p.page_offset + p.page_size <= s.page_offset);
    }
    if ((s.flags & elf::kExecute) != 0 && plan.entry_offset >= s.vaddr_offset &&
        plan.entry_offset < s.vaddr_offset + s.file_size) {
      entry_ok = true;
    }
  }
  Check(entry_ok);
  Check(plan.rela_count * elf::kRelaSize <= plan.span_size &&
        plan.rela_offset + plan.rela_count * elf::kRelaSize <= plan.span_size);
  Check(plan.relative_count <= plan.rela_count);
  Check(plan.relro_offset % elf::kPageSize == 0 && plan.relro_size % elf::kPageSize == 0);
  Check(plan.relro_offset + plan.relro_size <= plan.span_size);
  if (plan.tls.present) {
    Check(plan.tls.file_size <= plan.tls.mem_size);
    Check(plan.tls.vaddr_offset + plan.tls.file_size <= plan.span_size);
    Check(plan.tls.align != 0 && (plan.tls.align & (plan.tls.align - 1)) == 0);
  }
}

bool InWritableSegment(const elf::Plan& plan, uint64_t offset) {
  for (uint32_t i = 0; i < plan.segment_count; ++i) {
    const elf::Segment& s = plan.segments[i];
    if ((s.flags & elf::kWrite) != 0 && offset >= s.vaddr_offset &&
        offset - s.vaddr_offset < s.mem_size) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  elf::Plan plan;
  elf::Error err;
  const elf::Status st = elf::Validate(size == 0 ? nullptr : data, size, &plan, &err);
  char msg[160];
  elf::FormatError(err, msg, sizeof(msg));
  Check(err.status == st);
  if (st != elf::Status::kOk) {
    return 0;
  }
  CheckPlan(plan, size);
  if (plan.span_size > kMaxFuzzSpan) {
    // Bounded buffer: a span buffer one page short is refused untouched.
    uint8_t small[elf::kPageSize];
    Check(elf::ApplyRelocations(plan, small, sizeof(small), 0, &err) ==
          elf::Status::kBufferTooSmall);
    return 0;
  }
  const size_t span_size = static_cast<size_t>(plan.span_size);
  std::unique_ptr<uint8_t[]> span(new uint8_t[span_size]());
  for (uint32_t i = 0; i < plan.segment_count; ++i) {
    const elf::Segment& s = plan.segments[i];
    if (s.file_size != 0) {
      memcpy(span.get() + s.vaddr_offset, data + s.file_offset, s.file_size);
    }
  }
  std::unique_ptr<uint8_t[]> before(new uint8_t[span_size]);
  memcpy(before.get(), span.get(), span_size);
  // A page-aligned base from the input's first bytes (always >= 64 bytes).
  uint64_t base = 0;
  memcpy(&base, data + 8, sizeof(base));
  base = (base & ~(elf::kPageSize - 1)) % (uint64_t{1} << 48);
  // Validate checked every entry against the same bytes, so relocation
  // succeeds and writes only inside writable segments.
  Check(elf::ApplyRelocations(plan, span.get(), span_size, base, &err) == elf::Status::kOk);
  for (size_t i = 0; i < span_size; ++i) {
    if (span[i] != before[i]) {
      Check(InWritableSegment(plan, i));
    }
  }
  return 0;
}
