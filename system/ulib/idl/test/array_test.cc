// Host tests of fixed-size arrays (`array<T>:N`, docs/idl.md "Wire format")
// through idltest's Everything: the inline layout, round trips, and the
// decoder's checks on array elements (each bool, each handle, each nested
// string and the padding around arrays). Every single-byte corruption and
// truncation of a message with arrays is covered by wire_test.cc.
#include <gtest/gtest.h>
#include <idl/idltest.h>

#include "fake_handles.h"
#include "wire_test_util.h"

namespace idl_test {
namespace {

using idl::idltest::Echo;
using idl::idltest::Everything;

// Everything's arrays (after `events` ends at 184): matrix 2x3 int16 at 184
// (12 bytes, align 2), corners 2 Points at 196 (align 4), 4 bytes of
// padding, tags 2 strings at 216 (align 8), switches 3 bools at 248, 1 byte
// of padding, spare 2 handles at 252, 4 bytes of padding: 264 in all.
constexpr size_t kBody = 16;
constexpr size_t kMatrix = kBody + 184;
constexpr size_t kCorners = kBody + 196;
constexpr size_t kTags = kBody + 216;
constexpr size_t kSwitches = kBody + 248;
constexpr size_t kSpare = kBody + 252;

class IdlArray : public ::testing::Test {
 protected:
  void SetUp() override {
    ResetHandles();
    good_ = EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(FullEverything()));
    ASSERT_EQ(good_.status, MICA_OK);
  }
  void TearDown() override {
    CloseAll(good_);
    EXPECT_EQ(OpenCount(), 0u) << "a handle leaked";
    EXPECT_EQ(BadCloses(), 0u);
  }
  template <typename F>
  mica_status_t DecodeMutated(F mutate) {
    Message m = CloneWithFreshHandles(good_);
    mutate(m);
    Echo::EchoRequest out;
    return DecodeBody(m, &out);
  }
  Message good_;
};

TEST_F(IdlArray, InlineLayoutIsAsDocumented) {
  EXPECT_EQ(Everything::kWireSize, 264u);
  for (uint32_t row = 0; row < 2; ++row) {
    for (uint32_t col = 0; col < 3; ++col) {
      EXPECT_EQ(Read<int16_t>(good_, kMatrix + 2 * (row * 3 + col)),
                static_cast<int16_t>(static_cast<int>(row) * 10 - static_cast<int>(col)));
    }
  }
  EXPECT_EQ(Read<int32_t>(good_, kCorners), -7);
  EXPECT_EQ(Read<int32_t>(good_, kCorners + 12), -8);
  EXPECT_EQ(Read<uint64_t>(good_, kTags), 2u);  // "ab"
  EXPECT_EQ(Read<uint64_t>(good_, kTags + 8), ~uint64_t{0});
  EXPECT_EQ(Read<uint64_t>(good_, kTags + 16), 2u);  // U+00E9 in 2 bytes
  EXPECT_EQ(good_.bytes[kSwitches], 1);
  EXPECT_EQ(good_.bytes[kSwitches + 1], 0);
  EXPECT_EQ(good_.bytes[kSwitches + 2], 1);
  EXPECT_EQ(Read<uint32_t>(good_, kSpare), ~uint32_t{0});
  EXPECT_EQ(Read<uint32_t>(good_, kSpare + 4), ~uint32_t{0});
  // The tags' blocks are the last out-of-line blocks, in element order.
  size_t n = good_.bytes.size();
  EXPECT_EQ(memcmp(&good_.bytes[n - 16], "ab\0\0\0\0\0\0\xC3\xA9\0\0\0\0\0\0", 16), 0);
}

TEST_F(IdlArray, RoundTripsEveryElement) {
  Message m = CloneWithFreshHandles(good_);
  Echo::EchoRequest out;
  ASSERT_EQ(DecodeBody(m, &out), MICA_OK);
  ExpectFullEverything(out.value);
}

TEST_F(IdlArray, EachBoolElementIsChecked) {
  for (size_t i = 0; i < 3; ++i) {
    for (int v = 2; v < 256; v += 51) {
      EXPECT_EQ(
          DecodeMutated([&](Message& m) { m.bytes[kSwitches + i] = static_cast<uint8_t>(v); }),
          MICA_ERR_INVALID_ARGS)
          << i << " " << v;
    }
  }
}

TEST_F(IdlArray, PaddingAroundArraysIsChecked) {
  for (size_t at : {kCorners + 16, kCorners + 19, kSwitches + 3, kSpare + 8, kSpare + 11}) {
    EXPECT_EQ(DecodeMutated([at](Message& m) { m.bytes[at] = 1; }), MICA_ERR_INVALID_ARGS) << at;
  }
}

TEST_F(IdlArray, EachStringElementIsBoundedAndUtf8) {
  EXPECT_EQ(DecodeMutated([](Message& m) { Write<uint64_t>(m, kTags + 16, 5); }),
            MICA_ERR_INVALID_ARGS);  // over string:4
  EXPECT_EQ(DecodeMutated([](Message& m) { Write<uint64_t>(m, kTags + 8, 0); }),
            MICA_ERR_INVALID_ARGS);  // a required string marked absent
  EXPECT_EQ(DecodeMutated([](Message& m) { m.bytes[m.bytes.size() - 7] = 0x41; }),
            MICA_ERR_INVALID_ARGS);  // 0xC3 'A': a sequence cut short
}

TEST_F(IdlArray, OptionalHandleElements) {
  // Absent in the bytes while the handle is still in the array: one left over.
  EXPECT_EQ(DecodeMutated([](Message& m) { Write<uint32_t>(m, kSpare + 4, 0); }),
            MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(DecodeMutated([](Message& m) { Write<uint32_t>(m, kSpare, 7); }),
            MICA_ERR_INVALID_ARGS);
  Everything v = FullEverything();
  v.spare[0].reset();
  Message m = EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(std::move(v)));
  ASSERT_EQ(m.status, MICA_OK);
  EXPECT_EQ(Read<uint32_t>(m, kSpare), 0u);
  EXPECT_EQ(m.handles.size(), 4u);
  Echo::EchoRequest out;
  ASSERT_EQ(DecodeBody(m, &out), MICA_OK);
  EXPECT_FALSE(out.value.spare[0].is_valid());
  EXPECT_TRUE(out.value.spare[1].is_valid());
}

TEST(IdlArrayType, FixedSizeAndIteration) {
  mica::idl::Array<uint16_t, 4> a{};
  static_assert(decltype(a)::size() == 4);
  static_assert(sizeof(a) == 8, "an Array is its elements, nothing more");
  uint32_t sum = 0;
  a[3] = 7;
  for (uint16_t x : a) {
    sum += x;
  }
  EXPECT_EQ(sum, 7u);
}

}  // namespace
}  // namespace idl_test
