// The object type (MICA_OBJ_TYPE_*) of each dispatcher class, so that code
// can ask for an object by its class: the typed handle lookups
// (Process::GetObject<T>, GetObjectCached<T>) and DownCast<T>.
//
// Each class passes the same constant to Dispatcher's constructor; a class
// without an entry here cannot be looked up by type (a compile error).
// Dispatcher itself stands for "any type" (MICA_OBJ_TYPE_NONE).
#pragma once

#include <mica/types.h>

#include "kernel/lib/assert.h"
#include "kernel/object/dispatcher.h"

template <typename T>
struct ObjectTypeOf;  // ::value: T's MICA_OBJ_TYPE_*

#define MICA_OBJECT_TYPE(Class, type_value)                \
  class Class;                                             \
  template <>                                              \
  struct ObjectTypeOf<Class> {                             \
    static constexpr mica_obj_type_t value = (type_value); \
  }

MICA_OBJECT_TYPE(Dispatcher, MICA_OBJ_TYPE_NONE);
MICA_OBJECT_TYPE(ProcessDispatcher, MICA_OBJ_TYPE_PROCESS);
MICA_OBJECT_TYPE(ThreadDispatcher, MICA_OBJ_TYPE_THREAD);
MICA_OBJECT_TYPE(JobDispatcher, MICA_OBJ_TYPE_JOB);
MICA_OBJECT_TYPE(VmoDispatcher, MICA_OBJ_TYPE_VMO);
MICA_OBJECT_TYPE(VmarDispatcher, MICA_OBJ_TYPE_VMAR);
MICA_OBJECT_TYPE(ChannelDispatcher, MICA_OBJ_TYPE_CHANNEL);
MICA_OBJECT_TYPE(PortDispatcher, MICA_OBJ_TYPE_PORT);
MICA_OBJECT_TYPE(EventDispatcher, MICA_OBJ_TYPE_EVENT);
MICA_OBJECT_TYPE(EventPairDispatcher, MICA_OBJ_TYPE_EVENTPAIR);
MICA_OBJECT_TYPE(TimerDispatcher, MICA_OBJ_TYPE_TIMER);
MICA_OBJECT_TYPE(DebuglogDispatcher, MICA_OBJ_TYPE_DEBUGLOG);
MICA_OBJECT_TYPE(InterruptDispatcher, MICA_OBJ_TYPE_INTERRUPT);
MICA_OBJECT_TYPE(ResourceDispatcher, MICA_OBJ_TYPE_RESOURCE);
MICA_OBJECT_TYPE(BtiDispatcher, MICA_OBJ_TYPE_BTI);
MICA_OBJECT_TYPE(PmtDispatcher, MICA_OBJ_TYPE_PMT);

#undef MICA_OBJECT_TYPE

// True if `object` is a T (any object is a Dispatcher).
template <typename T>
[[gnu::always_inline]] inline bool IsA(const Dispatcher* object) {
  return ObjectTypeOf<T>::value == MICA_OBJ_TYPE_NONE || object->type() == ObjectTypeOf<T>::value;
}

// `object` as a T, or nullptr if it is of another type: the checked
// downcast, for code that takes several types.
template <typename T>
[[gnu::always_inline]] inline T* DownCast(Dispatcher* object) {
  return IsA<T>(object) ? static_cast<T*>(object) : nullptr;
}

// `object`, whose type the caller has checked already, as a T (asserted in
// debug builds).
template <typename T>
[[gnu::always_inline]] inline T* As(Dispatcher* object) {
  MICA_DEBUG_ASSERT(IsA<T>(object));
  return static_cast<T*>(object);
}
