// Virtual memory address regions. Each process has a tree of VMARs rooted
// at its root VMAR (the whole user half). A VMAR holds mappings of VMOs and
// sub-VMARs (vmar_allocate), each inside its range and never overlapping.
//
// Locking: one lock per tree, the root's tree_lock_, guards every VMAR's
// children, mappings and dead flag; sub-VMARs keep a reference to the root.
// The analysis names it through tree_lock() (RETURN_CAPABILITY, as Zircon's
// VmAddressRegion does); a VMAR reached from another in the same tree is
// covered by InSameTree(). Lock order: tree lock -> VmoDispatcher lock ->
// the user page table's lock (ACQUIRED_BEFORE on tree_lock_).
//
// Lifetime: a VMAR in a tree is held by its parent (in_tree_). Destroying a
// VMAR (vmar_destroy, vmar_unmap over it, or the process's death for the
// root) unmaps every mapping inside it, marks it and its descendants dead
// (later calls fail with kBadState) and drops them from the tree.
#pragma once

#include "kernel/lib/list.h"
#include "kernel/object/dispatcher.h"
#include "kernel/object/vmo.h"

class VmarDispatcher final : public Dispatcher {
 public:
  static constexpr uint32_t kCanMapAll = MICA_VM_CAN_MAP_READ | MICA_VM_CAN_MAP_WRITE |
                                         MICA_VM_CAN_MAP_EXECUTE | MICA_VM_CAN_MAP_SPECIFIC;
  // Nesting limit of sub-VMARs (destroying recurses over the tree).
  static constexpr uint32_t kMaxDepth = 32;
  // Mappings and sub-VMARs in one tree, at most (vmar_map and vmar_allocate
  // fail with kNoResources past it, splits with kNoMemory).
  static constexpr uint32_t kMaxEntries = 8192;

  // What vmar_map asks for.
  struct MapRequest {
    mica::RefPtr<VmoDispatcher> vmo;
    uint64_t vmo_offset = 0;
    uint64_t len = 0;
    uint32_t perms = 0;      // arch::kPerm*
    uint32_t max_perms = 0;  // arch::kPerm* the handles allowed
    bool specific = false;
    bool overwrite = false;  // MICA_VM_SPECIFIC_OVERWRITE
    uint64_t offset = 0;     // in the VMAR, with `specific`
    bool commit = false;     // MICA_VM_MAP_RANGE
  };

  // The root VMAR of a process's address space `aspace`: [base, base +
  // size), every CAN_MAP flag.
  static mica::RefPtr<VmarDispatcher> CreateRoot(arch::UserPageTable* aspace, uint64_t base,
                                                 uint64_t size, uint64_t seed);
  ~VmarDispatcher() override;
  mica_rights_t default_rights() const override { return MICA_DEFAULT_VMAR_RIGHTS; }

  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }
  uint32_t flags() const { return flags_; }  // MICA_VM_CAN_MAP_*
  mica_info_vmar_t Info() const { return mica_info_vmar_t{base_, size_}; }

  // vmar_allocate: `options` is MICA_VM_CAN_MAP_* and MICA_VM_SPECIFIC;
  // `size` is page-aligned and not 0 (the caller checks). kAccessDenied
  // (CAN_MAP bits this VMAR lacks, SPECIFIC without CAN_MAP_SPECIFIC),
  // kBadState, kOutOfRange, kAlreadyExists, kNoResources, kNoMemory.
  mica::Status Allocate(uint32_t options, uint64_t offset, uint64_t size,
                        mica::RefPtr<VmarDispatcher>* out);
  // vmar_map (statuses as documented there).
  mica::Status Map(MapRequest req, uint64_t* out_addr);
  // vmar_unmap: unmaps the mappings in the range (splitting those that
  // straddle it) and destroys the sub-VMARs inside it.
  mica::Status Unmap(uint64_t addr, uint64_t len);
  // vmar_protect over this VMAR's own mappings (splitting them as needed).
  mica::Status Protect(uint64_t addr, uint64_t len, uint32_t perms);
  // vmar_destroy. kBadState if already destroyed.
  mica::Status Destroy();
  // Root only: a fault at `addr`. kOk if a mapping allows the access and
  // the page is now mapped; else as Process::HandlePageFault says.
  mica::Status HandlePageFault(uint64_t addr, bool write, bool execute);
  // Root only: the process is gone (after Destroy).
  void Detach();
  // Root only: the address-space part of MICA_INFO_TASK_STATS, added to
  // *st: bytes mapped, and the committed bytes of the mapped VMOs, private
  // (mapped in `aspace` only) or shared, each VMO counted once (among the
  // first kStatsDistinctVmos distinct ones; beyond that a VMO mapped twice
  // counts twice).
  static constexpr size_t kStatsDistinctVmos = 64;
  void AddTaskStats(const arch::UserPageTable* aspace, mica_info_task_stats_t* st);

  mica::ListNode child_node_;  // on the parent's children_ (or a graveyard)

 private:
  using MappingList = mica::List<Mapping, &Mapping::vmar_node>;
  using VmarList = mica::List<VmarDispatcher, &VmarDispatcher::child_node_>;

  VmarDispatcher(uint64_t base, uint64_t size, uint32_t flags,
                 arch::UserPageTable* aspace = nullptr, uint64_t rng = 0)
      : Dispatcher(MICA_OBJ_TYPE_VMAR, 0),
        base_(base),
        size_(size),
        flags_(flags),
        aspace_(aspace),
        rng_(rng) {}

  // The tree lock (the root's).
  IrqSpinLock& tree_lock() const RETURN_CAPABILITY(root_->tree_lock_) { return root_->tree_lock_; }
  // `v` is in this VMAR's tree, so the tree lock held for this one is v's
  // too. Only tells the analysis.
  void InSameTree(const VmarDispatcher* v) const REQUIRES(tree_lock())
      ASSERT_CAPABILITY(v->tree_lock()) {}
  // Root only: with tree_lock_ held, tree_lock() is held (it is the same
  // lock). Only tells the analysis.
  void IsRoot() const REQUIRES(tree_lock_) ASSERT_CAPABILITY(tree_lock()) {}
  // The address space, or nullptr once the process is gone (Detach).
  arch::UserPageTable* aspace() const REQUIRES(tree_lock()) { return root_->aspace_; }
  bool Contains(uint64_t addr, uint64_t len) const {
    return addr >= base_ && len <= size_ && addr - base_ <= size_ - len;
  }
  bool RangeFreeLocked(uint64_t addr, uint64_t len) REQUIRES(tree_lock());
  bool OnlyMappingsLocked(uint64_t addr, uint64_t len) REQUIRES(tree_lock());
  bool PlaceLocked(uint64_t len, uint64_t* out) REQUIRES(tree_lock());
  uint64_t NextRandomLocked() REQUIRES(tree_lock());
  Mapping* FindLocked(uint64_t addr) REQUIRES(tree_lock());
  void SplitLocked(Mapping* m, uint64_t at, Mapping* spare) REQUIRES(tree_lock());
  // True if [addr, addr + len) lies strictly inside one mapping, which
  // unmapping it splits in two (UnmapLocked needs a spare then).
  bool SplitsAMappingLocked(uint64_t addr, uint64_t len) REQUIRES(tree_lock());
  mica::Status UnmapLocked(uint64_t addr, uint64_t len, Mapping* spare, MappingList* dead,
                           VmarList* graveyard) REQUIRES(tree_lock());
  void DestroyLocked(MappingList* dead, VmarList* graveyard) REQUIRES(tree_lock());
  void UnlinkMappingLocked(Mapping* m, MappingList* dead) REQUIRES(tree_lock());
  struct StatsScan;
  void AddTaskStatsLocked(StatsScan* scan) REQUIRES(tree_lock());
  void BuryLocked(VmarList* graveyard) REQUIRES(tree_lock());
  static void ReleaseDead(MappingList* dead, VmarList* graveyard);

  uint64_t base_;  // fixed once in the tree
  uint64_t size_;
  const uint32_t flags_;
  uint32_t depth_ = 0;
  VmarDispatcher* root_ = this;
  mica::RefPtr<VmarDispatcher> root_ref_;  // sub-VMARs keep the root alive
  VmarDispatcher* parent_ GUARDED_BY(tree_lock()) = nullptr;
  mica::RefPtr<VmarDispatcher> in_tree_ GUARDED_BY(tree_lock());  // the parent's reference
  bool dead_ GUARDED_BY(tree_lock()) = false;
  VmarList children_ GUARDED_BY(tree_lock());
  MappingList mappings_ GUARDED_BY(tree_lock());
  // Root only:
  IrqSpinLock tree_lock_ ACQUIRED_BEFORE(Dispatcher::lock_);  // before the VMOs' locks
  arch::UserPageTable* aspace_ GUARDED_BY(tree_lock_) = nullptr;
  uint64_t rng_ GUARDED_BY(tree_lock_) = 0;
  uint32_t entries_ GUARDED_BY(tree_lock_) = 0;  // mappings and sub-VMARs in the tree
};
