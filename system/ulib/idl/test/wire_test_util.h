// Helpers of the IDL host tests: encode a generated struct into a Message
// (bytes + handles, as a channel would carry them) and decode it back with
// the fake handle table (fake_handles.h); a fully populated idltest
// Everything and its check.
#pragma once

#include <gtest/gtest.h>
#include <idl/idltest.h>
#include <string.h>

#include <type_traits>
#include <utility>
#include <vector>

#include "fake_handles.h"

namespace idl_test {

struct Message {
  std::vector<uint8_t> bytes;
  std::vector<mica_handle_t> handles;
  mica_status_t status = MICA_ERR_INTERNAL;
};

template <typename B>
Message EncodeBody(uint32_t txid, uint64_t ordinal, B&& body) {
  using T = std::remove_reference_t<B>;
  Message m;
  m.bytes.resize(T::kMaxBytes);
  m.handles.resize(T::kMaxHandles + 1);
  mica::idl::Encoder e(m.bytes.data(), static_cast<uint32_t>(m.bytes.size()), m.handles.data(),
                       T::kMaxHandles);
  m.status = mica::idl::EncodeMessage(e, txid, idl::idltest::Echo::kVersion, ordinal, body);
  m.bytes.resize(e.num_bytes());
  m.handles.resize(m.status == MICA_OK ? e.num_handles() : 0);
  if (m.status == MICA_OK) {
    e.Release();
  }
  return m;
}

// Checks the header, then decodes the body; every handle of `m` is taken
// or closed.
template <typename T>
mica_status_t DecodeBody(Message& m, T* out) {
  mica::idl::MessageHeader h{};
  mica_status_t s =
      mica::idl::ReadHeader(m.bytes.data(), static_cast<uint32_t>(m.bytes.size()), &h);
  if (s != MICA_OK) {
    mica::idl::CloseHandles(m.handles.data(), static_cast<uint32_t>(m.handles.size()));
    return s;
  }
  return mica::idl::DecodeMessage(m.bytes.data(), static_cast<uint32_t>(m.bytes.size()),
                                  m.handles.data(), static_cast<uint32_t>(m.handles.size()), out,
                                  FakeInfo);
}

template <typename T>
T Read(const Message& m, size_t offset) {
  T v;
  memcpy(&v, &m.bytes.at(offset + sizeof(T) - 1) - (sizeof(T) - 1), sizeof(T));
  return v;
}

template <typename T>
void Write(Message& m, size_t offset, T v) {
  memcpy(&m.bytes.at(offset + sizeof(T) - 1) - (sizeof(T) - 1), &v, sizeof(T));
}

// The same bytes with new handles of the same types and rights.
Message CloneWithFreshHandles(const Message& m);
void CloseAll(Message& m);

idl::idltest::Everything FullEverything();
void ExpectFullEverything(const idl::idltest::Everything& v);
inline idl::idltest::Echo::EchoRequest WrapEcho(idl::idltest::Everything v) {
  idl::idltest::Echo::EchoRequest r;
  r.value = std::move(v);
  return r;
}

}  // namespace idl_test
