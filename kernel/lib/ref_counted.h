// Intrusive reference counting: RefCounted<T>, RefPtr<T>, AdoptRef().
//
//   class Channel : public mica::RefCounted<Channel> { ... };
//   mica::RefPtr<Channel> ch = mica::AdoptRef(new Channel(...));
//   mica::RefPtr<Channel> other = ch;          // AddRef
//   ch.reset();                                // Release; deletes on last
//
// Lifecycle: a new object's count starts at 1, owned by whoever created it.
// AdoptRef() hands that first reference to a RefPtr without incrementing.
// RefPtr<T>(T*) on an already adopted object adds a reference (e.g. for
// `this`). Release() reports whether it dropped the last reference; RefPtr
// then deletes the object with `delete`, so the object's destructor runs
// with no references left (and no way to gain one: AddRef on a dead object
// asserts).
//
// Memory order: AddRef is relaxed (a reference can only be copied from an
// existing one); Release is acq_rel so that every access made through other
// references happens before the destructor.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/assert.h"
#include "kernel/lib/atomic.h"
#include "kernel/lib/utility.h"

namespace mica {

template <typename T>
class RefCounted {
 public:
  RefCounted(const RefCounted&) = delete;
  RefCounted& operator=(const RefCounted&) = delete;

  void AddRef() const {
    int32_t old = ref_count_.fetch_add(1, mica::kRelaxed);
    MICA_DEBUG_ASSERT_MSG(old >= 1, "AddRef on an object with no references");
    (void)old;
  }
  // Takes a reference unless none is left (the object is being destroyed):
  // for lists of raw pointers whose objects unlink themselves in their
  // destructor, under the list's lock. The caller balances a true return
  // with Release().
  [[nodiscard]] bool TryAddRef() const {
    int32_t old = ref_count_.load(mica::kRelaxed);
    do {
      if (old == 0) {
        return false;
      }
    } while (!ref_count_.compare_exchange_weak(&old, old + 1, mica::kRelaxed, mica::kRelaxed));
    return true;
  }
  // Drops one reference. Returns true if it was the last one: the caller
  // must then destroy the object.
  [[nodiscard]] bool Release() const {
    int32_t old = ref_count_.fetch_sub(1, mica::kAcqRel);
    MICA_DEBUG_ASSERT_MSG(old >= 1, "Release on an object with no references");
    return old == 1;
  }
  // The current count; only meaningful for tests and assertions.
  int32_t ref_count_debug() const { return ref_count_.load(mica::kRelaxed); }

  // Used by AdoptRef(): checks that the object is fresh and marks it adopted.
  void Adopt() const {
    MICA_DEBUG_ASSERT_MSG(!adopted_ && ref_count_debug() == 1, "AdoptRef on a shared object");
    adopted_ = true;
  }

 protected:
  constexpr RefCounted() = default;
  ~RefCounted() {
    MICA_DEBUG_ASSERT_MSG(ref_count_debug() == 0 || !adopted_,
                          "ref-counted object destroyed while referenced");
  }

 private:
  mutable mica::Atomic<int32_t> ref_count_{1};
  mutable bool adopted_ = false;
};

template <typename T>
class RefPtr {
 public:
  constexpr RefPtr() = default;
  constexpr RefPtr(decltype(nullptr)) {}
  // Adds a reference to an object that already has one (not for fresh
  // objects: use AdoptRef).
  explicit RefPtr(T* p) : ptr_(p) {
    if (ptr_ != nullptr) {
      ptr_->AddRef();
    }
  }
  RefPtr(const RefPtr& o) : RefPtr(o.ptr_) {}
  RefPtr(RefPtr&& o) noexcept : ptr_(o.ptr_) { o.ptr_ = nullptr; }
  // Conversions from RefPtr<U> where U* converts to T* (derived to base).
  template <typename U>
  RefPtr(const RefPtr<U>& o) : RefPtr(static_cast<T*>(o.get())) {}
  template <typename U>
  RefPtr(RefPtr<U>&& o) noexcept : ptr_(o.leak_ref()) {}

  ~RefPtr() { reset(); }

  RefPtr& operator=(const RefPtr& o) {
    RefPtr tmp(o);
    swap(tmp);
    return *this;
  }
  RefPtr& operator=(RefPtr&& o) noexcept {
    RefPtr tmp(Move(o));
    swap(tmp);
    return *this;
  }
  RefPtr& operator=(decltype(nullptr)) {
    reset();
    return *this;
  }

  T* get() const { return ptr_; }
  T* operator->() const { return ptr_; }
  T& operator*() const { return *ptr_; }
  explicit operator bool() const { return ptr_ != nullptr; }

  // Drops the reference (deleting the object if it was the last).
  void reset() {
    T* p = ptr_;
    ptr_ = nullptr;
    if (p != nullptr && p->Release()) {
      delete p;
    }
  }
  void swap(RefPtr& o) noexcept { Swap(ptr_, o.ptr_); }
  // Gives up ownership of the reference without releasing it.
  [[nodiscard]] T* leak_ref() {
    T* p = ptr_;
    ptr_ = nullptr;
    return p;
  }

  template <typename U>
  bool operator==(const RefPtr<U>& o) const {
    return ptr_ == o.get();
  }
  bool operator==(decltype(nullptr)) const { return ptr_ == nullptr; }

 private:
  template <typename U>
  friend RefPtr<U> AdoptRef(U* p);
  template <typename To, typename From>
  friend RefPtr<To> StaticRefCast(RefPtr<From>&& p);
  struct AdoptTag {};
  RefPtr(T* p, AdoptTag) : ptr_(p) {}

  T* ptr_ = nullptr;
};

// Takes over the initial reference of a freshly created object. `p` may be
// nullptr (e.g. a failed allocation), giving an empty RefPtr.
template <typename T>
RefPtr<T> AdoptRef(T* p) {
  if (p != nullptr) {
    p->Adopt();
  }
  return RefPtr<T>(p, typename RefPtr<T>::AdoptTag{});
}

// `p`'s reference as a RefPtr<To>, for an object known to be a To (the last
// step of a checked downcast): the reference moves, the count is untouched.
template <typename To, typename From>
RefPtr<To> StaticRefCast(RefPtr<From>&& p) {
  return RefPtr<To>(static_cast<To*>(p.leak_ref()), typename RefPtr<To>::AdoptTag{});
}

}  // namespace mica
