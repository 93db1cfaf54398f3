// vmo_op_range's cache maintenance (syscalls.mica, "vmo_op_range"): by data
// cache line over the committed pages of a range, through the physmap (the
// kernel's cacheable mapping of all RAM, so one maintenance by VA reaches
// the line whatever user mapping wrote it: the caches are physically tagged,
// Arm ARM D7.5.9 and D5.11). One page per hold of the VMO's lock: the page
// cannot be freed while its lines are maintained, and no other call waits
// for longer than a page's worth of DC instructions.
#include "kernel/arch/arm64/arch.h"
#include "kernel/object/vmo.h"

namespace {

// The data cache operation of a MICA_VMO_OP_CACHE_* op. INVALIDATE is
// clean and invalidate: a dirty line is written back, never discarded, so
// no caller can expose what a page held before the kernel zeroed it.
arch::DcacheOp DcacheOpFor(uint32_t op) {
  switch (op) {
    case MICA_VMO_OP_CACHE_CLEAN:
      return arch::DcacheOp::kCleanPoc;
    case MICA_VMO_OP_CACHE_SYNC:
      return arch::DcacheOp::kCleanPou;
    default:  // INVALIDATE, CLEAN_INVALIDATE
      return arch::DcacheOp::kCleanInvalidatePoc;
  }
}

}  // namespace

mica::Status VmoDispatcher::CacheOp(uint32_t op, uint64_t offset, uint64_t len) {
  uint64_t end = offset + len;
  if (end < offset || end > size()) {
    return mica::Status::kOutOfRange;
  }
  if (len == 0) {
    return mica::Status::kOk;
  }
  if (kind_ == Kind::kPhysical) {
    // Device memory (vmo_create_physical never covers RAM): no cache holds
    // it, whatever the mapping's policy. Complete earlier accesses only.
    DSB(sy);
    return mica::Status::kOk;
  }
  arch::DcacheOp dop = DcacheOpFor(op);
  uint64_t at = offset;
  while (at < end) {
    uint64_t index = at / arch::kPageSize;
    uint64_t page_end = (index + 1) * arch::kPageSize;
    uint64_t stop = end < page_end ? end : page_end;
    {
      IrqGuard g(lock_);
      if (index >= page_count_) {
        break;  // shrunk meanwhile: nothing left to maintain
      }
      // The next committed page at or after `index`: the uncommitted ones
      // between are skipped, however many there are.
      uint64_t found = 0, pa = 0;
      uint64_t last = (end - 1) / arch::kPageSize;
      if (!pages_.Next(index, last + 1, &found, &pa)) {
        break;
      }
      if (found != index) {
        at = found * arch::kPageSize;
        continue;
      }
      const uint8_t* va = static_cast<const uint8_t*>(arch::PhysToVirt(pa));
      arch::DcacheRange(dop, va + at % arch::kPageSize, stop - at);
    }
    at = stop;
  }
  if (op == MICA_VMO_OP_CACHE_SYNC) {
    arch::InvalidateIcacheAll();
  }
  return mica::Status::kOk;
}
