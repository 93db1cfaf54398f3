// HandleTable<T>: one process's handles.
//
// A handle value (uint32_t, never 0) names an entry: a reference to an
// object (RefPtr<T>, T being anything RefPtr accepts, in the kernel the
// common base class of kernel objects), the handle's rights and the object's
// koid. See README.md for the full contract; in short:
//
// Values. A value encodes a slot index and the slot's generation, passed
// through a permutation keyed by the seed given at construction
// (HandleCodec). Freeing a slot (Remove, Replace, Drain) advances its
// generation, so the stale value stops resolving at once, and the same slot
// yields a different value next time. A slot's values repeat only after
// 2^generation_bits() reuses of that slot; free slots are reused in FIFO
// order, so that takes at least 2^generation_bits() * (free slots) frees.
// A value from another table (another seed) resolves only by coincidence
// (probability about count() / 2^32 per guess).
//
// Rights. The entry a live value names never changes: Replace issues a new
// value (and invalidates the old one); Duplicate and Replace only accept a
// subset of the source's rights. So a caller that looked a value up and
// checked its rights can act on the same value later without re-checking.
//
// Locking. The table is internally locked by one lock (a leaf: nothing
// else is acquired under it except the atomic reference count increments of
// Get/Duplicate). Every public method takes it (EXCLUDES). Memory for slots
// comes from the Allocator with the lock released; references are never
// dropped under the lock: removed entries are moved out to the caller, who
// drops them after the call returns.
//
// Storage. Slots live in chunks of kChunkSlots, allocated on demand when
// the free list runs dry, reached through a directory that doubles as it
// grows (never beyond ceil(capacity / kChunkSlots) chunks). Chunks are freed
// only by the destructor. Lookup is O(1): decode, directory, chunk, check.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <new>

#include "kernel/lib/assert.h"
#include "kernel/lib/atomic.h"
#include "kernel/lib/ref_counted.h"
#include "kernel/lib/result.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/status.h"
#include "kernel/lib/thread_annotations.h"
#include "kernel/lib/utility.h"
#include "kernel/object/core/allocator.h"
#include "kernel/object/core/handle_codec.h"
#include "kernel/object/core/koid.h"
#include "kernel/object/core/types.h"

namespace mica::core {

// What a handle holds. Also the form a handle takes while in flight inside a
// channel message (MessageQueue<HandleEntry<T>>), outside any table.
template <typename T>
struct HandleEntry {
  RefPtr<T> object;
  Koid koid = kInvalidKoid;
  Rights rights = 0;
};

// `Lock` is any lock with Acquire()/Release() (Guard<Lock>). The kernel
// passes one that also disables interrupts while held, so a thread holding
// the table's lock is never preempted (another thread on the same CPU would
// otherwise spin on it until the holder ran again).
template <typename T, typename Lock = SpinLock>
class HandleTable {
 public:
  using Entry = HandleEntry<T>;

  static constexpr uint32_t kDefaultCapacity = 65536;
  static constexpr uint32_t kMaxCapacity = 1u << HandleCodec::kMaxIndexBits;
  static constexpr uint32_t kChunkSlots = 32;

  // `alloc` must outlive the table. `seed` keys the value permutation (the
  // kernel passes random bits per process). `capacity` in [1, kMaxCapacity]
  // is the most handles the table holds at once. Allocates nothing.
  HandleTable(const Allocator* alloc, uint64_t seed, uint32_t capacity = kDefaultCapacity)
      : alloc_(alloc),
        codec_(seed, IndexBitsFor(capacity)),
        capacity_(capacity),
        max_chunks_((capacity + kChunkSlots - 1) / kChunkSlots) {
    MICA_ASSERT(capacity >= 1 && capacity <= kMaxCapacity);
  }
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;

  // Drops the references of any entries left (do Drain first to release
  // them elsewhere) and frees the slot storage.
  ~HandleTable() {  // (destructors are not analysed: nobody else can hold a dying table)
    for (uint32_t i = 0; i < num_chunks_; ++i) {
      for (uint32_t j = 0; j < kChunkSlots; ++j) {
        chunks_[i][j].~Slot();
      }
      alloc_->Free(chunks_[i]);
    }
    alloc_->Free(chunks_);
  }

  // Adds `entry` (whose object must not be null). On kOk, `entry` has been
  // moved into the table and *out_value names it. Otherwise `entry` is left
  // as it was. Errors: kBadState (the table was drained), kNoResources
  // (count() == capacity()), kNoMemory.
  Status Add(Entry&& entry, uint32_t* out_value) EXCLUDES(lock_) {
    MICA_ASSERT(entry.object);
    for (;;) {
      {
        Guard<Lock> guard(&lock_);
        TRY(CheckRoomLocked(1));
        if (free_count_ >= 1) {
          *out_value = InstallLocked(Move(entry));
          return Status::kOk;
        }
      }
      TRY(Grow());
    }
  }

  // Adds `count` entries, all or none (the receiving side of a channel
  // read). On kOk every entry was moved in and out_values[i] names
  // entries[i]; otherwise nothing changed. Errors as Add.
  Status AddMany(Entry* entries, size_t count, uint32_t* out_values) EXCLUDES(lock_) {
    for (size_t i = 0; i < count; ++i) {
      MICA_ASSERT(entries[i].object);
    }
    if (count == 0) {
      return Status::kOk;
    }
    for (;;) {
      {
        Guard<Lock> guard(&lock_);
        TRY(CheckRoomLocked(count));
        if (free_count_ >= count) {
          for (size_t i = 0; i < count; ++i) {
            out_values[i] = InstallLocked(Move(entries[i]));
          }
          return Status::kOk;
        }
      }
      TRY(Grow());
    }
  }

  // Copies the entry `value` names (adding a reference) into *out. Whatever
  // *out held before is dropped (after the lock is released); on error *out
  // is left empty. Error: kBadHandle.
  Status Get(uint32_t value, Entry* out) const EXCLUDES(lock_) {
    Entry previous = Move(*out);  // dropped after the lock is released
    Guard<Lock> guard(&lock_);
    Slot* slot = LookupLocked(value, nullptr);
    if (slot == nullptr) {
      return Status::kBadHandle;
    }
    *out = slot->entry;
    return Status::kOk;
  }

  // Removes the handle; its entry is moved to *out (drop it after the call;
  // what *out held before is dropped as in Get). Error: kBadHandle.
  Status Remove(uint32_t value, Entry* out) EXCLUDES(lock_) {
    Entry previous = Move(*out);  // dropped after the lock is released
    Guard<Lock> guard(&lock_);
    uint32_t index;
    Slot* slot = LookupLocked(value, &index);
    if (slot == nullptr) {
      return Status::kBadHandle;
    }
    *out = Move(slot->entry);
    FreeSlotLocked(slot, index);
    return Status::kOk;
  }

  // Removes `count` handles, all or none (the sending side of a channel
  // write): every value must name a live handle, no value may appear twice
  // (kBadHandle), and `check(const Entry&)` must return kOk for each (its
  // first error is returned). `check` runs under the table's lock: it must
  // be quick and take no lock that ranks before the table's. `out` holds
  // `count` empty entries (asserted: nothing may be dropped under the
  // lock); on kOk, out[i] holds the entry values[i] named.
  template <typename Check>
  requires requires(Check& c, const Entry& e) { c(e); }
  Status RemoveMany(const uint32_t* values, size_t count, Check&& check, Entry* out)
      EXCLUDES(lock_) {
    for (size_t i = 0; i < count; ++i) {
      MICA_DEBUG_ASSERT(!out[i].object);
    }
    Guard<Lock> guard(&lock_);
    Status status = Status::kOk;
    size_t marked = 0;
    for (; marked < count; ++marked) {
      Slot* slot = LookupLocked(values[marked], nullptr);
      if (slot == nullptr || slot->link == kMarked) {
        status = Status::kBadHandle;
        break;
      }
      status = check(static_cast<const Entry&>(slot->entry));
      if (status != Status::kOk) {
        break;
      }
      slot->link = kMarked;
    }
    for (size_t i = 0; i < marked; ++i) {
      uint32_t index;
      Slot* slot = LookupLocked(values[i], &index);
      slot->link = kNoSlot;
      if (status == Status::kOk) {
        out[i] = Move(slot->entry);
        FreeSlotLocked(slot, index);
      }
    }
    return status;
  }

  // RemoveMany where each handle must have every right in `required`
  // (kAccessDenied otherwise).
  Status RemoveMany(const uint32_t* values, size_t count, Rights required, Entry* out)
      EXCLUDES(lock_) {
    return RemoveMany(
        values, count,
        [required](const Entry& e) {
          return RightsSubset(required, e.rights) ? Status::kOk : Status::kAccessDenied;
        },
        out);
  }

  // Adds a second handle to the same object with `new_rights`. Errors:
  // kBadHandle; kAccessDenied if the source lacks a right in `required`
  // (the kernel passes its DUPLICATE right); kInvalidArgs if `new_rights`
  // is not a subset of the source's rights; kBadState, kNoResources,
  // kNoMemory as Add.
  Status Duplicate(uint32_t value, Rights required, Rights new_rights, uint32_t* out_value)
      EXCLUDES(lock_) {
    for (;;) {
      {
        Guard<Lock> guard(&lock_);
        Slot* slot = LookupLocked(value, nullptr);
        if (slot == nullptr) {
          return Status::kBadHandle;
        }
        if (!RightsSubset(required, slot->entry.rights)) {
          return Status::kAccessDenied;
        }
        if (!RightsSubset(new_rights, slot->entry.rights)) {
          return Status::kInvalidArgs;
        }
        TRY(CheckRoomLocked(1));
        if (free_count_ >= 1) {
          Entry copy{slot->entry.object, slot->entry.koid, new_rights};
          *out_value = InstallLocked(Move(copy));
          return Status::kOk;
        }
      }
      TRY(Grow());
    }
  }

  // Replaces the handle by one with `new_rights` (a subset of its rights,
  // else kInvalidArgs): `value` stops resolving and *out_value names the
  // same object. Never allocates, works on a drained table too.
  // Errors: kBadHandle, kInvalidArgs (nothing changes on error).
  Status Replace(uint32_t value, Rights new_rights, uint32_t* out_value) EXCLUDES(lock_) {
    Guard<Lock> guard(&lock_);
    uint32_t index;
    Slot* slot = LookupLocked(value, &index);
    if (slot == nullptr) {
      return Status::kBadHandle;
    }
    if (!RightsSubset(new_rights, slot->entry.rights)) {
      return Status::kInvalidArgs;
    }
    slot->entry.rights = new_rights;
    AdvanceGenerationLocked(slot);
    *out_value = IssueLocked(slot, index);
    return Status::kOk;
  }

  // Closes the table for good (Add, AddMany and Duplicate fail with
  // kBadState from now on) and moves up to `max` of its entries to `out`
  // (`max` empty entries; asserted). Returns how many; 0 means the table is
  // empty. The process-death path:
  //   while ((n = table.Drain(batch, kBatch)) != 0) { drop batch[0..n) }
  // Each entry is moved out once; the total work is O(slots ever used).
  size_t Drain(Entry* out, size_t max) EXCLUDES(lock_) {
    for (size_t i = 0; i < max; ++i) {
      MICA_DEBUG_ASSERT(!out[i].object);
    }
    Guard<Lock> guard(&lock_);
    closed_ = true;
    size_t n = 0;
    while (n < max && drain_cursor_ < slot_count_) {
      Slot* slot = SlotLocked(drain_cursor_);
      if (slot->entry.object) {
        out[n++] = Move(slot->entry);
        FreeSlotLocked(slot, drain_cursor_);
      }
      ++drain_cursor_;
    }
    // No entry can appear behind the cursor once the table is closed, so
    // a cursor at the end means the table is empty.
    MICA_DEBUG_ASSERT(drain_cursor_ < slot_count_ || count_ == 0);
    return n;
  }

  // Calls `fn(uint32_t value, const Entry& entry)` for each handle, in slot
  // order, until it returns false. `fn` runs under the table's lock: it
  // must be quick, must not touch user memory and must not call back into
  // the table (get_info copies into a kernel buffer, then to the user).
  // O(slots ever used).
  template <typename Fn>
  void ForEach(Fn&& fn) const EXCLUDES(lock_) {
    Guard<Lock> guard(&lock_);
    for (uint32_t i = 0; i < slot_count_; ++i) {
      const Slot* slot = SlotLocked(i);
      if (slot->entry.object) {
        if (!fn(codec_.Encode(i, slot->generation), static_cast<const Entry&>(slot->entry))) {
          return;
        }
      }
    }
  }

  // How many times a value has stopped resolving (Remove, RemoveMany,
  // Replace, Drain). Read without the lock, for lookup caches: a caller
  // that read this count, then looked `value` up, may reuse that entry for
  // as long as the count reads the same (the entry a value names never
  // changes while it resolves). Acquire order, so a removal the caller
  // learned of through any lock is seen.
  uint64_t invalidations() const { return invalidations_.load(mica::kAcquire); }

  // The number of live handles.
  size_t count() const EXCLUDES(lock_) {
    Guard<Lock> guard(&lock_);
    return count_;
  }
  size_t capacity() const { return capacity_; }
  // Slots allocated so far (live + free); the memory used is about
  // slots_allocated() * 32 bytes.
  size_t slots_allocated() const EXCLUDES(lock_) {
    Guard<Lock> guard(&lock_);
    return slot_count_;
  }
  bool closed() const EXCLUDES(lock_) {
    Guard<Lock> guard(&lock_);
    return closed_;
  }
  // The number of generation bits in a value: 32 - ceil(log2(capacity)).
  uint32_t generation_bits() const { return codec_.generation_bits(); }

 private:
  static constexpr uint32_t kNoSlot = 0xffffffffu;
  static constexpr uint32_t kMarked = 0xfffffffeu;

  struct Slot {
    Entry entry;          // entry.object is null iff the slot is free
    uint32_t generation;  // of the live value, or of the next one if free
    // Free slot: the next free slot (FIFO free list) or kNoSlot.
    // Live slot: kNoSlot, or kMarked during RemoveMany's checking pass.
    uint32_t link;
  };

  static uint32_t IndexBitsFor(uint32_t capacity) {
    uint32_t bits = 0;
    while (bits < 32 && (uint64_t{1} << bits) < capacity) {
      ++bits;
    }
    return bits;
  }
  uint32_t NextGeneration(uint32_t g) const { return (g + 1) & codec_.generation_mask(); }

  Slot* SlotLocked(uint32_t index) const REQUIRES(lock_) {
    return &chunks_[index / kChunkSlots][index % kChunkSlots];
  }

  // The live slot `value` names (and its index), or nullptr.
  Slot* LookupLocked(uint32_t value, uint32_t* out_index) const REQUIRES(lock_) {
    if (value == 0) {
      return nullptr;
    }
    uint32_t index;
    uint32_t generation;
    codec_.Decode(value, &index, &generation);
    if (index >= slot_count_) {
      return nullptr;
    }
    Slot* slot = SlotLocked(index);
    if (!slot->entry.object || slot->generation != generation) {
      return nullptr;
    }
    if (out_index != nullptr) {
      *out_index = index;
    }
    return slot;
  }

  Status CheckRoomLocked(size_t count) const REQUIRES(lock_) {
    if (closed_) {
      return Status::kBadState;
    }
    if (count > capacity_ - count_) {
      return Status::kNoResources;
    }
    return Status::kOk;
  }

  // The value of the live slot: its generation is moved past the single
  // (index, generation) pair that would encode as 0.
  uint32_t IssueLocked(Slot* slot, uint32_t index) REQUIRES(lock_) {
    if (codec_.IsZero(index, slot->generation)) {
      slot->generation = NextGeneration(slot->generation);
    }
    return codec_.Encode(index, slot->generation);
  }

  // Takes the oldest free slot (free_count_ > 0) and fills it.
  uint32_t InstallLocked(Entry&& entry) REQUIRES(lock_) {
    uint32_t index = free_head_;
    Slot* slot = SlotLocked(index);
    free_head_ = slot->link;
    if (free_head_ == kNoSlot) {
      free_tail_ = kNoSlot;
    }
    slot->link = kNoSlot;
    slot->entry = Move(entry);
    --free_count_;
    ++count_;
    return IssueLocked(slot, index);
  }

  // A slot whose entry was moved out goes to the back of the free list with
  // the next generation.
  void FreeSlotLocked(Slot* slot, uint32_t index) REQUIRES(lock_) {
    MICA_DEBUG_ASSERT(!slot->entry.object);
    AdvanceGenerationLocked(slot);
    PushFreeLocked(slot, index);
    --count_;
  }

  // Every value of the slot stops resolving; counted in invalidations_.
  void AdvanceGenerationLocked(Slot* slot) REQUIRES(lock_) {
    slot->generation = NextGeneration(slot->generation);
    invalidations_.store(invalidations_.load(mica::kRelaxed) + 1, mica::kRelease);
  }

  void PushFreeLocked(Slot* slot, uint32_t index) REQUIRES(lock_) {
    slot->link = kNoSlot;
    if (free_tail_ == kNoSlot) {
      free_head_ = index;
    } else {
      SlotLocked(free_tail_)->link = index;
    }
    free_tail_ = index;
    ++free_count_;
  }

  // Adds one chunk of free slots (or lets the caller retry if another thread
  // grew the table meanwhile). Allocates and frees with the lock released.
  Status Grow() EXCLUDES(lock_) {
    uint32_t new_dir_capacity = 0;
    {
      Guard<Lock> guard(&lock_);
      if (num_chunks_ == max_chunks_) {
        return Status::kOk;
      }
      if (num_chunks_ == dir_capacity_) {
        new_dir_capacity = Min(Max(dir_capacity_ * 2, 8u), max_chunks_);
      }
    }
    Slot* chunk = static_cast<Slot*>(alloc_->Alloc(kChunkSlots * sizeof(Slot), alignof(Slot)));
    if (chunk == nullptr) {
      return Status::kNoMemory;
    }
    for (uint32_t j = 0; j < kChunkSlots; ++j) {
      new (&chunk[j]) Slot{Entry{}, 0, kNoSlot};
    }
    Slot** new_dir = nullptr;
    if (new_dir_capacity != 0) {
      new_dir =
          static_cast<Slot**>(alloc_->Alloc(new_dir_capacity * sizeof(Slot*), alignof(Slot*)));
      if (new_dir == nullptr) {
        DestroyChunk(chunk);
        return Status::kNoMemory;
      }
    }
    Slot** old_dir = nullptr;
    bool installed = false;
    {
      Guard<Lock> guard(&lock_);
      if (num_chunks_ < max_chunks_) {
        if (num_chunks_ == dir_capacity_ && new_dir_capacity > dir_capacity_) {
          for (uint32_t i = 0; i < num_chunks_; ++i) {
            new_dir[i] = chunks_[i];
          }
          old_dir = chunks_;
          chunks_ = new_dir;
          dir_capacity_ = new_dir_capacity;
          new_dir = nullptr;
        }
        if (num_chunks_ < dir_capacity_) {
          uint32_t base = num_chunks_ * kChunkSlots;
          chunks_[num_chunks_++] = chunk;
          for (uint32_t j = 0; j < kChunkSlots && base + j < capacity_; ++j) {
            PushFreeLocked(&chunk[j], base + j);
            ++slot_count_;
          }
          installed = true;
        }
      }
    }
    alloc_->Free(old_dir);
    alloc_->Free(new_dir);
    if (!installed) {
      DestroyChunk(chunk);
    }
    return Status::kOk;
  }

  void DestroyChunk(Slot* chunk) {
    for (uint32_t j = 0; j < kChunkSlots; ++j) {
      chunk[j].~Slot();
    }
    alloc_->Free(chunk);
  }

  const Allocator* const alloc_;
  const HandleCodec codec_;
  const uint32_t capacity_;
  const uint32_t max_chunks_;

  mutable Lock lock_;
  Slot** chunks_ GUARDED_BY(lock_) = nullptr;  // the directory
  uint32_t dir_capacity_ GUARDED_BY(lock_) = 0;
  uint32_t num_chunks_ GUARDED_BY(lock_) = 0;
  uint32_t slot_count_ GUARDED_BY(lock_) = 0;  // slots [0, slot_count_) exist
  uint32_t count_ GUARDED_BY(lock_) = 0;       // live slots
  uint32_t free_count_ GUARDED_BY(lock_) = 0;  // slot_count_ - count_
  uint32_t free_head_ GUARDED_BY(lock_) = kNoSlot;
  uint32_t free_tail_ GUARDED_BY(lock_) = kNoSlot;
  uint32_t drain_cursor_ GUARDED_BY(lock_) = 0;
  bool closed_ GUARDED_BY(lock_) = false;
  // Written under the lock, read without it (invalidations()).
  mica::Atomic<uint64_t> invalidations_;
};

}  // namespace mica::core
