#include "kernel/object/channel_message.h"

#include "kernel/object/channel.h"
#include "kernel/object/channel_gc.h"
#include "kernel/object/object_type.h"

void InFlightHandles::Release(HandleEntry* handles, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) {
    HandleEntry& e = handles[i];
    if (e.object) {
      if (e.object->type() == MICA_OBJ_TYPE_CHANNEL) {
        ChannelGc::InFlightHandleReleased(As<ChannelDispatcher>(e.object.get()));
      }
      e.object->RemoveHandleRef();
    }
  }
}
