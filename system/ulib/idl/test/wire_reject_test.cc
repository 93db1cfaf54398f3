// Host tests of the IDL decoder's and encoder's checks, one rule each
// (docs/idl.md, "What the decoder checks").
#include <gtest/gtest.h>
#include <idl/idltest.h>

#include "fake_handles.h"
#include "wire_test_util.h"

namespace idl_test {
namespace {

using idl::idltest::Color;
using idl::idltest::Echo;
using idl::idltest::Everything;
using idl::idltest::Flags;

// Offsets in an Echo.Echo request (16-byte header, then Everything's inline part).
constexpr size_t kBody = 16;
constexpr size_t kBool = kBody + 0;
constexpr size_t kColor = kBody + 16;
constexpr size_t kFlags = kBody + 18;
constexpr size_t kName = kBody + 24;
constexpr size_t kNick = kBody + 40;
constexpr size_t kMaybe = kBody + 152;
constexpr size_t kVmo = kBody + 160;

class IdlReject : public ::testing::Test {
 protected:
  void SetUp() override {
    ResetHandles();
    good_ = EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(FullEverything()));
    ASSERT_EQ(good_.status, MICA_OK);
  }
  void TearDown() override {
    CloseAll(good_);
    EXPECT_EQ(OpenCount(), 0u) << "a handle leaked";
    EXPECT_EQ(BadCloses(), 0u) << "a handle was closed twice";
  }
  // Decodes a copy (with its own handles) after `mutate`.
  template <typename F>
  mica_status_t DecodeMutated(F mutate) {
    Message m = CloneWithFreshHandles(good_);
    mutate(m);
    Echo::EchoRequest out;
    return DecodeBody(m, &out);
  }
  Message good_;
};

TEST_F(IdlReject, TheUnmodifiedMessageDecodes) {
  EXPECT_EQ(DecodeMutated([](Message&) {}), MICA_OK);
}

TEST_F(IdlReject, ShortHeader) {
  for (size_t n = 0; n < 16; ++n) {
    EXPECT_EQ(DecodeMutated([n](Message& m) { m.bytes.resize(n); }), MICA_ERR_INVALID_ARGS);
  }
}

TEST_F(IdlReject, WrongMagicOrFlags) {
  EXPECT_EQ(DecodeMutated([](Message& m) { m.bytes[4] = 0x4E; }), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(DecodeMutated([](Message& m) { m.bytes[5] = 1; }), MICA_ERR_INVALID_ARGS);
}

TEST_F(IdlReject, BoolOtherThanZeroOrOne) {
  for (int v = 2; v < 256; ++v) {
    EXPECT_EQ(DecodeMutated([v](Message& m) { m.bytes[kBool] = static_cast<uint8_t>(v); }),
              MICA_ERR_INVALID_ARGS);
  }
}

TEST_F(IdlReject, UnknownEnumValues) {
  for (int v = 0; v < 256; ++v) {
    mica_status_t s = DecodeMutated([v](Message& m) { m.bytes[kColor] = static_cast<uint8_t>(v); });
    EXPECT_EQ(s, v >= 1 && v <= 3 ? MICA_OK : MICA_ERR_INVALID_ARGS) << v;
  }
}

TEST_F(IdlReject, UnknownBits) {
  for (uint32_t bit = 0; bit < 16; ++bit) {
    uint16_t v = static_cast<uint16_t>(1u << bit);
    mica_status_t s = DecodeMutated([v](Message& m) { Write<uint16_t>(m, kFlags, v); });
    EXPECT_EQ(s, (v & idl::idltest::kFlagsMask) ? MICA_OK : MICA_ERR_INVALID_ARGS) << bit;
  }
}

TEST_F(IdlReject, NonzeroInlinePadding) {
  EXPECT_EQ(DecodeMutated([](Message& m) { m.bytes[kColor + 1] = 1; }), MICA_ERR_INVALID_ARGS);
  EXPECT_EQ(DecodeMutated([](Message& m) { m.bytes[kBody + 20] = 0x80; }), MICA_ERR_INVALID_ARGS);
}

TEST_F(IdlReject, NonzeroOutOfLinePadding) {
  // "hello" is the first out-of-line block, right after the inline part.
  size_t block = kBody + Everything::kWireSize;
  for (size_t i = 5; i < 8; ++i) {
    EXPECT_EQ(DecodeMutated([&](Message& m) { m.bytes[block + i] = 1; }), MICA_ERR_INVALID_ARGS);
  }
}

TEST_F(IdlReject, CountsOverTheDeclaredMaximum) {
  for (uint64_t n : {17ull, 1000ull, 1ull << 32, ~0ull}) {
    EXPECT_EQ(DecodeMutated([n](Message& m) { Write<uint64_t>(m, kName, n); }),
              MICA_ERR_INVALID_ARGS);
  }
}

TEST_F(IdlReject, CountsPastTheEndOfTheMessage) {
  EXPECT_EQ(DecodeMutated([](Message& m) { Write<uint64_t>(m, kName, 16); }),
            MICA_ERR_INVALID_ARGS);
}

TEST_F(IdlReject, PresenceMarkersOtherThanAllOnesOrZero) {
  for (uint64_t marker : {1ull, 0x7FFFFFFFFFFFFFFFull, 0xFFFFFFFFull}) {
    EXPECT_EQ(DecodeMutated([marker](Message& m) { Write<uint64_t>(m, kName + 8, marker); }),
              MICA_ERR_INVALID_ARGS);
    EXPECT_EQ(DecodeMutated([marker](Message& m) { Write<uint64_t>(m, kMaybe, marker); }),
              MICA_ERR_INVALID_ARGS);
  }
}

TEST_F(IdlReject, AbsentRequiredString) {
  EXPECT_EQ(DecodeMutated([](Message& m) { Write<uint64_t>(m, kName + 8, 0); }),
            MICA_ERR_INVALID_ARGS);
}

TEST_F(IdlReject, AbsentOptionalWithACount) {
  Echo::EchoRequest req;
  req.value.color = Color::RED;
  Message m = EncodeBody(1, Echo::kEchoOrdinal, req);
  Write<uint64_t>(m, kNick, 3);
  Echo::EchoRequest out;
  EXPECT_EQ(DecodeBody(m, &out), MICA_ERR_INVALID_ARGS);
}

TEST_F(IdlReject, HandleMarkerOtherThanPresentOrAbsent) {
  EXPECT_EQ(DecodeMutated([](Message& m) { Write<uint32_t>(m, kVmo, 1); }), MICA_ERR_INVALID_ARGS);
}

TEST_F(IdlReject, MoreHandlesThanMarkers) {
  EXPECT_EQ(DecodeMutated([](Message& m) {
              m.handles.push_back(NewHandle(MICA_OBJ_TYPE_EVENT, MICA_RIGHT_WAIT));
            }),
            MICA_ERR_INVALID_ARGS);
  // The optional vmo marked absent: its handle goes to the next slot (an
  // event: wrong type) and one is left over.
  EXPECT_NE(DecodeMutated([](Message& m) { Write<uint32_t>(m, kVmo, 0); }), MICA_OK);
}

TEST_F(IdlReject, FewerHandlesThanMarkers) {
  EXPECT_EQ(DecodeMutated([](Message& m) {
              mica::idl::CloseHandles(&m.handles.back(), 1);
              m.handles.pop_back();
            }),
            MICA_ERR_INVALID_ARGS);
}

TEST_F(IdlReject, WrongObjectType) {
  EXPECT_EQ(DecodeMutated([](Message& m) {
              mica::idl::CloseHandles(&m.handles[0], 1);
              m.handles[0] = NewHandle(MICA_OBJ_TYPE_EVENT, MICA_RIGHT_READ | MICA_RIGHT_MAP);
            }),
            MICA_ERR_WRONG_TYPE);
}

TEST_F(IdlReject, MissingRights) {
  for (mica_rights_t rights : {MICA_RIGHT_READ, MICA_RIGHT_MAP, MICA_RIGHT_NONE}) {
    EXPECT_EQ(DecodeMutated([rights](Message& m) {
                mica::idl::CloseHandles(&m.handles[0], 1);
                m.handles[0] = NewHandle(MICA_OBJ_TYPE_VMO, rights);
              }),
              MICA_ERR_ACCESS_DENIED);
  }
}

TEST_F(IdlReject, HandleTheKernelDoesNotKnow) {
  EXPECT_EQ(DecodeMutated([](Message& m) {
              mica::idl::CloseHandles(&m.handles[0], 1);
              m.handles[0] = 0x7777;
            }),
            MICA_ERR_BAD_HANDLE);
  // The decoder closed the unknown value with the rest (the kernel would
  // refuse that close too).
  EXPECT_EQ(BadCloses(), 1u);
  ForgetBadCloses();
}

TEST(IdlEncode, RejectsWhatTheDecoderWould) {
  ResetHandles();
  Everything v;
  v.color = static_cast<Color>(9);
  EXPECT_EQ(EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(std::move(v))).status,
            MICA_ERR_INVALID_ARGS);
  Everything w;
  w.color = Color::RED;
  w.flags = static_cast<Flags>(0x4);
  EXPECT_EQ(EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(std::move(w))).status,
            MICA_ERR_INVALID_ARGS);
  Everything x;
  x.color = Color::RED;
  x.name.size = 17;  // over string:16
  EXPECT_EQ(EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(std::move(x))).status,
            MICA_ERR_OUT_OF_RANGE);
}

TEST(IdlEncode, MissingRequiredHandleFailsAndClosesTheOthers) {
  ResetHandles();
  Echo::EchoRequest req = WrapEcho(FullEverything());
  req.value.events[1].reset();
  EXPECT_EQ(EncodeBody(1, Echo::kEchoOrdinal, req).status, MICA_ERR_BAD_HANDLE);
  req = Echo::EchoRequest();
  EXPECT_EQ(OpenCount(), 0u);
  EXPECT_EQ(BadCloses(), 0u);
}

TEST(IdlEncode, BufferTooSmall) {
  ResetHandles();
  Echo::AddRequest req;
  uint8_t bytes[20];
  mica::idl::Encoder e(bytes, sizeof(bytes), nullptr, 0);
  EXPECT_EQ(mica::idl::EncodeMessage(e, 1, 3, Echo::kAddOrdinal, req), MICA_ERR_BUFFER_TOO_SMALL);
}

}  // namespace
}  // namespace idl_test
