// Writing a bootstrap message (<mica/rt/bootstrap.h>,
// docs/process-bootstrap.md): the header, the handle info words, then the
// argument and environment strings. Pure and freestanding, host-tested
// against the runtime's reader.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace userboot {

struct MessageSpec {
  const uint32_t* info = nullptr;  // one info word per handle, in order
  uint32_t handle_count = 0;
  const char* const* argv = nullptr;
  uint32_t argc = 0;
  const char* const* envp = nullptr;
  uint32_t envc = 0;
};

// The message's size in bytes, or 0 if it cannot be sent (more than
// MICA_CHANNEL_MAX_MSG_BYTES bytes or MICA_CHANNEL_MAX_MSG_HANDLES handles,
// or more than MICA_BOOTSTRAP_MAX_STRINGS strings).
uint32_t MessageSize(const MessageSpec& spec);

// Writes the message into buf[0, size); `size` must be MessageSize(spec).
// Returns false (writing nothing) otherwise.
bool WriteMessage(const MessageSpec& spec, void* buf, uint32_t size);

}  // namespace userboot
