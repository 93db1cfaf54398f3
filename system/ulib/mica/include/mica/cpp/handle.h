// C++ RAII handle types over the Mica syscall stubs (<mica/syscalls.h>).
//
// mica::Handle owns one handle: it is move-only and closes the handle when
// destroyed or reset. The typed wrappers (<mica/cpp/objects.h>) add the
// calls of each object type and keep their type through duplicate/replace.
// Nothing here allocates or throws; every call returns the syscall's
// mica_status_t.
#pragma once

#include <mica/syscalls.h>
#include <stddef.h>
#include <stdint.h>

namespace mica {

class Handle {
 public:
  constexpr Handle() = default;
  // Takes ownership of `value`.
  constexpr explicit Handle(mica_handle_t value) : value_(value) {}
  ~Handle() { reset(); }

  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept : value_(other.release()) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset(other.release());
    }
    return *this;
  }

  mica_handle_t get() const { return value_; }
  bool is_valid() const { return value_ != MICA_HANDLE_INVALID; }
  explicit operator bool() const { return is_valid(); }

  // Gives up ownership without closing.
  mica_handle_t release() {
    mica_handle_t v = value_;
    value_ = MICA_HANDLE_INVALID;
    return v;
  }

  // Closes the current handle (if any) and takes `value`.
  void reset(mica_handle_t value = MICA_HANDLE_INVALID) {
    if (value_ != MICA_HANDLE_INVALID && value_ != value) {
      mica_handle_close(value_);
    }
    value_ = value;
  }

  // Closes the current handle and returns where a syscall may store a new
  // one (for out_handle parameters).
  mica_handle_t* reset_and_get_address() {
    reset();
    return &value_;
  }

  // A new handle to the same object with `rights` (MICA_RIGHT_SAME_RIGHTS
  // keeps them); needs MICA_RIGHT_DUPLICATE.
  mica_status_t duplicate(mica_rights_t rights, Handle* out) const {
    mica_handle_t h = MICA_HANDLE_INVALID;
    mica_status_t s = mica_handle_duplicate(value_, rights, &h);
    if (s == MICA_OK) {
      out->reset(h);
    }
    return s;
  }

  // Replaces this handle by one with `rights`; this handle is consumed
  // (invalid afterwards) whether or not the call succeeds.
  mica_status_t replace(mica_rights_t rights, Handle* out) {
    mica_handle_t h = MICA_HANDLE_INVALID;
    mica_status_t s = mica_handle_replace(release(), rights, &h);
    if (s == MICA_OK) {
      out->reset(h);
    }
    return s;
  }

  mica_status_t wait_one(mica_signals_t signals, mica_time_t deadline,
                         mica_signals_t* observed) const {
    return mica_object_wait_one(value_, signals, deadline, observed);
  }

  mica_status_t wait_async(const Handle& port, uint64_t key, mica_signals_t signals,
                           uint32_t options) const {
    return mica_object_wait_async(value_, port.get(), key, signals, options);
  }

  mica_status_t signal(mica_signals_t clear_mask, mica_signals_t set_mask) const {
    return mica_object_signal(value_, clear_mask, set_mask);
  }

  mica_status_t get_info(uint32_t topic, void* buffer, size_t buffer_size, size_t* actual,
                         size_t* avail) const {
    return mica_object_get_info(value_, topic, buffer, buffer_size, actual, avail);
  }

  mica_status_t get_property(uint32_t property, void* value, size_t size) const {
    return mica_object_get_property(value_, property, value, size);
  }

  mica_status_t set_property(uint32_t property, const void* value, size_t size) const {
    return mica_object_set_property(value_, property, value, size);
  }

  // MICA_PROP_NAME (truncated by the kernel to MICA_MAX_NAME_LEN - 1 bytes).
  mica_status_t set_name(const char* name, size_t size) const {
    return set_property(MICA_PROP_NAME, name, size);
  }

 protected:
  mica_handle_t value_ = MICA_HANDLE_INVALID;
};

// The base of the typed wrappers: `T` is the wrapper itself, so that
// duplicate and replace hand back the same type.
template <typename T>
class Object : public Handle {
 public:
  using Handle::Handle;

  mica_status_t duplicate(mica_rights_t rights, T* out) const {
    return Handle::duplicate(rights, out);
  }
  mica_status_t replace(mica_rights_t rights, T* out) { return Handle::replace(rights, out); }
};

// A borrowed handle: the calls of T on a handle someone else owns (the
// runtime's startup handles, say). Never closes it.
template <typename T>
class Unowned {
 public:
  explicit Unowned(mica_handle_t value) : object_(value) {}
  explicit Unowned(const T& owner) : object_(owner.get()) {}
  ~Unowned() { static_cast<void>(object_.release()); }
  Unowned(const Unowned&) = delete;
  Unowned& operator=(const Unowned&) = delete;

  const T& operator*() const { return object_; }
  const T* operator->() const { return &object_; }

 private:
  T object_;
};

}  // namespace mica
