// See message.h. Layout: header (40 bytes) | info[handle_count] | argument
// strings | padding to 4 | environment strings | padding to 4.
#include "system/core/userboot/message.h"

#include <mica/rt/bootstrap.h>
#include <mica/types.h>

namespace userboot {
namespace {

constexpr uint64_t kHeaderSize = sizeof(mica_bootstrap_header_t);

uint64_t StringsSize(const char* const* strings, uint32_t count) {
  uint64_t n = 0;
  for (uint32_t i = 0; i < count; i++) {
    const char* s = strings[i];
    while (*s++ != '\0') {
      n++;
    }
    n++;
  }
  return n;
}

uint64_t Align4(uint64_t n) {
  return (n + 3) & ~uint64_t{3};
}

struct Layout {
  uint64_t args_offset, args_size, environ_offset, environ_size, total;
};

bool ComputeLayout(const MessageSpec& spec, Layout* out) {
  if (spec.handle_count > MICA_CHANNEL_MAX_MSG_HANDLES || spec.argc > MICA_BOOTSTRAP_MAX_STRINGS ||
      spec.envc > MICA_BOOTSTRAP_MAX_STRINGS) {
    return false;
  }
  out->args_offset = kHeaderSize + uint64_t{spec.handle_count} * 4;
  out->args_size = StringsSize(spec.argv, spec.argc);
  out->environ_offset = Align4(out->args_offset + out->args_size);
  out->environ_size = StringsSize(spec.envp, spec.envc);
  out->total = Align4(out->environ_offset + out->environ_size);
  return out->total <= MICA_CHANNEL_MAX_MSG_BYTES;
}

uint8_t* CopyStrings(uint8_t* p, const char* const* strings, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) {
    const char* s = strings[i];
    do {
      *p++ = static_cast<uint8_t>(*s);
    } while (*s++ != '\0');
  }
  return p;
}

void Store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) {
    p[i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

}  // namespace

uint32_t MessageSize(const MessageSpec& spec) {
  Layout l;
  return ComputeLayout(spec, &l) ? static_cast<uint32_t>(l.total) : 0;
}

bool WriteMessage(const MessageSpec& spec, void* buf, uint32_t size) {
  Layout l;
  if (!ComputeLayout(spec, &l) || size != l.total) {
    return false;
  }
  auto* bytes = static_cast<uint8_t*>(buf);
  for (uint32_t i = 0; i < size; i++) {
    bytes[i] = 0;
  }
  const uint32_t header[] = {
      MICA_BOOTSTRAP_MAGIC,
      MICA_BOOTSTRAP_VERSION,
      static_cast<uint32_t>(kHeaderSize),
      spec.handle_count,
      static_cast<uint32_t>(l.args_offset),
      static_cast<uint32_t>(l.args_size),
      spec.argc,
      static_cast<uint32_t>(l.environ_offset),
      static_cast<uint32_t>(l.environ_size),
      spec.envc,
  };
  static_assert(sizeof(header) == kHeaderSize, "the header's fields, in order");
  for (uint32_t i = 0; i < sizeof(header) / 4; i++) {
    Store32(bytes + 4 * i, header[i]);
  }
  for (uint32_t i = 0; i < spec.handle_count; i++) {
    Store32(bytes + kHeaderSize + 4 * i, spec.info[i]);
  }
  CopyStrings(bytes + l.args_offset, spec.argv, spec.argc);
  CopyStrings(bytes + l.environ_offset, spec.envp, spec.envc);
  return true;
}

}  // namespace userboot
