// Resources: capabilities to hardware. The root resource (created at boot,
// handed to the first process) grants every physical address, every
// interrupt line and every system capability; resource_create carves MMIO
// (page-aligned physical ranges) and IRQ (interrupt number ranges)
// resources out of it, each only ever narrower than its parent, and SYSTEM
// resources (ranges of the MICA_RSRC_SYSTEM_* capabilities, below
// MICA_RSRC_SYSTEM_COUNT) from the root only. vmo_create_physical/contiguous,
// interrupt_create, system_power and the console hand-over check them (a
// contiguous VMO made with an MMIO resource is no larger than the resource's
// range). A resource of one kind never grants what another kind does.
// Immutable after creation: no lock.
#pragma once

#include "kernel/object/dispatcher.h"

class ResourceDispatcher final : public Dispatcher {
 public:
  // Creates the root resource (boot, once).
  static void InitRoot();
  // The root resource (null before InitRoot).
  static mica::RefPtr<ResourceDispatcher> Root();

  // resource_create: a `kind` (MICA_RSRC_KIND_MMIO/IRQ/SYSTEM) range [base, base +
  // size) of `parent`. kInvalidArgs, kOutOfRange, kAccessDenied, kNoMemory
  // as syscalls.mica documents.
  static mica::Status Create(const ResourceDispatcher& parent, uint32_t kind, uint64_t base,
                             uint64_t size, const char* name, size_t name_len,
                             mica::RefPtr<ResourceDispatcher>* out);

  mica_rights_t default_rights() const override { return MICA_DEFAULT_RESOURCE_RIGHTS; }
  uint32_t kind() const { return kind_; }
  bool is_root() const { return kind_ == MICA_RSRC_KIND_ROOT; }
  // True if the resource grants the physical range / the interrupt line.
  bool CoversMmio(uint64_t base, uint64_t size) const;
  bool CoversIrq(uint32_t vector) const;
  // True if the resource grants the system capability `cap`
  // (MICA_RSRC_SYSTEM_*): the root, or a SYSTEM resource whose range holds it.
  bool CoversSystem(uint64_t cap) const;
  // True if the resource is of a kind that grants physical memory (root or
  // MMIO) / interrupts (root or IRQ).
  bool GrantsMmio() const { return is_root() || kind_ == MICA_RSRC_KIND_MMIO; }
  bool GrantsIrq() const { return is_root() || kind_ == MICA_RSRC_KIND_IRQ; }
  // True if the resource allows a physically contiguous VMO of `size`
  // bytes (vmo_create_contiguous): the root resource any size, an MMIO
  // resource at most the size of its own range.
  bool GrantsContiguous(uint64_t size) const {
    return is_root() || (kind_ == MICA_RSRC_KIND_MMIO && size <= size_);
  }

 private:
  ResourceDispatcher(uint32_t kind, uint64_t base, uint64_t size)
      : Dispatcher(MICA_OBJ_TYPE_RESOURCE, 0), kind_(kind), base_(base), size_(size) {}
  // True if [base, base + size) (no overflow) lies inside this resource.
  bool Covers(uint64_t base, uint64_t size) const;

  const uint32_t kind_;
  const uint64_t base_;
  const uint64_t size_;  // for the root: unused (everything)
};
