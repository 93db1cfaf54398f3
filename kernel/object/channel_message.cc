#include "kernel/object/channel_message.h"

#include "kernel/object/channel.h"
#include "kernel/object/channel_gc.h"

void InFlightHandles::Release(HandleEntry* handles, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) {
    HandleEntry& e = handles[i];
    if (e.object) {
      if (e.object->type() == MICA_OBJ_TYPE_CHANNEL) {
        ChannelGc::InFlightHandleReleased(static_cast<ChannelDispatcher*>(e.object.get()));
      }
      e.object->RemoveHandleRef();
    }
  }
}
