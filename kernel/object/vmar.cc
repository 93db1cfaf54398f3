#include "kernel/object/vmar.h"

#include <new>

#include "kernel/arch/arm64/arch.h"

namespace {

// The MICA_VM_CAN_MAP_* flags that arch::kPerm* `perms` need.
uint32_t PermFlags(uint32_t perms) {
  return ((perms & arch::kPermRead) ? MICA_VM_CAN_MAP_READ : 0) |
         ((perms & arch::kPermWrite) ? MICA_VM_CAN_MAP_WRITE : 0) |
         ((perms & arch::kPermExecute) ? MICA_VM_CAN_MAP_EXECUTE : 0);
}

}  // namespace

mica::RefPtr<VmarDispatcher> VmarDispatcher::CreateRoot(arch::UserPageTable* aspace, uint64_t base,
                                                        uint64_t size, uint64_t seed) {
  mica::AllocChecker ac_v;
  auto* v = new (ac_v) VmarDispatcher(base, size, kCanMapAll, aspace, seed | 1);
  if (!ac_v.check()) {
    return {};
  }
  return mica::AdoptRef(v);
}

VmarDispatcher::~VmarDispatcher() {
  // A VMAR is freed only once out of the tree: dead, or a root that never
  // had a process. Nothing can be left in it.
  MICA_ASSERT(mappings_.empty() && children_.empty());
}

void VmarDispatcher::Detach() {
  IrqGuard g(tree_lock_);
  aspace_ = nullptr;
}

uint64_t VmarDispatcher::NextRandomLocked() {
  // xorshift64*, seeded from the process's generator.
  uint64_t x = root_->rng_;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  root_->rng_ = x;
  return x * 0x2545f4914f6cdd1dull;
}

bool VmarDispatcher::RangeFreeLocked(uint64_t addr, uint64_t len) {
  for (VmarDispatcher& c : children_) {
    if (addr < c.base_ + c.size_ && c.base_ < addr + len) {
      return false;
    }
  }
  for (Mapping& m : mappings_) {
    if (addr < m.base + m.size && m.base < addr + len) {
      return false;
    }
  }
  // Pages the loader mapped directly (image, stack) are in no VMAR.
  return root_ != this || !aspace()->AnyMapped(addr, len);
}

// Whether [addr, addr + len) holds nothing but our own mappings (no
// sub-region, none of the loader's pages).
bool VmarDispatcher::OnlyMappingsLocked(uint64_t addr, uint64_t len) {
  for (VmarDispatcher& c : children_) {
    if (addr < c.base_ + c.size_ && c.base_ < addr + len) {
      return false;
    }
  }
  if (root_ != this) {
    return true;
  }
  // The loader's pages: anything mapped in the gaps between our mappings.
  for (uint64_t cur = addr, end = addr + len; cur < end;) {
    uint64_t next = end;
    bool covered = false;
    for (Mapping& m : mappings_) {
      if (cur >= m.base && cur - m.base < m.size) {
        covered = true;
        next = m.base + m.size;
        break;
      }
      if (m.base > cur && m.base < next) {
        next = m.base;
      }
    }
    if (!covered && aspace()->AnyMapped(cur, (next < end ? next : end) - cur)) {
      return false;
    }
    cur = next;
  }
  return true;
}

// A random free page-aligned range of `len` bytes (ASLR), with a guard page
// after it when there is room; a sub-VMAR falls back to the first fit.
bool VmarDispatcher::PlaceLocked(uint64_t len, uint64_t* out) {
  uint64_t lo = base_, hi = base_ + size_;
  if (root_ == this) {
    // The root places in [1 GiB, 256 GiB).
    lo = lo > (1ull << 30) ? lo : (1ull << 30);
    hi = hi < (256ull << 30) ? hi : (256ull << 30);
  }
  if (hi <= lo || len > hi - lo) {
    return false;
  }
  uint64_t want = len + arch::kPageSize <= hi - lo ? len + arch::kPageSize : len;
  uint64_t slots = (hi - lo - want) / arch::kPageSize + 1;
  for (int attempt = 0; attempt < 64; attempt++) {
    uint64_t cand = lo + (NextRandomLocked() % slots) * arch::kPageSize;
    if (RangeFreeLocked(cand, want)) {
      *out = cand;
      return true;
    }
  }
  if (root_ == this) {
    return false;
  }
  // First fit: jump past whatever overlaps the candidate.
  uint64_t cand = lo;
  while (cand <= hi - len) {
    uint64_t next = 0;
    for (VmarDispatcher& c : children_) {
      if (cand < c.base_ + c.size_ && c.base_ < cand + len && c.base_ + c.size_ > next) {
        next = c.base_ + c.size_;
      }
    }
    for (Mapping& m : mappings_) {
      if (cand < m.base + m.size && m.base < cand + len && m.base + m.size > next) {
        next = m.base + m.size;
      }
    }
    if (next == 0) {
      *out = cand;
      return true;
    }
    cand = next;
  }
  return false;
}

mica::Status VmarDispatcher::Allocate(uint32_t options, uint64_t offset, uint64_t size,
                                      mica::RefPtr<VmarDispatcher>* out) {
  uint32_t can_map = options & kCanMapAll;
  bool specific = (options & MICA_VM_SPECIFIC) != 0;
  if ((can_map & ~flags_) != 0 || (specific && !(flags_ & MICA_VM_CAN_MAP_SPECIFIC))) {
    return mica::Status::kAccessDenied;
  }
  mica::AllocChecker ac_v;
  auto* v = new (ac_v) VmarDispatcher(0, 0, can_map);  // placed below
  if (!ac_v.check()) {
    return mica::Status::kNoMemory;
  }
  mica::RefPtr<VmarDispatcher> child = mica::AdoptRef(v);
  {
    IrqGuard g(tree_lock());
    uint64_t addr = 0;
    mica::Status s = mica::Status::kOk;
    if (dead_) {
      s = mica::Status::kBadState;
    } else if (depth_ + 1 > kMaxDepth || root_->entries_ >= kMaxEntries) {
      s = mica::Status::kNoResources;
    } else if (specific) {
      addr = base_ + offset;
      if (offset > size_ || size > size_ - offset) {
        s = mica::Status::kOutOfRange;
      } else if (!RangeFreeLocked(addr, size)) {
        s = mica::Status::kAlreadyExists;
      }
    } else if (!PlaceLocked(size, &addr)) {
      s = mica::Status::kNoResources;
    }
    if (s != mica::Status::kOk) {
      return s;  // `child` goes after the lock
    }
    v->base_ = addr;
    v->size_ = size;
    v->root_ = root_;
    InSameTree(v);
    v->root_ref_ = mica::RefPtr<VmarDispatcher>(root_);
    v->depth_ = depth_ + 1;
    v->parent_ = this;
    v->in_tree_ = child;
    children_.push_back(v);
    root_->entries_++;
  }
  *out = mica::Move(child);
  return mica::Status::kOk;
}

Mapping* VmarDispatcher::FindLocked(uint64_t addr) {
  VmarDispatcher* v = this;
  for (;;) {
    InSameTree(v);
    for (Mapping& m : v->mappings_) {
      if (addr >= m.base && addr - m.base < m.size) {
        return &m;
      }
    }
    VmarDispatcher* next = nullptr;
    for (VmarDispatcher& c : v->children_) {
      if (addr >= c.base_ && addr - c.base_ < c.size_) {
        next = &c;
        break;
      }
    }
    if (next == nullptr) {
      return nullptr;
    }
    v = next;
  }
}

void VmarDispatcher::UnlinkMappingLocked(Mapping* m, MappingList* dead) {
  // Unmapped now, under the tree lock: the range may be reused as soon as
  // the lock is dropped.
  aspace()->Unmap(m->base, m->size / arch::kPageSize);
  m->vmo->RemoveMapping(m);
  dead->push_back(m);
  root_->entries_--;
}

void VmarDispatcher::DestroyLocked(MappingList* dead, VmarList* graveyard) {
  dead_ = true;
  while (Mapping* m = mappings_.pop_front()) {
    UnlinkMappingLocked(m, dead);
  }
  while (VmarDispatcher* c = children_.pop_front()) {
    InSameTree(c);
    c->DestroyLocked(dead, graveyard);  // depth is bounded by kMaxDepth
    c->BuryLocked(graveyard);
  }
}

// A VMAR out of its (dead) parent, onto the graveyard.
void VmarDispatcher::BuryLocked(VmarList* graveyard) {
  parent_ = nullptr;
  graveyard->push_back(this);
  root_->entries_--;
}

// Frees what a tree operation took out, after the tree lock is dropped.
// Reads the buried VMARs' in_tree_ without the lock: they are out of every
// tree, and nothing but this touches it any more.
void VmarDispatcher::ReleaseDead(MappingList* dead, VmarList* graveyard)
    NO_THREAD_SAFETY_ANALYSIS {  // buried VMARs: unreachable tree fields (above)
  while (Mapping* m = dead->pop_front()) {
    delete m;  // drops its VMO reference
  }
  while (VmarDispatcher* v = graveyard->pop_front()) {
    mica::RefPtr<VmarDispatcher> ref = mica::Move(v->in_tree_);
  }
}

mica::Status VmarDispatcher::Destroy() {
  MappingList dead;
  VmarList graveyard;
  {
    IrqGuard g(tree_lock());
    if (dead_) {
      return mica::Status::kBadState;
    }
    DestroyLocked(&dead, &graveyard);
    if (parent_ != nullptr) {
      InSameTree(parent_);
      parent_->children_.remove(this);
      BuryLocked(&graveyard);
    }
  }
  ReleaseDead(&dead, &graveyard);
  return mica::Status::kOk;
}

// Splits `m` at `at` (inside it): `spare` takes [at, end).
void VmarDispatcher::SplitLocked(Mapping* m, uint64_t at, Mapping* spare) {
  spare->base = at;
  spare->size = m->base + m->size - at;
  spare->vmo_offset = m->vmo_offset + (at - m->base);
  spare->perms = m->perms;
  spare->max_perms = m->max_perms;
  spare->vmo = m->vmo;
  spare->aspace = m->aspace;
  m->size = at - m->base;
  mappings_.push_back(spare);
  m->vmo->AddMapping(spare);
  root_->entries_++;
}

mica::Status VmarDispatcher::Map(MapRequest req, uint64_t* out_addr) {
  uint64_t len = (req.len + (arch::kPageSize - 1)) & ~(arch::kPageSize - 1);
  if (len == 0 || (req.vmo_offset & (arch::kPageSize - 1)) != 0 ||
      (req.specific && (req.offset & (arch::kPageSize - 1)) != 0)) {
    return mica::Status::kInvalidArgs;
  }
  if ((PermFlags(req.perms) & ~flags_) != 0 ||
      (req.specific && !(flags_ & MICA_VM_CAN_MAP_SPECIFIC))) {
    return mica::Status::kAccessDenied;
  }
  if (req.vmo_offset + len < req.vmo_offset || req.vmo_offset + len > req.vmo->size()) {
    return mica::Status::kOutOfRange;
  }
  mica::AllocChecker ac_m, ac_spare;
  auto* m = new (ac_m) Mapping();
  auto* spare = new (ac_spare) Mapping();
  const bool ok_a = ac_m.check(), ok_b = ac_spare.check();
  if (!ok_a || !ok_b) {
    delete m;
    delete spare;
    return mica::Status::kNoMemory;
  }
  MappingList dead;
  VmarList graveyard;
  uint64_t addr = 0;
  mica::Status s = mica::Status::kOk;
  {
    IrqGuard g(tree_lock());
    if (dead_) {
      s = mica::Status::kBadState;
    } else if (root_->entries_ + (req.overwrite ? 2 : 1) > kMaxEntries) {
      s = mica::Status::kNoResources;
    } else if (req.specific) {
      addr = base_ + req.offset;
      if (req.offset > size_ || len > size_ - req.offset) {
        s = mica::Status::kOutOfRange;
      } else if (req.overwrite) {
        // Replaces mappings, never sub-regions or the loader's pages.
        if (!OnlyMappingsLocked(addr, len)) {
          s = mica::Status::kAlreadyExists;
        } else {
          s = UnmapLocked(addr, len, spare, &dead, &graveyard);
          if (s == mica::Status::kNotFound) {
            s = mica::Status::kOk;
          }
          if (spare->vmo) {
            spare = nullptr;  // used by a split
          }
        }
      } else if (!RangeFreeLocked(addr, len)) {
        s = mica::Status::kAlreadyExists;
      }
    } else if (!PlaceLocked(len, &addr)) {
      s = mica::Status::kNoResources;
    }
    if (s == mica::Status::kOk) {
      m->base = addr;
      m->size = len;
      m->vmo_offset = req.vmo_offset;
      m->perms = req.perms;
      m->max_perms = req.max_perms;
      m->vmo = req.vmo;
      m->aspace = aspace();
      mappings_.push_back(m);
      m->vmo->AddMapping(m);
      root_->entries_++;
    }
  }
  delete spare;
  ReleaseDead(&dead, &graveyard);
  if (s != mica::Status::kOk) {
    delete m;
    return s;
  }
  if (req.commit) {
    for (uint64_t off = 0; off < len; off += arch::kPageSize) {
      if (root_->HandlePageFault(addr + off, false, false) != mica::Status::kOk) {
        (void)Unmap(addr, len);
        return mica::Status::kNoMemory;
      }
    }
  }
  *out_addr = addr;
  return mica::Status::kOk;
}

// Unmaps [addr, addr + len) (inside this VMAR): destroys the sub-VMARs in
// it (kInvalidArgs, with nothing changed, if it cuts one) and removes or
// trims the mappings. `spare` serves a split (its vmo is set if used).
mica::Status VmarDispatcher::UnmapLocked(uint64_t addr, uint64_t len, Mapping* spare,
                                         MappingList* dead, VmarList* graveyard) {
  uint64_t end = addr + len;
  for (VmarDispatcher& c : children_) {
    bool overlaps = addr < c.base_ + c.size_ && c.base_ < end;
    if (overlaps && (c.base_ < addr || c.base_ + c.size_ > end)) {
      return mica::Status::kInvalidArgs;
    }
  }
  bool found = false;
  for (auto it = children_.begin(); it != children_.end();) {
    VmarDispatcher* c = &*it;
    ++it;
    if (addr < c->base_ + c->size_ && c->base_ < end) {
      found = true;
      InSameTree(c);
      children_.remove(c);
      c->DestroyLocked(dead, graveyard);
      c->BuryLocked(graveyard);
    }
  }
  arch::UserPageTable& aspace = *this->aspace();
  for (auto it = mappings_.begin(); it != mappings_.end();) {
    Mapping* m = &*it;
    ++it;
    uint64_t mend = m->base + m->size;
    if (mend <= addr || m->base >= end) {
      continue;
    }
    found = true;
    if (m->base >= addr && mend <= end) {
      mappings_.remove(m);
      UnlinkMappingLocked(m, dead);
      continue;
    }
    uint64_t cut_start = m->base > addr ? m->base : addr;
    uint64_t cut_end = mend < end ? mend : end;
    if (m->base < addr && mend > end) {
      if (spare == nullptr || spare->vmo || root_->entries_ >= kMaxEntries) {
        return mica::Status::kNoMemory;
      }
      SplitLocked(m, end, spare);  // m keeps [base, addr) after the trim below
    }
    aspace.Unmap(cut_start, (cut_end - cut_start) / arch::kPageSize);
    if (m->base < addr) {
      m->size = addr - m->base;
    } else {
      m->vmo_offset += end - m->base;
      m->size = mend - end;
      m->base = end;
    }
  }
  return found ? mica::Status::kOk : mica::Status::kNotFound;
}

bool VmarDispatcher::SplitsAMappingLocked(uint64_t addr, uint64_t len) {
  for (Mapping& m : mappings_) {
    if (m.base < addr && m.base + m.size > addr + len) {
      return true;
    }
  }
  return false;
}

mica::Status VmarDispatcher::Unmap(uint64_t addr, uint64_t len) {
  len = (len + (arch::kPageSize - 1)) & ~(arch::kPageSize - 1);
  if ((addr & (arch::kPageSize - 1)) != 0 || len == 0) {
    return mica::Status::kInvalidArgs;
  }
  // A spare mapping is allocated only if the range splits a mapping in two,
  // so that unmapping whole mappings (vmar_map undoing itself when it cannot
  // write the address out) never fails for want of memory.
  Mapping* spare = nullptr;
  MappingList dead;
  VmarList graveyard;
  mica::Status s;
  for (;;) {
    bool need_spare = false;
    {
      IrqGuard g(tree_lock());
      if (dead_) {
        s = mica::Status::kBadState;
      } else if (!Contains(addr, len)) {
        s = mica::Status::kOutOfRange;
      } else if (spare == nullptr && SplitsAMappingLocked(addr, len)) {
        need_spare = true;
      } else {
        s = UnmapLocked(addr, len, spare, &dead, &graveyard);
        if (spare != nullptr && spare->vmo) {
          spare = nullptr;  // used by a split
        }
      }
    }
    if (!need_spare) {
      break;
    }
    mica::AllocChecker ac_spare;
    spare = new (ac_spare) Mapping();
    if (!ac_spare.check()) {
      return mica::Status::kNoMemory;
    }
  }
  delete spare;
  ReleaseDead(&dead, &graveyard);
  return s;
}

mica::Status VmarDispatcher::Protect(uint64_t addr, uint64_t len, uint32_t perms) {
  len = (len + (arch::kPageSize - 1)) & ~(arch::kPageSize - 1);
  if ((addr & (arch::kPageSize - 1)) != 0 || len == 0) {
    return mica::Status::kInvalidArgs;
  }
  if ((PermFlags(perms) & ~flags_) != 0) {
    return mica::Status::kAccessDenied;
  }
  mica::AllocChecker ac0, ac1;
  Mapping* spares[2] = {new (ac0) Mapping(), new (ac1) Mapping()};
  const bool ok_a = ac0.check(), ok_b = ac1.check();
  if (!ok_a || !ok_b) {
    delete spares[0];
    delete spares[1];
    return mica::Status::kNoMemory;
  }
  uint64_t end = addr + len;
  mica::Status s = mica::Status::kOk;
  {
    IrqGuard g(tree_lock());
    if (dead_) {
      s = mica::Status::kBadState;
    } else if (!Contains(addr, len)) {
      s = mica::Status::kOutOfRange;
    } else {
      // Every page must be in one of our own mappings, each allowing `perms`.
      for (uint64_t cur = addr; cur < end && s == mica::Status::kOk;) {
        Mapping* found = nullptr;
        for (Mapping& m : mappings_) {
          if (cur >= m.base && cur - m.base < m.size) {
            found = &m;
            break;
          }
        }
        if (found == nullptr) {
          s = mica::Status::kNotFound;
        } else if ((perms & ~found->max_perms) != 0) {
          s = mica::Status::kAccessDenied;
        } else {
          cur = found->base + found->size;
        }
      }
    }
    if (s == mica::Status::kOk) {
      // Only the mappings holding the ends of the range straddle it.
      Mapping* first = nullptr;
      Mapping* last = nullptr;
      for (Mapping& m : mappings_) {
        if (addr > m.base && addr < m.base + m.size) {
          first = &m;
        }
        if (end > m.base && end < m.base + m.size) {
          last = &m;
        }
      }
      if (root_->entries_ + (first != nullptr) + (last != nullptr) > kMaxEntries) {
        s = mica::Status::kNoMemory;
        first = last = nullptr;
      }
      if (first != nullptr) {
        SplitLocked(first, addr, spares[0]);
        if (last == first) {
          last = spares[0];
        }
        spares[0] = nullptr;
      }
      if (last != nullptr) {
        SplitLocked(last, end, spares[1]);
        spares[1] = nullptr;
      }
      arch::UserPageTable& aspace = *this->aspace();
      for (Mapping& m : mappings_) {
        if (s == mica::Status::kOk && m.base >= addr && m.base + m.size <= end) {
          m.perms = perms;
          // Mapped pages fault again and come back with the new permissions
          // (read-only while a copy-on-write page is shared).
          aspace.Unmap(m.base, m.size / arch::kPageSize);
        }
      }
    }
  }
  delete spares[0];
  delete spares[1];
  return s;
}

mica::Status VmarDispatcher::HandlePageFault(uint64_t addr, bool write, bool execute) {
  IrqGuard g(tree_lock_);
  IsRoot();
  if (dead_ || aspace_ == nullptr) {
    return mica::Status::kNotFound;
  }
  Mapping* m = FindLocked(addr);
  if (m == nullptr) {
    return mica::Status::kNotFound;
  }
  if ((write && !(m->perms & arch::kPermWrite)) || (execute && !(m->perms & arch::kPermExecute)) ||
      !(m->perms & (arch::kPermRead | arch::kPermWrite | arch::kPermExecute))) {
    return mica::Status::kAccessDenied;
  }
  return m->vmo->FaultPage(m, addr & ~(arch::kPageSize - 1), write);
}

struct VmarDispatcher::StatsScan {
  const arch::UserPageTable* aspace;
  mica_info_task_stats_t* st;
  const VmoDispatcher* seen[kStatsDistinctVmos];
  size_t seen_count = 0;
};

void VmarDispatcher::AddTaskStats(const arch::UserPageTable* aspace, mica_info_task_stats_t* st) {
  StatsScan scan{aspace, st, {}, 0};
  IrqGuard g(tree_lock());
  AddTaskStatsLocked(&scan);
}

// Recursion is bounded by the nesting limit (32).
void VmarDispatcher::AddTaskStatsLocked(StatsScan* scan) {
  for (Mapping& m : mappings_) {
    scan->st->mem_mapped_bytes += m.size;
    bool seen = false;
    for (size_t i = 0; i < scan->seen_count && !seen; i++) {
      seen = scan->seen[i] == m.vmo.get();
    }
    if (seen) {
      continue;
    }
    if (scan->seen_count < kStatsDistinctVmos) {
      scan->seen[scan->seen_count++] = m.vmo.get();
    }
    if (m.vmo->MappedOnlyBy(scan->aspace)) {
      scan->st->mem_private_bytes += m.vmo->committed_bytes();
    } else {
      scan->st->mem_shared_bytes += m.vmo->committed_bytes();
    }
  }
  for (VmarDispatcher& child : children_) {
    InSameTree(&child);
    child.AddTaskStatsLocked(scan);
  }
}
