// Virtual memory objects: demand-paged anonymous memory. Pages are
// committed (allocated and zeroed) on first touch: a fault in a mapping or
// a vmo_write; a vmo_read of a page never written reads zeros without
// committing it.
//
// Lock order: Process::vm_lock_ -> VmoDispatcher::lock_ (Dispatcher::lock_)
// -> the user page table's lock.
#pragma once

#include "kernel/lib/list.h"
#include "kernel/object/dispatcher.h"

class VmoDispatcher;
class Process;

// One mapping of a VMO range into a process's address space.
struct Mapping {
  mica::ListNode process_node;  // on the process's mapping list
  mica::ListNode vmo_node;      // on the VMO's mapping list
  uint64_t base = 0;            // user address, page aligned
  uint64_t size = 0;            // bytes, page multiple
  uint64_t vmo_offset = 0;      // page aligned
  uint32_t perms = 0;           // arch::kPerm*
  mica::RefPtr<VmoDispatcher> vmo;
  Process* process = nullptr;
};

class VmoDispatcher final : public Dispatcher {
 public:
  // Largest VMO: 64 GiB (its page array is allocated up front).
  static constexpr uint64_t kMaxSize = 64ull << 30;
  static mica::Status Create(uint64_t size, uint32_t options, mica::RefPtr<VmoDispatcher>* out);
  ~VmoDispatcher() override;
  mica_rights_t default_rights() const override { return MICA_DEFAULT_VMO_RIGHTS; }

  uint64_t size() const;
  // Copies between the VMO and user memory. kOutOfRange past the end,
  // kInvalidArgs for a bad user buffer, kNoMemory.
  mica::Status ReadToUser(uint64_t offset, uint64_t user_dst, size_t len);
  mica::Status WriteFromUser(uint64_t offset, uint64_t user_src, size_t len);
  // The physical page at page index `index`, committing it (zeroed).
  // kOutOfRange past the end, kNoMemory.
  mica::Status CommitPage(uint64_t index, uint64_t* pa);
  // Grows or shrinks a resizable VMO (kNotSupported otherwise); pages past
  // the new end are unmapped from every mapping and freed.
  mica::Status SetSize(uint64_t size);

  void AddMapping(Mapping* m);
  void RemoveMapping(Mapping* m);

  // For MICA_INFO_TASK_STATS: the bytes committed to the VMO, and whether
  // every mapping of it belongs to `process`.
  uint64_t committed_bytes() const;
  bool MappedOnlyBy(const Process* process) const;

 private:
  VmoDispatcher() : Dispatcher(MICA_OBJ_TYPE_VMO, 0) {}

  uint64_t* pages_ = nullptr;  // guarded by lock_: physical addresses, 0 = not committed
  uint64_t page_count_ = 0;    // guarded by lock_
  uint64_t committed_ = 0;     // guarded by lock_: pages_ entries that are not 0
  bool resizable_ = false;
  mica::List<Mapping, &Mapping::vmo_node> mappings_;  // guarded by lock_
};
