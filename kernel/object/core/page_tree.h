// PageTree: the committed pages of a VMO, sparse: a radix tree of 16-slot
// nodes (136 bytes) over page indexes, whose height follows the largest
// index stored (1 level: 16 pages, 2: 256, 3: 4096 = 16 MiB, ..., 6: 16 Mi
// pages = 64 GiB). Nodes are allocated when a value is first stored under
// them and freed as soon as they hold nothing, so the memory a tree uses
// follows the values it holds (at most one node per level per value, about
// 9 bytes per value when they are dense), never the range they are spread
// over. An empty tree holds no memory at all. (16 slots rather than 64:
// small VMOs, the common case, pay for one small node, and a lone page far
// out costs 6 x 136 bytes, not 4 x 520; lookups are a level or two deeper.)
//
// Values are nonzero 64-bit words (physical page addresses for a VMO); 0
// means "no value". The tree never interprets them: its owner releases what
// they stand for before clearing them.
//
// Every operation is iterative, with a bounded path (kMaxHeight levels):
// Get, Set, Clear O(height); Next O(height x 64) per node skipped. Set is
// the only operation that allocates; when it fails (kNoMemory), the tree
// holds the same values as before and no node that holds nothing.
//
// Locking: none inside; the owner serialises every call.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/status.h"
#include "kernel/object/core/allocator.h"

namespace mica::core {

class PageTree {
 public:
  static constexpr unsigned kBits = 4;
  static constexpr uint64_t kFanout = uint64_t{1} << kBits;
  static constexpr unsigned kMaxHeight = 6;
  // Indexes Set accepts: [0, kMaxIndex).
  static constexpr uint64_t kMaxIndex = uint64_t{1} << (kBits * kMaxHeight);

  explicit PageTree(const Allocator* alloc) : alloc_(alloc) {}
  // Frees every node; the values still held are dropped (not released).
  ~PageTree();
  PageTree(const PageTree&) = delete;
  PageTree& operator=(const PageTree&) = delete;

  // The value at `index`, or 0.
  uint64_t Get(uint64_t index) const;
  // Stores `value` (nonzero) at `index` (< kMaxIndex), replacing any.
  // kNoMemory if a node could not be allocated (nothing changed then).
  Status Set(uint64_t index, uint64_t value);
  // Removes the value at `index` and returns it (0 if there was none);
  // frees the nodes that held only it.
  uint64_t Clear(uint64_t index);
  // The first index in [from, to) holding a value: true and *index,
  // *value set, or false.
  bool Next(uint64_t from, uint64_t to, uint64_t* index, uint64_t* value) const;

  uint64_t count() const { return count_; }  // values held
  size_t nodes() const { return nodes_; }    // nodes allocated
  static constexpr size_t kNodeBytes = (kFanout + 1) * sizeof(uint64_t);

 private:
  struct Node {
    uint64_t slot[kFanout];  // leaves: values; inner nodes: child Node*
    uint64_t used;           // nonzero slots
  };

  static unsigned Digit(uint64_t index, unsigned level) {
    return static_cast<unsigned>(index >> (kBits * (level - 1))) & (kFanout - 1);
  }
  static unsigned HeightFor(uint64_t index);
  uint64_t Capacity() const { return height_ == 0 ? 0 : uint64_t{1} << (kBits * height_); }
  Node* NewNode();
  void FreeNode(Node* n);
  // Frees, bottom up, the nodes on `index`'s path that hold nothing; path[i]
  // is the node at depth i (the root is path[0]).
  void PruneEmpty(Node* const* path, unsigned depth, uint64_t index);

  const Allocator* alloc_;
  Node* root_ = nullptr;
  unsigned height_ = 0;  // levels under root_ (0 when empty)
  uint64_t count_ = 0;
  size_t nodes_ = 0;
};

}  // namespace mica::core
