// Host tests of mica::idl::IsUtf8 (<mica/idl/wire.h>) over the class of
// inputs, against an oracle built from the definition (a string is UTF-8 iff
// it is a concatenation of the shortest encodings of Unicode scalar values,
// U+0000..U+10FFFF without the surrogates U+D800..U+DFFF; Unicode 15.0 §3.9
// D92 and Table 3-7): every 1-, 2- and 3-byte sequence; every scalar value,
// every overlong form, every surrogate and every value above U+10FFFF in its
// 4-byte form; every row of Table 3-7 byte by byte; truncations, stray
// continuation bytes, and invalid bytes at every position around the ASCII
// fast path. Then the generated codec: a decoder rejects a message whose
// string is not UTF-8 and the encoder refuses to send one.
#include <gtest/gtest.h>
#include <idl/idltest.h>
#include <mica/idl/wire.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fake_handles.h"
#include "wire_test_util.h"

namespace idl_test {
namespace {

using mica::idl::IsUtf8;

bool Valid(const std::string& s) {
  return IsUtf8(s.data(), s.size());
}

// The `len`-byte encoding pattern filled with the bits of `cp`, whether or
// not it is the shortest form or a scalar value (so it also makes overlong
// forms, surrogates and values above U+10FFFF).
std::string EncodeAs(uint32_t cp, int len) {
  static const uint8_t kLead[] = {0, 0x00, 0xC0, 0xE0, 0xF0};
  std::string s(static_cast<size_t>(len), '\0');
  for (int i = len - 1; i > 0; --i) {
    s[static_cast<size_t>(i)] = static_cast<char>(0x80 | (cp & 0x3F));
    cp >>= 6;
  }
  s[0] = static_cast<char>(kLead[len] | cp);
  return s;
}

int ShortestLength(uint32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

bool IsScalar(uint32_t cp) {
  return cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
}

// The well-formed sequences of exactly `len` bytes (1..3), as a bitmap
// indexed by the bytes read big-endian: every concatenation of shortest
// encodings of scalar values whose lengths add up to `len`.
std::vector<bool> WellFormed(int len) {
  // pieces[k]: the shortest encodings of k bytes, each read big-endian.
  std::vector<std::vector<uint32_t>> pieces(4);
  for (uint32_t cp = 0; cp < 0x10000; ++cp) {
    int n = ShortestLength(cp);
    if (IsScalar(cp) && n <= len) {
      uint32_t index = 0;
      for (char c : EncodeAs(cp, n)) {
        index = (index << 8) | static_cast<uint8_t>(c);
      }
      pieces[static_cast<size_t>(n)].push_back(index);
    }
  }
  // prefixes[k]: every concatenation of pieces that is k bytes long.
  std::vector<std::vector<uint32_t>> prefixes(static_cast<size_t>(len) + 1);
  prefixes[0] = {0};
  for (int k = 1; k <= len; ++k) {
    for (int last = 1; last <= k; ++last) {
      for (uint32_t head : prefixes[static_cast<size_t>(k - last)]) {
        for (uint32_t tail : pieces[static_cast<size_t>(last)]) {
          prefixes[static_cast<size_t>(k)].push_back((head << (8 * last)) | tail);
        }
      }
    }
  }
  std::vector<bool> ok(size_t{1} << (8 * len));
  for (uint32_t index : prefixes[static_cast<size_t>(len)]) {
    ok[index] = true;
  }
  return ok;
}

void ExpectExhaustive(int len) {
  std::vector<bool> ok = WellFormed(len);
  size_t mismatches = 0;
  std::string s(static_cast<size_t>(len), '\0');
  for (size_t index = 0; index < ok.size(); ++index) {
    for (int i = 0; i < len; ++i) {
      s[static_cast<size_t>(i)] = static_cast<char>(index >> (8 * (len - 1 - i)));
    }
    if (Valid(s) != ok[index] && mismatches++ < 10) {
      ADD_FAILURE() << "bytes " << std::hex << index << " (" << len << " bytes): expected "
                    << ok[index];
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(IdlUtf8, EveryOneByteSequence) {
  ExpectExhaustive(1);
}

TEST(IdlUtf8, EveryTwoByteSequence) {
  ExpectExhaustive(2);
}

TEST(IdlUtf8, EveryThreeByteSequence) {
  ExpectExhaustive(3);
}

TEST(IdlUtf8, EveryScalarValueInItsShortestForm) {
  for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (IsScalar(cp)) {
      ASSERT_TRUE(Valid(EncodeAs(cp, ShortestLength(cp)))) << std::hex << cp;
    }
  }
}

TEST(IdlUtf8, EveryOverlongForm) {
  for (uint32_t cp = 0; cp < 0x10000; ++cp) {
    for (int len = ShortestLength(cp) + 1; len <= 4; ++len) {
      ASSERT_FALSE(Valid(EncodeAs(cp, len))) << std::hex << cp << " in " << len << " bytes";
    }
  }
}

TEST(IdlUtf8, EverySurrogateAndSurrogatePair) {
  for (uint32_t cp = 0xD800; cp <= 0xDFFF; ++cp) {
    ASSERT_FALSE(Valid(EncodeAs(cp, 3))) << std::hex << cp;
    ASSERT_FALSE(Valid(EncodeAs(cp, 4))) << std::hex << cp;
  }
  // CESU-8: U+1F600 as the surrogate pair D83D DE00, each in 3 bytes.
  EXPECT_FALSE(Valid(EncodeAs(0xD83D, 3) + EncodeAs(0xDE00, 3)));
}

TEST(IdlUtf8, EveryValueAboveTheLastCodePoint) {
  for (uint32_t cp = 0x110000; cp < 0x200000; ++cp) {
    ASSERT_FALSE(Valid(EncodeAs(cp, 4))) << std::hex << cp;
  }
  // The old 5- and 6-byte forms (lead bytes F8..FD) and FE, FF.
  for (int lead = 0xF5; lead <= 0xFF; ++lead) {
    std::string s(1, static_cast<char>(lead));
    for (int i = 0; i < 5; ++i) {
      s += '\x80';
      EXPECT_FALSE(Valid(s)) << std::hex << lead;
    }
  }
}

// Table 3-7 row by row: the allowed range of each byte given the lead byte,
// every value of each byte with the others at both ends of their ranges.
TEST(IdlUtf8, EveryRowOfTable3_7ByteByByte) {
  struct Row {
    int lead_lo, lead_hi, second_lo, second_hi, length;
  };
  const Row rows[] = {
      {0xC2, 0xDF, 0x80, 0xBF, 2}, {0xE0, 0xE0, 0xA0, 0xBF, 3}, {0xE1, 0xEC, 0x80, 0xBF, 3},
      {0xED, 0xED, 0x80, 0x9F, 3}, {0xEE, 0xEF, 0x80, 0xBF, 3}, {0xF0, 0xF0, 0x90, 0xBF, 4},
      {0xF1, 0xF3, 0x80, 0xBF, 4}, {0xF4, 0xF4, 0x80, 0x8F, 4},
  };
  for (const Row& r : rows) {
    for (int lead = r.lead_lo; lead <= r.lead_hi; ++lead) {
      for (int pos = 1; pos < r.length; ++pos) {
        int lo = pos == 1 ? r.second_lo : 0x80;
        int hi = pos == 1 ? r.second_hi : 0xBF;
        for (int edge : {0, 1}) {
          for (int v = 0; v < 256; ++v) {
            std::string s(static_cast<size_t>(r.length), '\0');
            s[0] = static_cast<char>(lead);
            for (int k = 1; k < r.length; ++k) {
              int klo = k == 1 ? r.second_lo : 0x80;
              int khi = k == 1 ? r.second_hi : 0xBF;
              s[static_cast<size_t>(k)] = static_cast<char>(edge ? khi : klo);
            }
            s[static_cast<size_t>(pos)] = static_cast<char>(v);
            ASSERT_EQ(Valid(s), v >= lo && v <= hi)
                << std::hex << "lead " << lead << " byte " << pos << " = " << v;
          }
        }
      }
    }
  }
}

TEST(IdlUtf8, TruncatedSequencesAndStrayContinuations) {
  const uint32_t samples[] = {0x80, 0x7FF, 0x800, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF, 0x1F600};
  for (uint32_t cp : samples) {
    std::string whole = EncodeAs(cp, ShortestLength(cp));
    for (size_t cut = 1; cut < whole.size(); ++cut) {
      std::string part = whole.substr(0, cut);
      EXPECT_FALSE(Valid(part)) << std::hex << cp << " cut at " << cut;
      EXPECT_FALSE(Valid(part + "abcdefgh")) << std::hex << cp << " cut at " << cut;
      EXPECT_FALSE(Valid("abcdefgh" + part)) << std::hex << cp << " cut at " << cut;
    }
    EXPECT_FALSE(Valid(whole + "\x80")) << std::hex << cp;
  }
  for (int c = 0x80; c <= 0xBF; ++c) {
    EXPECT_FALSE(Valid(std::string("abc") + static_cast<char>(c))) << std::hex << c;
  }
}

// Every length 0..40 and every position of one non-ASCII piece, so the
// 8-byte ASCII fast path is crossed at every alignment.
TEST(IdlUtf8, EveryPositionAroundTheAsciiFastPath) {
  const std::string pieces[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
  const std::string bad[] = {"\xFF", "\x80", "\xC3", "\xED\xA0\x80", "\xC0\xAF"};
  for (size_t len = 0; len <= 40; ++len) {
    std::string ascii(len, 'a');
    EXPECT_TRUE(Valid(ascii));
    for (size_t at = 0; at <= len; ++at) {
      for (const std::string& p : pieces) {
        EXPECT_TRUE(Valid(ascii.substr(0, at) + p + ascii.substr(at))) << len << " " << at;
      }
      for (const std::string& b : bad) {
        EXPECT_FALSE(Valid(ascii.substr(0, at) + b + ascii.substr(at))) << len << " " << at;
      }
    }
  }
  // A NUL is a scalar value (U+0000): IDL strings carry it.
  EXPECT_TRUE(IsUtf8("a\0b", 3));
}

// SetLossy: whatever the input, the result is UTF-8, keeps every
// well-formed sequence and replaces each other byte with one '?'.
TEST(IdlUtf8, SetLossyAlwaysGivesUtf8) {
  mica::idl::String<8> s;
  EXPECT_TRUE(s.SetLossy("ab\xC3\xA9", 4));
  EXPECT_TRUE(s.Equals("ab\xC3\xA9"));
  EXPECT_FALSE(
      s.SetLossy("a\xFF\x80"
                 "b\xED\xA0\x80",
                 7));
  EXPECT_TRUE(s.Equals("a??b???"));
  EXPECT_FALSE(s.SetLossy("abcdefg\xC3\xA9", 9));  // never cuts a sequence
  EXPECT_TRUE(s.Equals("abcdefg"));
  for (uint32_t pair = 0; pair < 0x10000; ++pair) {
    const char in[2] = {static_cast<char>(pair >> 8), static_cast<char>(pair)};
    bool exact = s.SetLossy(in, 2);
    ASSERT_TRUE(IsUtf8(s.data, s.size)) << std::hex << pair;
    ASSERT_EQ(exact, IsUtf8(in, 2)) << std::hex << pair;
    ASSERT_EQ(s.size, 2u) << std::hex << pair;  // one byte or one '?' per byte
  }
}

// ---- the generated codec

using idl::idltest::Echo;
using idl::idltest::Everything;

constexpr size_t kHello = 16 + Everything::kWireSize;  // "hello": the first out-of-line block

class IdlUtf8Codec : public ::testing::Test {
 protected:
  void SetUp() override { ResetHandles(); }
  void TearDown() override {
    EXPECT_EQ(OpenCount(), 0u) << "a handle leaked";
    EXPECT_EQ(BadCloses(), 0u);
  }
  // Decodes FullEverything() with name's 5 bytes replaced by `text`.
  mica_status_t DecodeWithName(const char (&text)[6]) {
    Message m = EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(FullEverything()));
    EXPECT_EQ(m.status, MICA_OK);
    memcpy(&m.bytes.at(kHello), text, 5);
    Echo::EchoRequest out;
    return DecodeBody(m, &out);
  }
};

TEST_F(IdlUtf8Codec, DecoderAcceptsWellFormedStrings) {
  EXPECT_EQ(DecodeWithName("h\xC3\xA9lo"), MICA_OK);
  EXPECT_EQ(DecodeWithName("\xE2\x82\xAC"
                           "ab"),
            MICA_OK);
  EXPECT_EQ(DecodeWithName("\xF0\x9F\x98\x80"
                           "a"),
            MICA_OK);
}

TEST_F(IdlUtf8Codec, DecoderRejectsEachIllFormedClass) {
  EXPECT_EQ(DecodeWithName("hell\xFF"), MICA_ERR_INVALID_ARGS);           // never in UTF-8
  EXPECT_EQ(DecodeWithName("\x80hell"), MICA_ERR_INVALID_ARGS);           // stray continuation
  EXPECT_EQ(DecodeWithName("\xC0\xAFhel"), MICA_ERR_INVALID_ARGS);        // overlong '/'
  EXPECT_EQ(DecodeWithName("\xED\xA0\x80he"), MICA_ERR_INVALID_ARGS);     // surrogate U+D800
  EXPECT_EQ(DecodeWithName("\xF4\x90\x80\x80h"), MICA_ERR_INVALID_ARGS);  // U+110000
  EXPECT_EQ(DecodeWithName("hell\xC3"), MICA_ERR_INVALID_ARGS);           // truncated
}

TEST_F(IdlUtf8Codec, DecoderChecksNestedAndOptionalStrings) {
  Everything v = FullEverything();
  v.names[1].Set("tw\xC3\xA9");
  v.inner.label.value.Set("l\xE2\x82\xAC");
  Message m = EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(std::move(v)));
  ASSERT_EQ(m.status, MICA_OK);
  for (const char* want : {"tw\xC3\xA9", "l\xE2\x82\xAC"}) {
    Message bad = CloneWithFreshHandles(m);
    std::vector<uint8_t> needle(want, want + strlen(want));
    auto at = std::search(bad.bytes.begin(), bad.bytes.end(), needle.begin(), needle.end());
    ASSERT_NE(at, bad.bytes.end()) << want;
    at[static_cast<ptrdiff_t>(needle.size()) - 1] = 0xC0;  // cut the sequence short
    Echo::EchoRequest out;
    EXPECT_EQ(DecodeBody(bad, &out), MICA_ERR_INVALID_ARGS) << want;
  }
  Echo::EchoRequest out;
  EXPECT_EQ(DecodeBody(m, &out), MICA_OK);
}

TEST_F(IdlUtf8Codec, EncoderRefusesIllFormedStringsAndClosesTheHandles) {
  const char* bad[] = {"\xFF", "a\x80", "\xC1\xBF", "\xED\xBF\xBF", "\xF5\x80\x80\x80", "\xE2\x82"};
  for (const char* text : bad) {
    Everything v = FullEverything();
    v.nick.value.Set(text);
    EXPECT_EQ(EncodeBody(1, Echo::kEchoOrdinal, WrapEcho(std::move(v))).status,
              MICA_ERR_INVALID_ARGS)
        << text;
  }
  Echo::HappenedEvent ev;
  ev.what.Set("caf\xC3\xA9 \xE2\x98\x95");
  EXPECT_EQ(EncodeBody(0, Echo::kHappenedOrdinal, ev).status, MICA_OK);
}

}  // namespace
}  // namespace idl_test
