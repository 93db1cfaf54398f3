// Relocation checks and application. Relocation codes: AAELF64 §5.7
// ("Dynamic relocations"): R_AARCH64_RELATIVE = 1027 computes Delta(S) + A,
// the load bias plus the addend, stored as a 64-bit word.
#include "system/ulib/elf/elf.h"

#include "system/ulib/elf/elf_internal.h"

namespace elf {
namespace internal {

Status CheckRelocation(const Plan& plan, uint64_t info, uint64_t target, uint64_t entry_offset,
                       uint32_t index, bool* apply, Error* error) {
  // ELF64_R_TYPE / ELF64_R_SYM (gABI).
  const uint32_t type = static_cast<uint32_t>(info);
  const uint32_t sym = static_cast<uint32_t>(info >> 32);
  *apply = false;
  if (type == kRAarch64None) {
    return Status::kOk;
  }
  if (type != kRAarch64Relative) {
    return Fail(error, Status::kUnsupportedRelocation, "only R_AARCH64_RELATIVE is supported",
                entry_offset, Where::kRelocation, index, type);
  }
  if (sym != 0) {
    return Fail(error, Status::kBadRelocation, "R_AARCH64_RELATIVE names a symbol", entry_offset,
                Where::kRelocation, index, sym);
  }
  const uint32_t count = plan.segment_count < kMaxSegments ? plan.segment_count : kMaxSegments;
  for (uint32_t i = 0; i < count; ++i) {
    const Segment& s = plan.segments[i];
    if ((s.flags & kWrite) != 0 && target >= s.vaddr_offset &&
        RangeInside(target - s.vaddr_offset, 8, s.mem_size)) {
      *apply = true;
      return Status::kOk;
    }
  }
  return Fail(error, Status::kBadRelocation, "relocation target is not inside a writable segment",
              entry_offset, Where::kRelocation, index, target);
}

}  // namespace internal

namespace {

// One pass over the table in the span: check every entry and, if `write`,
// apply it. The caller has checked that the table lies inside the span.
Status Pass(const Plan& plan, uint8_t* span, uint64_t span_size, uint64_t bias, bool write,
            Error* error) {
  for (uint64_t i = 0; i < plan.rela_count; ++i) {
    const uint64_t at = plan.rela_offset + i * kRelaSize;
    const uint8_t* r = span + at;
    // Elf64_Rela: r_offset, r_info, r_addend. r_offset is a link-time
    // address; the span starts at link_base.
    const uint64_t target = internal::Load64(r) - plan.link_base;
    const uint64_t info = internal::Load64(r + 8);
    const uint64_t addend = internal::Load64(r + 16);
    bool apply = false;
    const Status st =
        internal::CheckRelocation(plan, info, target, at, static_cast<uint32_t>(i), &apply, error);
    if (st != Status::kOk) {
      return st;
    }
    // Segments come from the plan, which a caller could have altered:
    // bound the write by the span itself too.
    if (apply && !internal::RangeInside(target, 8, span_size)) {
      return internal::Fail(error, Status::kBadRelocation, "relocation target outside the span", at,
                            Where::kRelocation, static_cast<uint32_t>(i), target);
    }
    if (apply && write) {
      internal::Store64(span + target, bias + addend);
    }
  }
  return Status::kOk;
}

}  // namespace

Status ApplyRelocations(const Plan& plan, void* span, size_t span_size, uint64_t load_base,
                        Error* error) {
  if (span == nullptr) {
    return internal::Fail(error, Status::kBadArgument, "null span");
  }
  if (span_size < plan.span_size) {
    return internal::Fail(error, Status::kBufferTooSmall, "span buffer smaller than the plan", 0,
                          Where::kNone, kNoIndex, span_size);
  }
  if (load_base % kPageSize != 0 || load_base > ~uint64_t{0} - plan.span_size) {
    return internal::Fail(error, Status::kBadArgument,
                          "load base not page aligned or span wraps around", 0, Where::kNone,
                          kNoIndex, load_base);
  }
  if (plan.rela_count > plan.span_size / kRelaSize ||
      !internal::RangeInside(plan.rela_offset, plan.rela_count * kRelaSize, plan.span_size)) {
    return internal::Fail(error, Status::kBadRelocationTable, "relocation table outside the span",
                          plan.rela_offset);
  }
  // Delta(S) of AAELF64: where the image is minus where it was linked.
  const uint64_t bias = load_base - plan.link_base;
  uint8_t* bytes = static_cast<uint8_t*>(span);
  // Check everything first so that a bad table leaves the span untouched.
  Status st = Pass(plan, bytes, span_size, bias, false, error);
  if (st == Status::kOk) {
    st = Pass(plan, bytes, span_size, bias, true, error);
  }
  if (st == Status::kOk && error != nullptr) {
    *error = Error{};
  }
  return st;
}

}  // namespace elf
