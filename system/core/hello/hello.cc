// The first C++ user program: makes a channel pair with the RAII handle
// types, sends one message through it, prints what arrived and exits with
// status 0. The handles close when they go out of scope.
#include <mica/cpp/objects.h>
#include <mica/rt/runtime.h>
#include <stdio.h>
#include <string.h>

#include <array>
#include <string_view>

namespace {

constexpr std::string_view kMessage = "hello from user space (C++)";

// Sends kMessage from one end of a new channel to the other and reads it.
mica_status_t RoundTrip(std::array<char, 64>* received, uint32_t* size) {
  mica::Channel a;
  mica::Channel b;
  mica_status_t s = mica::Channel::Create(0, &a, &b);
  if (s != MICA_OK) {
    return s;
  }
  s = a.write(0, kMessage.data(), static_cast<uint32_t>(kMessage.size()), nullptr, 0);
  if (s != MICA_OK) {
    return s;
  }
  uint32_t handles = 0;
  return b.read(0, received->data(), nullptr, static_cast<uint32_t>(received->size()), 0, size,
                &handles);
}

}  // namespace

int main() {
  std::array<char, 64> received{};
  uint32_t size = 0;
  mica_status_t s = RoundTrip(&received, &size);
  if (s == MICA_OK) {
    printf("%.*s\n", static_cast<int>(size), received.data());
  } else {
    // Channels need the kernel's channel syscalls; say so and still greet.
    printf("%.*s (channel round trip: status %d)\n", static_cast<int>(kMessage.size()),
           kMessage.data(), static_cast<int>(s));
  }
  return 0;
}
