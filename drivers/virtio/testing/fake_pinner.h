// A fake Pinner (drivers/virtio/lib/pinner.h) for host tests: "pins" a VMO
// by handing out pages of FakeDma memory, so the fake device reads and
// writes them through the same made-up device addresses as everything
// else, in a layout the test picks.
//
// Contract:
// - Layouts: kAdjacent (page i+1 right after page i: everything merges),
//   kReversed (descending: nothing merges), kScattered (every page its own
//   FakeDma allocation with a guard page between: nothing merges, and a
//   stray access past a page is caught), kRuns (runs of 1..5 adjacent
//   pages in a shuffled order, fixed by `seed`).
// - fail_next makes the next Pin fail with that status. live() counts
//   pins not yet unpinned; unpinning an unknown or already unpinned token
//   counts in bad_unpins().
#pragma once

#include <stdint.h>

#include <map>
#include <vector>

#include "drivers/virtio/lib/pinner.h"
#include "drivers/virtio/testing/fake_dma.h"

namespace mica::virtio::testing {

class FakePinner final : public Pinner {
 public:
  enum class Layout { kAdjacent, kReversed, kScattered, kRuns };

  explicit FakePinner(FakeDma& dma) : dma_(dma) {}
  ~FakePinner() override;

  Status Pin(uint64_t vmo, uint64_t size, uint64_t* pages, uint64_t* token) override;
  void Unpin(uint64_t token) override;

  Layout layout = Layout::kAdjacent;
  uint32_t seed = 1;
  Status fail_next = Status::kOk;

  size_t live() const { return pins_.size(); }
  uint64_t bad_unpins() const { return bad_unpins_; }
  uint64_t last_vmo() const { return last_vmo_; }

 private:
  std::vector<uint64_t> Order(uint64_t pages) const;

  FakeDma& dma_;
  std::map<uint64_t, std::vector<DmaBuffer>> pins_;  // token -> its allocations
  uint64_t next_token_ = 1;
  uint64_t bad_unpins_ = 0;
  uint64_t last_vmo_ = 0;
};

}  // namespace mica::virtio::testing
