// See <mica/driver/protocol.h> and <mica/driver/status_name.h>.
#include <mica/driver/protocol.h>
#include <mica/driver/status_name.h>
#include <mica/status_names.h>

namespace mica::driver {

const char* StatusName(mica_status_t status) {
#define MICA_DRIVER_STATUS_CASE(code, name) \
  case code:                                \
    return #code;
  switch (status) { MICA_STATUS_LIST(MICA_DRIVER_STATUS_CASE) }
#undef MICA_DRIVER_STATUS_CASE
  return "MICA_ERR_<unknown>";
}

namespace wire {

mica_status_t ReadMessage(mica_handle_t channel, void* bytes, uint32_t capacity,
                          mica_handle_t* handles, uint32_t handle_capacity, uint32_t* actual_bytes,
                          uint32_t* actual_handles) {
  for (;;) {
    mica_status_t s = mica_channel_read(channel, 0, bytes, handles, capacity, handle_capacity,
                                        actual_bytes, actual_handles);
    if (s != MICA_ERR_BUFFER_TOO_SMALL) {
      return s;
    }
    static uint8_t scratch[MICA_CHANNEL_MAX_MSG_BYTES];
    mica_handle_t extra[MICA_CHANNEL_MAX_MSG_HANDLES];
    uint32_t n = 0, h = 0;
    s = mica_channel_read(channel, 0, scratch, extra, sizeof(scratch), MICA_CHANNEL_MAX_MSG_HANDLES,
                          &n, &h);
    if (s != MICA_OK) {
      return s;
    }
    if (h != 0) {
      mica_handle_close_many(extra, h);
    }
  }
}

}  // namespace wire
}  // namespace mica::driver
