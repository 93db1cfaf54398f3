// Intrusive doubly-linked list.
//
//   struct Thread {
//     mica::ListNode run_node;
//   };
//   mica::List<Thread, &Thread::run_node> run_queue;
//
// The list never allocates and never owns its elements: it links the
// ListNode embedded in each element. An element can be on as many lists as it
// has ListNode members, and on at most one list per node.
//
// Representation: a circular list through a sentinel node owned by the List;
// an empty list's sentinel points to itself. A node that is not on any list
// has next == prev == nullptr, which InContainer() reports.
//
// Invariants (checked by MICA_DEBUG_ASSERT):
//   - insertions take nodes that are not InContainer();
//   - removals take nodes whose neighbours point back at them.
// A List is trivially destructible (so it can live in constant-initialized
// kernel globals); destroying a non-empty list leaves its elements' nodes
// pointing at it, so owners clear() it first.
// The list is not thread-safe; the owner's lock protects it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/assert.h"

namespace mica {

struct ListNode {
  constexpr ListNode() = default;
  // Copying an element must not copy its links.
  ListNode(const ListNode&) : ListNode() {}
  ListNode& operator=(const ListNode&) { return *this; }

  bool InContainer() const { return next != nullptr; }

  ListNode* prev = nullptr;
  ListNode* next = nullptr;
};

template <typename T, ListNode T::*Node>
class List {
 public:
  class Iterator {
   public:
    Iterator() = default;
    T& operator*() const { return *list_->FromNode(node_); }
    T* operator->() const { return list_->FromNode(node_); }
    Iterator& operator++() {
      node_ = node_->next;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      node_ = node_->next;
      return old;
    }
    Iterator& operator--() {
      node_ = node_->prev;
      return *this;
    }
    bool operator==(const Iterator& o) const { return node_ == o.node_; }
    bool operator!=(const Iterator& o) const { return node_ != o.node_; }

   private:
    friend class List;
    Iterator(const List* list, ListNode* node) : list_(list), node_(node) {}
    const List* list_ = nullptr;
    ListNode* node_ = nullptr;
  };

  constexpr List() : sentinel_{} {
    sentinel_.prev = &sentinel_;
    sentinel_.next = &sentinel_;
  }
  List(const List&) = delete;
  List& operator=(const List&) = delete;

  [[gnu::always_inline]] bool empty() const { return sentinel_.next == &sentinel_; }
  size_t size() const { return size_; }

  T* front() const { return empty() ? nullptr : FromNode(sentinel_.next); }
  T* back() const { return empty() ? nullptr : FromNode(sentinel_.prev); }

  [[gnu::always_inline]] void push_front(T* obj) { LinkAfter(&sentinel_, obj); }
  [[gnu::always_inline]] void push_back(T* obj) { LinkAfter(sentinel_.prev, obj); }
  // Inserts `obj` before / after `pos`, which must be on this list.
  void insert_before(T* pos, T* obj) { LinkAfter(CheckedNode(pos)->prev, obj); }
  void insert_after(T* pos, T* obj) { LinkAfter(CheckedNode(pos), obj); }
  // Inserts `obj` before the element `pos` designates (end(): at the back).
  void insert(Iterator pos, T* obj) { LinkAfter(pos.node_->prev, obj); }

  // Remove and return the first / last element, or nullptr if empty.
  [[gnu::always_inline]] T* pop_front() {
    if (empty()) {
      return nullptr;
    }
    T* obj = FromNode(sentinel_.next);
    Unlink(sentinel_.next);
    return obj;
  }
  T* pop_back() {
    if (empty()) {
      return nullptr;
    }
    T* obj = FromNode(sentinel_.prev);
    Unlink(sentinel_.prev);
    return obj;
  }

  // Removes `obj`, which must be on this list.
  [[gnu::always_inline]] void remove(T* obj) { Unlink(CheckedNode(obj)); }
  // Removes the element `it` designates; returns an iterator to the next.
  Iterator erase(Iterator it) {
    ListNode* next = it.node_->next;
    Unlink(CheckedLinked(it.node_));
    return Iterator(this, next);
  }
  // Unlinks every element.
  void clear() {
    while (!empty()) {
      Unlink(sentinel_.next);
    }
  }

  // The element after / before `obj` on this list, or nullptr at the end.
  T* next(T* obj) const {
    ListNode* n = CheckedNode(obj)->next;
    return n == &sentinel_ ? nullptr : FromNode(n);
  }
  T* prev(T* obj) const {
    ListNode* n = CheckedNode(obj)->prev;
    return n == &sentinel_ ? nullptr : FromNode(n);
  }

  Iterator begin() const { return Iterator(this, sentinel_.next); }
  Iterator end() const { return Iterator(this, const_cast<ListNode*>(&sentinel_)); }

 private:
  [[gnu::always_inline]] static ListNode* ToNode(T* obj) { return &(obj->*Node); }
  [[gnu::always_inline]] static ListNode* CheckedLinked(ListNode* n) {
    MICA_DEBUG_ASSERT_MSG(n->InContainer() && n->next->prev == n && n->prev->next == n,
                          "list node is not linked consistently");
    return n;
  }
  [[gnu::always_inline]] static ListNode* CheckedNode(T* obj) { return CheckedLinked(ToNode(obj)); }

  // The node-to-element conversion needs the offset of the node inside T.
  // It is measured on real elements as they are inserted (every element
  // reachable from the list was inserted, so the offset is known whenever
  // it is needed). This avoids offsetof on non-standard-layout types.
  [[gnu::always_inline]] void RecordOffset(T* obj) {
    offset_ = reinterpret_cast<uintptr_t>(ToNode(obj)) - reinterpret_cast<uintptr_t>(obj);
  }
  [[gnu::always_inline]] T* FromNode(ListNode* n) const {
    return reinterpret_cast<T*>(reinterpret_cast<uintptr_t>(n) - offset_);
  }

  [[gnu::always_inline]] void LinkAfter(ListNode* pos, T* obj) {
    ListNode* n = ToNode(obj);
    MICA_DEBUG_ASSERT_MSG(!n->InContainer(), "list node is already in a container");
    RecordOffset(obj);
    n->prev = pos;
    n->next = pos->next;
    pos->next->prev = n;
    pos->next = n;
    ++size_;
  }
  [[gnu::always_inline]] void Unlink(ListNode* n) {
    CheckedLinked(n);
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = nullptr;
    n->next = nullptr;
    --size_;
  }
  ListNode sentinel_;
  size_t size_ = 0;
  uintptr_t offset_ = 0;
};

}  // namespace mica
