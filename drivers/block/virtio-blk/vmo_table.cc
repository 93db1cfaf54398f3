// Attached, pinned client VMOs; see vmo_table.h.
#include "drivers/block/virtio-blk/vmo_table.h"

#include <stdlib.h>

namespace mica::virtio {

void ReleasePinned(PinnedVmo* vmo) {
  if (vmo == nullptr || --vmo->refs != 0) {
    return;
  }
  vmo->pinner->Unpin(vmo->token);
  free(vmo->pages);
  delete vmo;
}

VmoTable::~VmoTable() {
  for (PinnedVmo*& slot : slots_) {
    ReleasePinned(slot);
    slot = nullptr;
  }
}

Status VmoTable::Attach(uint64_t vmo, uint64_t size, uint32_t* id) {
  if (size == 0 || size % kPinPageSize != 0 || size > kMaxAttachBytes) {
    return Status::kInvalidArgs;
  }
  uint32_t free_id = kMaxVmos;
  for (uint32_t i = 0; i < kMaxVmos && free_id == kMaxVmos; i++) {
    if (slots_[i] == nullptr) {
      free_id = i;
    }
  }
  if (free_id == kMaxVmos) {
    return Status::kNoResources;
  }
  auto* pinned = new PinnedVmo;
  pinned->pages = static_cast<uint64_t*>(calloc(size / kPinPageSize, sizeof(uint64_t)));
  if (pinned->pages == nullptr) {
    delete pinned;
    return Status::kNoResources;
  }
  if (Status s = pinner_.Pin(vmo, size, pinned->pages, &pinned->token); s != Status::kOk) {
    free(pinned->pages);
    delete pinned;
    return s;
  }
  pinned->pinner = &pinner_;
  pinned->size = size;
  pinned->refs = 1;
  slots_[free_id] = pinned;
  *id = free_id;
  return Status::kOk;
}

Status VmoTable::Detach(uint32_t id) {
  if (!attached(id)) {
    return Status::kNotFound;
  }
  ReleasePinned(slots_[id]);
  slots_[id] = nullptr;
  return Status::kOk;
}

PinnedVmo* VmoTable::Acquire(uint32_t id) {
  if (!attached(id)) {
    return nullptr;
  }
  slots_[id]->refs++;
  return slots_[id];
}

}  // namespace mica::virtio
