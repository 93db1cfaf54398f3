// The fake pinner; see fake_pinner.h.
#include "drivers/virtio/testing/fake_pinner.h"

#include <algorithm>
#include <random>

namespace mica::virtio::testing {

FakePinner::~FakePinner() {
  for (auto& [token, buffers] : pins_) {
    for (const DmaBuffer& b : buffers) {
      dma_.Free(b);
    }
  }
}

std::vector<uint64_t> FakePinner::Order(uint64_t pages) const {
  std::vector<uint64_t> order(pages);
  for (uint64_t i = 0; i < pages; i++) {
    order[i] = layout == Layout::kReversed ? pages - 1 - i : i;
  }
  if (layout == Layout::kRuns) {
    std::mt19937 rng(seed);
    std::vector<std::vector<uint64_t>> runs;
    for (uint64_t i = 0; i < pages;) {
      const uint64_t n = std::min<uint64_t>(1 + rng() % 5, pages - i);
      runs.emplace_back(order.begin() + static_cast<long>(i),
                        order.begin() + static_cast<long>(i + n));
      i += n;
    }
    std::shuffle(runs.begin(), runs.end(), rng);
    order.clear();
    for (const auto& run : runs) {
      order.insert(order.end(), run.begin(), run.end());
    }
  }
  return order;
}

Status FakePinner::Pin(uint64_t vmo, uint64_t size, uint64_t* pages, uint64_t* token) {
  last_vmo_ = vmo;
  if (fail_next != Status::kOk) {
    const Status s = fail_next;
    fail_next = Status::kOk;
    return s;
  }
  if (size == 0 || size % kPinPageSize != 0) {
    return Status::kInvalidArgs;
  }
  const uint64_t count = size / kPinPageSize;
  std::vector<DmaBuffer> buffers;
  if (layout == Layout::kScattered) {
    for (uint64_t i = 0; i < count; i++) {
      DmaBuffer b;
      if (!dma_.Allocate(kPinPageSize, kPinPageSize, &b)) {
        for (const DmaBuffer& done : buffers) {
          dma_.Free(done);
        }
        return Status::kNoResources;
      }
      pages[i] = b.device_addr;
      buffers.push_back(b);
    }
  } else {
    DmaBuffer pool;
    if (!dma_.Allocate(size, kPinPageSize, &pool)) {
      return Status::kNoResources;
    }
    // Where page i of the VMO sits: the i-th slot of the order.
    const std::vector<uint64_t> order = Order(count);
    for (uint64_t i = 0; i < count; i++) {
      pages[i] = pool.device_addr + order[i] * kPinPageSize;
    }
    buffers.push_back(pool);
  }
  *token = next_token_++;
  pins_.emplace(*token, std::move(buffers));
  return Status::kOk;
}

void FakePinner::Unpin(uint64_t token) {
  auto it = pins_.find(token);
  if (it == pins_.end()) {
    bad_unpins_++;
    return;
  }
  for (const DmaBuffer& b : it->second) {
    dma_.Free(b);
  }
  pins_.erase(it);
}

}  // namespace mica::virtio::testing
