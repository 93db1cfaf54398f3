// Built in the kernel toolchain only (never linked): instantiates the
// template structures with kernel-like types, so the freestanding build
// compiles their code, not just their declarations.
#include "kernel/lib/ref_counted.h"
#include "kernel/object/core/handle_table.h"
#include "kernel/object/core/koid.h"
#include "kernel/object/core/message_queue.h"
#include "kernel/object/core/port_queue.h"
#include "kernel/object/core/signal_state.h"

namespace mica::core {

struct InstantiationObject : RefCounted<InstantiationObject> {};

template class HandleTable<InstantiationObject>;
template class Message<HandleEntry<InstantiationObject>>;
template class MessagePtr<HandleEntry<InstantiationObject>>;
template class MessageList<HandleEntry<InstantiationObject>>;
template class MessageQueue<HandleEntry<InstantiationObject>>;
// With a handle release policy, as the kernel's channel messages.
struct InstantiationRelease {
  static void Release(HandleEntry<InstantiationObject>* handles, uint32_t count);
};
template class Message<HandleEntry<InstantiationObject>, InstantiationRelease>;
template class MessagePtr<HandleEntry<InstantiationObject>, InstantiationRelease>;
template class MessageList<HandleEntry<InstantiationObject>, InstantiationRelease>;
template class MessageQueue<HandleEntry<InstantiationObject>, InstantiationRelease>;

// The member templates, with the callables the kernel will pass.
Status InstantiateRemoveMany(HandleTable<InstantiationObject>* table, const uint32_t* values,
                             size_t count, HandleEntry<InstantiationObject>* out) {
  return table->RemoveMany(
      values, count, [](const HandleEntry<InstantiationObject>&) { return Status::kOk; }, out);
}

size_t InstantiateForEach(const HandleTable<InstantiationObject>* table) {
  size_t n = 0;
  table->ForEach([&n](uint32_t, const HandleEntry<InstantiationObject>&) {
    ++n;
    return true;
  });
  return n;
}

Result<MessagePtr<HandleEntry<InstantiationObject>>> InstantiateCreate(const Allocator* alloc) {
  return Message<HandleEntry<InstantiationObject>>::Create(alloc, 16, 2);
}

size_t InstantiateCancelIf(PortQueue* queue, PortSlotList* removed) {
  return queue->CancelIf([](const PortSlot& s) { return s.packet.type == 1; }, removed);
}

size_t InstantiateRemoveObserversIf(SignalState* state) {
  return state->RemoveObserversIf([](SignalObserver* o) { return o->trigger_mask() == 1; });
}

}  // namespace mica::core
