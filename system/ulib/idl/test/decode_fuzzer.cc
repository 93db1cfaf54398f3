// libFuzzer target of the IDL decoder: the input is a handle description
// byte and then a message, decoded as an idltest Echo.Echo request (the
// type with every kind of field). Oracle: the decoder never reads out of
// bounds (ASan), never leaks or double-closes a handle, and whatever it
// accepts re-encodes to exactly the same bytes (the encoding is canonical).
// Input: byte 0 = number of handles (low 3 bits, at most 5) and which of
// handles 1..4 are events rather than VMOs (bits 3..6), then the message
// bytes.
#include <idl/idltest.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fake_handles.h"

namespace {

using idl::idltest::Echo;

void Check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size - 1 > mica::idl::kMaxBytes) {
    return 0;
  }
  idl_test::ResetHandles();
  mica_handle_t handles[5];
  uint32_t num_handles = data[0] & 7;
  if (num_handles > 5) {
    num_handles = 5;
  }
  for (uint32_t i = 0; i < num_handles; ++i) {
    bool event = i > 0 && ((data[0] >> (2 + i)) & 1) != 0;
    handles[i] = idl_test::NewHandle(event ? MICA_OBJ_TYPE_EVENT : MICA_OBJ_TYPE_VMO,
                                     MICA_RIGHT_READ | MICA_RIGHT_MAP | MICA_RIGHT_WAIT);
  }
  uint32_t num_bytes = static_cast<uint32_t>(size - 1);
  static uint8_t bytes[mica::idl::kMaxBytes];
  memcpy(bytes, data + 1, num_bytes);
  mica::idl::MessageHeader header{};
  if (mica::idl::ReadHeader(bytes, num_bytes, &header) != MICA_OK) {
    mica::idl::CloseHandles(handles, num_handles);
    Check(idl_test::OpenCount() == 0);
    return 0;
  }
  {
    Echo::EchoRequest request;
    mica_status_t s = mica::idl::DecodeMessage(bytes, num_bytes, handles, num_handles, &request,
                                               idl_test::FakeInfo);
    if (s == MICA_OK) {
      static uint8_t again[Echo::EchoRequest::kMaxBytes];
      mica_handle_t out_handles[Echo::EchoRequest::kMaxHandles];
      mica::idl::Encoder e(again, sizeof(again), out_handles, Echo::EchoRequest::kMaxHandles);
      Check(mica::idl::EncodeMessage(e, header.txid, header.version, header.ordinal, request) ==
            MICA_OK);
      Check(e.num_bytes() == num_bytes && memcmp(again, bytes, num_bytes) == 0);
      Check(e.num_handles() == num_handles);
    }
  }
  Check(idl_test::OpenCount() == 0);
  Check(idl_test::BadCloses() == 0);
  return 0;
}
