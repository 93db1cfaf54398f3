// Virtual memory objects: demand-paged anonymous memory. Pages are
// committed (allocated and zeroed) on first touch: a fault in a mapping or
// a vmo_write; a vmo_read of a page never written reads zeros without
// committing it.
//
// Copy-on-write children (vmo_create_child) share the committed pages of
// their parent: each page's metadata counts the VMOs holding it
// (kmem::PageOwnerWord). A shared page is mapped read-only; the first write
// through any VMO holding it (a write fault or a vmo_write) copies it into a
// page of that VMO's own and unmaps the old one from that VMO's mappings.
// Uncommitted pages are never shared: they read as zeros in the child.
//
// Bookkeeping: the committed pages are kept in a PageTree (sparse, radix
// tree of 16-slot nodes allocated on commit and freed when empty), so a
// VMO's kernel cost follows what it commits, not its size: an empty 64 GiB
// VMO costs its dispatcher only. A commit whose node cannot be allocated
// fails with kNoMemory like the page allocation itself.
//
// Lock order: the VMAR tree lock -> VmoDispatcher::lock_ (Dispatcher::lock_)
// -> the user page table's lock.
#pragma once

#include "kernel/arch/arm64/user_page_table.h"
#include "kernel/arch/arm64/user_ptr.h"
#include "kernel/lib/list.h"
#include "kernel/object/core/page_tree.h"
#include "kernel/object/dispatcher.h"

class VmoDispatcher;

// One mapping of a VMO range into a process's address space.
struct Mapping {
  mica::ListNode vmar_node;  // on its VMAR's mapping list
  mica::ListNode vmo_node;   // on the VMO's mapping list
  uint64_t base = 0;         // user address, page aligned
  uint64_t size = 0;         // bytes, page multiple
  uint64_t vmo_offset = 0;   // page aligned
  uint32_t perms = 0;        // arch::kPerm*
  uint32_t max_perms = 0;    // what vmar_protect may grant (the rights it was made with)
  mica::RefPtr<VmoDispatcher> vmo;
  arch::UserPageTable* aspace = nullptr;  // the address space it is in
};

class VmoDispatcher final : public Dispatcher {
 public:
  // Largest VMO: 64 GiB (2^24 pages, a PageTree of height 6).
  static constexpr uint64_t kMaxSize = 64ull << 30;
  static mica::Status Create(uint64_t size, uint32_t options, mica::RefPtr<VmoDispatcher>* out);
  // vmo_create_contiguous: `size` (rounded up to pages, not 0) bytes of
  // committed, zeroed, physically contiguous RAM aligned to 2^alignment_log2
  // bytes (0: a page). kInvalidArgs, kOutOfRange, kNoMemory.
  static mica::Status CreateContiguous(uint64_t size, uint32_t alignment_log2,
                                       mica::RefPtr<VmoDispatcher>* out);
  // vmo_create_physical: a VMO over [paddr, paddr + size) of device memory
  // (page-aligned; never RAM the kernel manages: kAccessDenied), cache
  // policy UNCACHED_DEVICE. The caller has checked the resource.
  static mica::Status CreatePhysical(uint64_t paddr, uint64_t size,
                                     mica::RefPtr<VmoDispatcher>* out);
  ~VmoDispatcher() override;
  mica_rights_t default_rights() const override {
    return is_physical() ? MICA_DEFAULT_VMO_RIGHTS & ~MICA_RIGHT_EXECUTE : MICA_DEFAULT_VMO_RIGHTS;
  }

  // Physical VMOs have no pages of their own (no read/write, no clones);
  // contiguous ones own one committed run from the PMM (no resize, no clones).
  bool is_physical() const { return kind_ == Kind::kPhysical; }
  bool is_contiguous() const { return kind_ == Kind::kContiguous; }
  // vmo_set_cache_policy: kInvalidArgs for an unknown policy, kBadState
  // while mapped or (anonymous VMOs) with committed pages.
  mica::Status SetCachePolicy(uint32_t policy);
  uint32_t cache_policy() const;  // MICA_CACHE_POLICY_*
  // The page attributes mappings of this VMO use.
  arch::CachePolicy arch_cache_policy() const;

  uint64_t size() const;
  // Copies between the VMO and user memory. kOutOfRange past the end,
  // kInvalidArgs for a bad user buffer, kNoMemory.
  mica::Status ReadToUser(uint64_t offset, user_out_ptr<void> dst, size_t len);
  mica::Status WriteFromUser(uint64_t offset, user_in_ptr<const void> src, size_t len);
  // The physical page at page index `index`, committing it: zeroed, or a
  // copy of the page at physical address `from` (not 0; the kernel's boot
  // files, copied without zeroing first). kOutOfRange past the end,
  // kNoMemory.
  mica::Status CommitPage(uint64_t index, uint64_t* pa, uint64_t from = 0);
  // Grows or shrinks a resizable VMO (kNotSupported otherwise); pages past
  // the new end are unmapped from every mapping and freed.
  mica::Status SetSize(uint64_t size);
  // A copy-on-write clone of [offset, offset + size) (vmo_create_child).
  // kInvalidArgs, kOutOfRange, kNoMemory.
  mica::Status CreateChild(uint32_t options, uint64_t offset, uint64_t size,
                           mica::RefPtr<VmoDispatcher>* out);
  // Resolves a fault at `va` in mapping `m` of this VMO: commits the page
  // (copying it first if shared and `write`) and maps it in m's address
  // space, read-only while shared. kOutOfRange past the end, kNoMemory.
  mica::Status FaultPage(Mapping* m, uint64_t va, bool write);
  mica_info_vmo_t Info() const;
  // vmo_op_range's cache operations (MICA_VMO_OP_CACHE_*, checked by the
  // caller) on [offset, offset + len) (vmo_cache.cc): kOutOfRange if it
  // overflows or passes the end.
  mica::Status CacheOp(uint32_t op, uint64_t offset, uint64_t len);

  // bti_pin's part (kernel/object/bti.h): pins `count` pages from page
  // index `first`, each committed (zeroed) and made this VMO's own first (a
  // page shared copy-on-write is copied, as a write fault would), and
  // writes their physical addresses to pas[0..count) (`pas` may be null
  // for a contiguous VMO) and the first one's to *first_pa. One page per
  // hold of the lock. kOutOfRange past the end (also if the VMO shrank
  // meanwhile), kNotSupported for a physical VMO, kNoMemory, kNoResources
  // (a page pinned PageCount::kMaxPins times). On failure nothing stays
  // pinned. While pinned, SetSize below a pinned page, Decommit of one and
  // CreateChild over one fail with kBadState.
  mica::Status Pin(uint64_t first, uint64_t count, uint64_t* pas, uint64_t* first_pa);
  // Drops one pin from each page Pin pinned, whether or not the VMO still
  // exists; a page no VMO holds any more is freed. `pas` as Pin wrote it,
  // or null for the run of `count` pages from `first_pa`.
  static void Unpin(const uint64_t* pas, uint64_t first_pa, uint64_t count);
  // MICA_VMO_OP_DECOMMIT: frees the committed pages of [offset, offset +
  // len) (page-aligned: kInvalidArgs) of an anonymous VMO (kNotSupported
  // otherwise); they read as zeros again. kOutOfRange past the end,
  // kBadState if one is pinned (nothing is decommitted then).
  mica::Status Decommit(uint64_t offset, uint64_t len);

  void AddMapping(Mapping* m);
  void RemoveMapping(Mapping* m);

  // For MICA_INFO_TASK_STATS: the bytes committed to the VMO, and whether
  // every mapping of it is in `aspace`.
  uint64_t committed_bytes() const;
  bool MappedOnlyBy(const arch::UserPageTable* aspace) const;

 private:
  enum class Kind : uint8_t { kAnonymous, kContiguous, kPhysical };
  VmoDispatcher(uint64_t page_count, uint32_t cache_policy);
  // A VMO being made, that no other thread can reach yet: its fields need
  // no lock. Only tells the analysis.
  void Unpublished() const ASSERT_CAPABILITY(lock_) {}
  // The page at `index` (< page_count_), committed and not shared with any
  // other VMO; a shared page is copied and unmapped from our mappings.
  mica::Status WritablePageLocked(uint64_t index, uint64_t* pa) REQUIRES(lock_);
  void UnmapIndexLocked(uint64_t index) REQUIRES(lock_);
  // True if a committed page in [first, end) is pinned (vmo_pin.cc).
  bool AnyPinnedLocked(uint64_t first, uint64_t end) REQUIRES(lock_);
  // Unmaps pages [first, last) from every mapping and takes the committed
  // ones out; those left with no holder are chained (through their owner
  // words) onto *to_free for FreePageChain once the lock is dropped. The
  // caller has checked that none is pinned.
  void DropPagesLocked(uint64_t first, uint64_t last, uint64_t* to_free) REQUIRES(lock_);
  static void FreePageChain(uint64_t to_free);
  // Pin's step for one page.
  mica::Status PinPage(uint64_t index, uint64_t* pa);

  // Page index -> physical address of the committed pages (each counted in
  // its page's owner word); none for kPhysical.
  mica::core::PageTree pages_ GUARDED_BY(lock_);
  uint64_t page_count_ GUARDED_BY(lock_) = 0;
  bool resizable_ = false;
  uint64_t parent_koid_ = 0;  // the VMO this one was cloned from, or 0
  Kind kind_ = Kind::kAnonymous;
  uint64_t phys_base_ = 0;  // kPhysical: no pages_
  uint32_t cache_policy_ GUARDED_BY(lock_) = MICA_CACHE_POLICY_CACHED;
  mica::List<Mapping, &Mapping::vmo_node> mappings_ GUARDED_BY(lock_);
};
