// Host tests of the IDL wire format (docs/idl.md, "Wire format") through the
// code idlc generates for system/idl/test/idltest.idl: layout, canonical
// round trips, and the rejection of every malformed input class.
#include <gtest/gtest.h>
#include <idl/idltest.h>
#include <string.h>

#include <vector>

#include "fake_handles.h"
#include "wire_test_util.h"

namespace idl_test {
namespace {

using idl::idltest::Color;
using idl::idltest::Echo;
using idl::idltest::Everything;
using idl::idltest::Flags;
using mica::idl::Decoder;
using mica::idl::Encoder;

TEST(IdlWire, AddRequestHasTheDocumentedLayout) {
  Echo::AddRequest req;
  req.a = -2;
  req.b = 0x01020304;
  Message m = EncodeBody(7, Echo::kAddOrdinal, req);
  ASSERT_EQ(m.status, MICA_OK);
  const uint8_t expected[] = {
      7,    0,    0,    0,     // txid
      0x4D, 0,    3,    0,     // magic, flags, version 3
      2,    0,    0,    0,     // method ordinal 2 ...
      0,    0,    0,    0,     // ... protocol id in the high half (patched below)
      0xFE, 0xFF, 0xFF, 0xFF,  // a
      4,    3,    2,    1,     // b
  };
  ASSERT_EQ(m.bytes.size(), sizeof(expected));
  uint32_t id = Echo::kId;
  std::vector<uint8_t> want(expected, expected + sizeof(expected));
  memcpy(&want[12], &id, 4);
  EXPECT_EQ(m.bytes, want);
}

TEST(IdlWire, OutOfLineBlocksAreDepthFirstAndPadded) {
  Echo::HappenedEvent ev;
  ev.code = 5;
  ASSERT_TRUE(ev.what.Set("abc"));
  Message m = EncodeBody(0, Echo::kHappenedOrdinal, ev);
  ASSERT_EQ(m.status, MICA_OK);
  // header 16, inline {code u32, pad 4, count u64, marker u64} 24, "abc" + 5 zero bytes.
  ASSERT_EQ(m.bytes.size(), 16u + 24u + 8u);
  EXPECT_EQ(Read<uint64_t>(m, 24), 3u);
  EXPECT_EQ(Read<uint64_t>(m, 32), ~uint64_t{0});
  EXPECT_EQ(memcmp(&m.bytes[40], "abc\0\0\0\0\0", 8), 0);
}

TEST(IdlWire, EverythingRoundTripsWithItsHandles) {
  ResetHandles();
  Everything v = FullEverything();
  mica_handle_t vmo = v.vmo.get();
  Message m = EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(std::move(v)));
  ASSERT_EQ(m.status, MICA_OK);
  EXPECT_EQ(m.handles.size(), 5u);  // vmo, events[0..1], spare[0..1]
  EXPECT_EQ(m.handles[0], vmo);
  Echo::EchoRequest out;
  ASSERT_EQ(DecodeBody(m, &out), MICA_OK);
  ExpectFullEverything(out.value);
  EXPECT_EQ(out.value.vmo.get(), vmo);
  EXPECT_EQ(OpenCount(), 5u);
  out = Echo::EchoRequest();
  EXPECT_EQ(OpenCount(), 0u);
  EXPECT_EQ(BadCloses(), 0u);
}

TEST(IdlWire, AbsentOptionalsRoundTrip) {
  ResetHandles();
  Echo::EchoRequest req;
  req.value.color = Color::RED;
  Message m = EncodeBody(1, Echo::kEchoOrdinal, req);
  ASSERT_EQ(m.status, MICA_OK);
  Echo::EchoRequest out;
  ASSERT_EQ(DecodeBody(m, &out), MICA_OK);
  EXPECT_FALSE(out.value.nick.has_value);
  EXPECT_FALSE(out.value.words.has_value);
  EXPECT_FALSE(out.value.maybe.has_value);
  EXPECT_FALSE(out.value.vmo.is_valid());
  EXPECT_EQ(m.bytes.size(), 16u + Everything::kWireSize);
}

TEST(IdlWire, FullMessageFitsTheComputedMaximum) {
  ResetHandles();
  Everything v = FullEverything();
  for (uint32_t i = v.names.count; i < v.names.capacity(); ++i) {
    v.names.Push({});
  }
  for (auto& n : v.names) {
    memset(n.data, 'x', n.capacity());
    n.size = n.capacity();
  }
  v.bytes.count = v.bytes.capacity();
  v.name.size = v.name.capacity();
  v.nick.value.size = v.nick.value.capacity();
  v.points.count = v.points.capacity();
  v.maybe.value.label.Emplace().size = 8;
  v.words.value.count = v.words.value.capacity();
  for (auto& t : v.tags) {
    t.size = t.capacity();
  }
  Message m = EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(std::move(v)));
  ASSERT_EQ(m.status, MICA_OK);
  EXPECT_EQ(m.bytes.size(), Echo::EchoRequest::kMaxBytes);
  EXPECT_EQ(m.handles.size(), Echo::EchoRequest::kMaxHandles);
  CloseAll(m);
}

// Every accepted message is canonical: decoding and re-encoding gives the
// same bytes. So a single corrupted byte is either rejected or changes a
// value (and re-encodes to exactly the corrupted message) -- padding,
// markers, counts, bools, enums and bits can never be accepted non-canonically.
TEST(IdlWire, EverySingleByteCorruptionIsRejectedOrCanonical) {
  ResetHandles();
  Message good = EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(FullEverything()));
  ASSERT_EQ(good.status, MICA_OK);
  for (size_t i = 16; i < good.bytes.size(); ++i) {
    for (uint8_t x : {0x01, 0x02, 0x80, 0xFF}) {
      Message bad = CloneWithFreshHandles(good);
      bad.bytes[i] ^= x;
      Echo::EchoRequest out;
      mica_status_t s = DecodeBody(bad, &out);
      if (s == MICA_OK) {
        Message again = EncodeBody(1, Echo::kEchoOrdinal, out);
        ASSERT_EQ(again.status, MICA_OK) << "byte " << i;
        EXPECT_EQ(again.bytes, bad.bytes) << "byte " << i << " ^ " << int{x};
        CloseAll(again);
      }
    }
  }
  CloseAll(good);
  EXPECT_EQ(OpenCount(), 0u);
  EXPECT_EQ(BadCloses(), 0u);
}

TEST(IdlWire, EveryTruncationIsRejectedAndClosesTheHandles) {
  ResetHandles();
  Message good = EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(FullEverything()));
  ASSERT_EQ(good.status, MICA_OK);
  for (size_t n = 0; n < good.bytes.size(); ++n) {
    Message bad = CloneWithFreshHandles(good);
    bad.bytes.resize(n);
    Echo::EchoRequest out;
    EXPECT_NE(DecodeBody(bad, &out), MICA_OK) << n;
  }
  CloseAll(good);
  EXPECT_EQ(OpenCount(), 0u);
}

TEST(IdlWire, TrailingBytesAreRejected) {
  Echo::AddRequest req;
  for (size_t extra : {1, 4, 8, 16}) {
    Message m = EncodeBody(1, Echo::kAddOrdinal, req);
    m.bytes.resize(m.bytes.size() + extra, 0);
    Echo::AddRequest out;
    EXPECT_EQ(DecodeBody(m, &out), MICA_ERR_INVALID_ARGS) << extra;
  }
}

}  // namespace
}  // namespace idl_test
