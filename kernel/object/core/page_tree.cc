#include "kernel/object/core/page_tree.h"

#include "kernel/lib/assert.h"

namespace mica::core {

PageTree::~PageTree() {
  uint64_t index = 0, value;
  while (Next(index, Capacity(), &index, &value)) {
    Clear(index);
    index++;
  }
  MICA_ASSERT(root_ == nullptr && nodes_ == 0);
}

unsigned PageTree::HeightFor(uint64_t index) {
  unsigned h = 1;
  while (h < kMaxHeight && (index >> (kBits * h)) != 0) {
    h++;
  }
  return h;
}

PageTree::Node* PageTree::NewNode() {
  auto* n = static_cast<Node*>(alloc_->Alloc(sizeof(Node), alignof(Node)));
  if (n == nullptr) {
    return nullptr;
  }
  for (uint64_t i = 0; i < kFanout; i++) {
    n->slot[i] = 0;
  }
  n->used = 0;
  nodes_++;
  return n;
}

void PageTree::FreeNode(Node* n) {
  alloc_->Free(n);
  nodes_--;
}

uint64_t PageTree::Get(uint64_t index) const {
  if (index >= Capacity()) {
    return 0;
  }
  const Node* n = root_;
  for (unsigned level = height_; level > 1; level--) {
    n = reinterpret_cast<const Node*>(n->slot[Digit(index, level)]);
    if (n == nullptr) {
      return 0;
    }
  }
  return n->slot[Digit(index, 1)];
}

void PageTree::PruneEmpty(Node* const* path, unsigned depth, uint64_t index) {
  while (depth > 0 && path[depth - 1]->used == 0) {
    FreeNode(path[depth - 1]);
    depth--;
    if (depth == 0) {
      root_ = nullptr;
      height_ = 0;
    } else {
      Node* parent = path[depth - 1];
      parent->slot[Digit(index, height_ - (depth - 1))] = 0;
      parent->used--;
    }
  }
}

Status PageTree::Set(uint64_t index, uint64_t value) {
  MICA_ASSERT(value != 0 && index < kMaxIndex);
  unsigned needed = HeightFor(index);
  if (root_ == nullptr) {
    root_ = NewNode();
    if (root_ == nullptr) {
      return Status::kNoMemory;
    }
    height_ = needed;
  }
  // Grow: a new root over the old one (slot 0) per missing level. A taller
  // tree than needed holds the same values: nothing to undo on failure.
  while (height_ < needed) {
    Node* n = NewNode();
    if (n == nullptr) {
      return Status::kNoMemory;
    }
    n->slot[0] = reinterpret_cast<uint64_t>(root_);
    n->used = 1;
    root_ = n;
    height_++;
  }
  Node* path[kMaxHeight];
  unsigned depth = 0;
  Node* n = root_;
  for (unsigned level = height_; level > 1; level--) {
    path[depth++] = n;
    uint64_t* link = &n->slot[Digit(index, level)];
    if (*link == 0) {
      Node* child = NewNode();
      if (child == nullptr) {
        PruneEmpty(path, depth, index);  // the nodes made for this call
        return Status::kNoMemory;
      }
      *link = reinterpret_cast<uint64_t>(child);
      n->used++;
    }
    n = reinterpret_cast<Node*>(*link);
  }
  uint64_t* slot = &n->slot[Digit(index, 1)];
  if (*slot == 0) {
    n->used++;
    count_++;
  }
  *slot = value;
  return Status::kOk;
}

uint64_t PageTree::Clear(uint64_t index) {
  if (index >= Capacity()) {
    return 0;
  }
  Node* path[kMaxHeight];
  unsigned depth = 0;
  Node* n = root_;
  for (unsigned level = height_; level > 1; level--) {
    path[depth++] = n;
    n = reinterpret_cast<Node*>(n->slot[Digit(index, level)]);
    if (n == nullptr) {
      return 0;
    }
  }
  path[depth++] = n;
  uint64_t* slot = &n->slot[Digit(index, 1)];
  uint64_t old = *slot;
  if (old == 0) {
    return 0;
  }
  *slot = 0;
  n->used--;
  count_--;
  PruneEmpty(path, depth, index);
  return old;
}

bool PageTree::Next(uint64_t from, uint64_t to, uint64_t* index, uint64_t* value) const {
  uint64_t i = from;
  uint64_t end = to < Capacity() ? to : Capacity();
  while (i < end) {
    // Down from the root; a node with nothing at or after i's slot sends i
    // to the end of that node's span and the walk starts again.
    const Node* n = root_;
    bool restart = false;
    for (unsigned level = height_; level >= 1; level--) {
      uint64_t child_span = uint64_t{1} << (kBits * (level - 1));
      unsigned d = Digit(i, level);
      unsigned k = d;
      while (k < kFanout && n->slot[k] == 0) {
        k++;
      }
      uint64_t node_base = i & ~(child_span * kFanout - 1);
      if (k == kFanout) {
        i = node_base + child_span * kFanout;
        restart = true;
        break;
      }
      if (k != d) {
        i = node_base + child_span * k;  // the start of the next slot in use
      }
      if (level == 1) {
        if (i >= end) {
          return false;
        }
        *index = i;
        *value = n->slot[k];
        return true;
      }
      n = reinterpret_cast<const Node*>(n->slot[k]);
    }
    MICA_ASSERT(restart);
  }
  return false;
}

}  // namespace mica::core
