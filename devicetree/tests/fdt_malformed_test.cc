// Malformed blobs: each is rejected by fdt::Init with the right kind of
// status, and nothing reads outside the blob (every blob lives in an
// exactly-sized heap buffer, so ASan catches any overread).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "devicetree/lib/fdt.h"
#include "devicetree/tests/blob_builder.h"
#include "devicetree/tests/test_util.h"

extern "C" {
#include <libfdt.h>
}

namespace fdt_test {
namespace {

using fdt::Status;

// Header field offsets (DT spec v0.4 §5.2).
constexpr size_t kTotalSize = 4;
constexpr size_t kOffStruct = 8;
constexpr size_t kOffStrings = 12;
constexpr size_t kOffMemRsv = 16;
constexpr size_t kVersion = 20;
constexpr size_t kLastComp = 24;
constexpr size_t kSizeStrings = 32;
constexpr size_t kSizeStruct = 36;

constexpr uint32_t kBeginNode = 1;
constexpr uint32_t kEndNode = 2;
constexpr uint32_t kProp = 3;
constexpr uint32_t kNop = 4;
constexpr uint32_t kEnd = 9;

// Runs Init on an exact copy of `bytes` (first `size` bytes, default all);
// a rejected blob must leave the Fdt unusable; an accepted one is exercised.
Status Check(const std::vector<uint8_t>& bytes, size_t size = SIZE_MAX) {
  if (size == SIZE_MAX)
    size = bytes.size();
  ExactBuffer buf(bytes.data(), size);
  fdt::Fdt dt;
  const Status st = fdt::Init(buf.data(), buf.size(), &dt);
  char msg[200];
  dt.FormatError(msg, sizeof(msg));
  EXPECT_EQ(st, dt.error().status) << msg;
  if (st != Status::kOk) {
    EXPECT_FALSE(dt.valid());
    EXPECT_FALSE(dt.Root().valid());
    EXPECT_FALSE(dt.FindNode("/").valid());
    EXPECT_FALSE(dt.FirstChild(fdt::Node{0}).valid());
    EXPECT_FALSE(dt.FirstProperty(fdt::Node{0}).valid());
    EXPECT_EQ(dt.MemReserveCount(), 0u);
  }
  ExerciseAll(dt);
  return st;
}

// Offsets of the structure block's tokens (walked independently of the
// library: a plain reading of §5.4).
struct Tok {
  uint32_t type;
  size_t offset;  // absolute
};
std::vector<Tok> Tokens(const std::vector<uint8_t>& b) {
  std::vector<Tok> toks;
  size_t off = GetBe32(b, kOffStruct);
  const size_t end = off + GetBe32(b, kSizeStruct);
  while (off < end) {
    const uint32_t t = GetBe32(b, off);
    toks.push_back({t, off});
    if (t == kBeginNode) {
      size_t n = off + 4;
      while (b[n] != 0)
        ++n;
      off = (n + 1 + 3) & ~size_t{3};
    } else if (t == kProp) {
      off = (off + 12 + GetBe32(b, off + 4) + 3) & ~size_t{3};
    } else {
      off += 4;
    }
  }
  return toks;
}

size_t FirstToken(const std::vector<uint8_t>& b, uint32_t type, int nth = 0) {
  for (const Tok& t : Tokens(b)) {
    if (t.type == type && nth-- == 0)
      return t.offset;
  }
  ADD_FAILURE() << "no token " << type;
  return 0;
}

TEST(Malformed, ValidSampleIsAccepted) {
  EXPECT_EQ(Check(SampleBlob()), Status::kOk);
}

TEST(Malformed, EveryTruncationOfTheBuffer) {
  const std::vector<uint8_t> b = SampleBlob();
  for (size_t len = 0; len < b.size(); ++len) {
    SCOPED_TRACE(len);
    EXPECT_EQ(Check(b, len), Status::kTruncated);
  }
}

TEST(Malformed, EveryTruncationWithConsistentTotalSize) {
  // The header claims the truncated size: some block must then be out of
  // bounds (or the structure incomplete); never accepted, never a crash.
  const std::vector<uint8_t> b = SampleBlob();
  for (size_t len = 40; len < b.size(); ++len) {
    std::vector<uint8_t> t(b.begin(), b.begin() + len);
    SetBe32(t, kTotalSize, static_cast<uint32_t>(len));
    SCOPED_TRACE(len);
    const Status st = Check(t);
    EXPECT_NE(st, Status::kOk);
    EXPECT_TRUE(st == Status::kBadBlock || st == Status::kBadMemReserve) << fdt::StatusString(st);
  }
}

TEST(Malformed, TruncatedStructureBlock) {
  // Shrinking size_dt_struct cuts tokens: every cut is rejected.
  const std::vector<uint8_t> b = SampleBlob();
  const uint32_t size = GetBe32(b, kSizeStruct);
  for (uint32_t cut = 4; cut <= size; cut += 4) {
    std::vector<uint8_t> t = b;
    SetBe32(t, kSizeStruct, size - cut);
    SCOPED_TRACE(cut);
    const Status st = Check(t);
    EXPECT_TRUE(st == Status::kNoEnd || st == Status::kBadToken || st == Status::kBadName ||
                st == Status::kBadProperty)
        << fdt::StatusString(st);
  }
}

TEST(Malformed, RealBlobTruncations) {
  for (const char* name : {"rpi4-firmware.dtb", "virt-gicv3-smp4-4G.dtb"}) {
    const std::vector<uint8_t> b = ReadFixture(name);
    ASSERT_FALSE(b.empty());
    std::vector<size_t> cuts = {0, 3, 4, 35, 39, 40, 41};
    for (size_t off : {GetBe32(b, kOffStruct), GetBe32(b, kOffStrings), GetBe32(b, kOffMemRsv)}) {
      for (size_t d : {0, 1, 4, 16})
        cuts.push_back(off + d);
    }
    for (size_t i = 1; i < 64; ++i)
      cuts.push_back(b.size() * i / 64);
    for (size_t i = 1; i < 64; ++i)
      cuts.push_back(GetBe32(b, kOffStrings) * i / 64);
    cuts.push_back(b.size() - 1);
    for (size_t len : cuts) {
      SCOPED_TRACE(std::string(name) + " " + std::to_string(len));
      EXPECT_EQ(Check(b, len), Status::kTruncated);
      if (len >= 40) {
        // Cutting only free space after the last block keeps the blob
        // valid (QEMU's blobs have ~1 MiB of it); cutting a block does not.
        std::vector<uint8_t> t(b.begin(), b.begin() + len);
        SetBe32(t, kTotalSize, static_cast<uint32_t>(len));
        const size_t blocks_end = std::max(GetBe32(b, kOffStruct) + GetBe32(b, kSizeStruct),
                                           GetBe32(b, kOffStrings) + GetBe32(b, kSizeStrings));
        EXPECT_EQ(Check(t) == Status::kOk, len >= blocks_end);
      }
    }
  }
}

std::vector<uint8_t> Patched(size_t off, uint32_t value) {
  std::vector<uint8_t> b = SampleBlob();
  SetBe32(b, off, value);
  return b;
}

TEST(Malformed, Header) {
  EXPECT_EQ(Check(Patched(0, 0xd00dfeef)), Status::kBadMagic);
  EXPECT_EQ(Check(Patched(0, 0xedfe0dd0)), Status::kBadMagic);  // little-endian magic
  EXPECT_EQ(Check(Patched(kVersion, 15)), Status::kBadVersion);
  EXPECT_EQ(Check(Patched(kVersion, 1)), Status::kBadVersion);
  EXPECT_EQ(Check(Patched(kLastComp, 18)), Status::kBadVersion);
  EXPECT_EQ(Check(Patched(kTotalSize, 0)), Status::kBadHeader);
  EXPECT_EQ(Check(Patched(kTotalSize, 39)), Status::kBadHeader);
  EXPECT_EQ(Check(Patched(kTotalSize, 0xffffffff)), Status::kTruncated);
  const std::vector<uint8_t> b = SampleBlob();
  EXPECT_EQ(Check(Patched(kTotalSize, static_cast<uint32_t>(b.size() + 1))), Status::kTruncated);
  // A larger buffer than totalsize is fine.
  std::vector<uint8_t> padded = b;
  padded.resize(b.size() + 100, 0xff);
  EXPECT_EQ(Check(padded), Status::kOk);
}

TEST(Malformed, HugeAndOverflowingOffsets) {
  for (size_t field : {kOffStruct, kOffStrings, kOffMemRsv, kSizeStruct, kSizeStrings}) {
    for (uint32_t v : {0xffffffffu, 0xfffffff0u, 0x80000000u, 0x7ffffffcu}) {
      SCOPED_TRACE(std::to_string(field) + " " + std::to_string(v));
      EXPECT_EQ(Check(Patched(field, v)), Status::kBadBlock);
    }
  }
  // off + size overflows 32 bits but each is below totalsize-ish values.
  std::vector<uint8_t> b = SampleBlob();
  SetBe32(b, kSizeStrings, 0xffffffff - GetBe32(b, kOffStrings) + 8);
  EXPECT_EQ(Check(b), Status::kBadBlock);
}

TEST(Malformed, Misaligned) {
  const std::vector<uint8_t> b = SampleBlob();
  EXPECT_EQ(Check(Patched(kOffMemRsv, GetBe32(b, kOffMemRsv) + 4)), Status::kMisaligned);
  EXPECT_EQ(Check(Patched(kOffStruct, GetBe32(b, kOffStruct) + 2)), Status::kMisaligned);
  EXPECT_EQ(Check(Patched(kOffStruct, GetBe32(b, kOffStruct) + 1)), Status::kMisaligned);
  EXPECT_EQ(Check(Patched(kSizeStruct, GetBe32(b, kSizeStruct) - 2)), Status::kMisaligned);
  // Tokens shifted off the 4-byte grid: struct block moved by 4 keeps the
  // alignment but breaks the token stream (it now starts mid-token).
  const Status st = Check(Patched(kOffStruct, GetBe32(b, kOffStruct) + 4));
  EXPECT_NE(st, Status::kOk);
}

TEST(Malformed, OverlappingBlocks) {
  std::vector<uint8_t> b = SampleBlob();
  const uint32_t off_struct = GetBe32(b, kOffStruct);
  // Strings block overlapping the structure block.
  EXPECT_EQ(Check(Patched(kOffStrings, off_struct + 8)), Status::kOverlap);
  // Structure block overlapping the header / the reservation block.
  EXPECT_EQ(Check(Patched(kOffStruct, 0)), Status::kOverlap);
  EXPECT_EQ(Check(Patched(kOffStruct, GetBe32(b, kOffMemRsv))), Status::kOverlap);
  // Reservation block inside the header.
  EXPECT_EQ(Check(Patched(kOffMemRsv, 8)), Status::kOverlap);
  // Strings block overlapping the header.
  EXPECT_EQ(Check(Patched(kOffStrings, 4)), Status::kOverlap);
}

TEST(Malformed, MemReserveNotTerminated) {
  std::vector<uint8_t> b = SampleBlob();
  // Point the reservation block at the last 8-aligned 16 bytes that are not
  // all zero... simplest: make every entry up to totalsize non-zero by moving
  // it to the strings block's end region.
  const uint32_t total = GetBe32(b, kTotalSize);
  SetBe32(b, kOffMemRsv, (total - 8) & ~7u);
  for (size_t i = (total - 8) & ~7u; i < total; ++i)
    b[i] = 0xaa;
  EXPECT_EQ(Check(b), Status::kBadMemReserve);
  // Terminator overwritten: the list runs into the structure block.
  std::vector<uint8_t> c = SampleBlob();
  const uint32_t rsv = GetBe32(c, kOffMemRsv);
  c[rsv + 16 * 2 + 15] = 1;  // the sample has two entries, then the terminator
  const Status st = Check(c);
  EXPECT_TRUE(st == Status::kOverlap || st == Status::kBadMemReserve) << fdt::StatusString(st);
}

TEST(Malformed, BadTokens) {
  std::vector<uint8_t> b = SampleBlob();
  SetBe32(b, FirstToken(b, kProp), 5);
  EXPECT_EQ(Check(b), Status::kBadToken);
  b = SampleBlob();
  SetBe32(b, FirstToken(b, kBeginNode), 0);
  EXPECT_EQ(Check(b), Status::kBadToken);
  b = SampleBlob();
  SetBe32(b, FirstToken(b, kEndNode), 0xffffffff);
  EXPECT_EQ(Check(b), Status::kBadToken);
}

TEST(Malformed, BadStringOffsets) {
  for (uint32_t nameoff : {0xffffffffu, 0x7fffffffu, 0x10000u}) {
    std::vector<uint8_t> b = SampleBlob();
    SetBe32(b, FirstToken(b, kProp) + 8, nameoff);
    EXPECT_EQ(Check(b), Status::kBadStringOffset) << nameoff;
  }
  // nameoff exactly at the end of the strings block.
  std::vector<uint8_t> b = SampleBlob();
  SetBe32(b, FirstToken(b, kProp) + 8, GetBe32(b, kSizeStrings));
  EXPECT_EQ(Check(b), Status::kBadStringOffset);
  // The last string loses its terminator when the block shrinks by one.
  b = SampleBlob();
  SetBe32(b, kSizeStrings, GetBe32(b, kSizeStrings) - 1);
  EXPECT_EQ(Check(b), Status::kBadStringOffset);
}

TEST(Malformed, BadPropertyLengths) {
  for (uint32_t len : {0xffffffffu, 0xfffffff4u, 0x10000u}) {
    std::vector<uint8_t> b = SampleBlob();
    SetBe32(b, FirstToken(b, kProp) + 4, len);
    EXPECT_EQ(Check(b), Status::kBadProperty) << len;
  }
  // A length that stays in bounds but desynchronises the token stream.
  std::vector<uint8_t> b = SampleBlob();
  SetBe32(b, FirstToken(b, kProp) + 4, GetBe32(b, FirstToken(b, kProp) + 4) + 4);
  EXPECT_NE(Check(b), Status::kOk);
}

// A hand-made blob: header + empty reservation list + the given structure
// block words + strings (name "p" at offset 0).
std::vector<uint8_t> RawBlob(const std::vector<uint32_t>& words, const std::string& name_bytes = "",
                             std::vector<uint8_t> strings = {'p', 0}) {
  std::vector<uint8_t> b(40 + 16, 0);
  std::vector<uint8_t> st;
  for (uint32_t w : words) {
    st.push_back(static_cast<uint8_t>(w >> 24));
    st.push_back(static_cast<uint8_t>(w >> 16));
    st.push_back(static_cast<uint8_t>(w >> 8));
    st.push_back(static_cast<uint8_t>(w));
  }
  // name_bytes replaces the word 0xdeadbeef (a node name placeholder).
  for (size_t i = 0; i + 4 <= st.size(); i += 4) {
    if (st[i] == 0xde && st[i + 1] == 0xad && st[i + 2] == 0xbe && st[i + 3] == 0xef) {
      std::vector<uint8_t> name(name_bytes.begin(), name_bytes.end());
      while (name.size() % 4 != 0)
        name.push_back(0);
      st.erase(st.begin() + i, st.begin() + i + 4);
      st.insert(st.begin() + i, name.begin(), name.end());
      break;
    }
  }
  const uint32_t off_struct = 56;
  b.insert(b.end(), st.begin(), st.end());
  const uint32_t off_strings = static_cast<uint32_t>(b.size());
  b.insert(b.end(), strings.begin(), strings.end());
  SetBe32(b, 0, fdt::kMagic);
  SetBe32(b, kTotalSize, static_cast<uint32_t>(b.size()));
  SetBe32(b, kOffStruct, off_struct);
  SetBe32(b, kOffStrings, off_strings);
  SetBe32(b, kOffMemRsv, 40);
  SetBe32(b, kVersion, 17);
  SetBe32(b, kLastComp, 16);
  SetBe32(b, kSizeStrings, static_cast<uint32_t>(strings.size()));
  SetBe32(b, kSizeStruct, static_cast<uint32_t>(st.size()));
  return b;
}

TEST(Malformed, RawBlobsStructure) {
  // Minimal valid tree: an empty root.
  EXPECT_EQ(Check(RawBlob({kBeginNode, 0, kEndNode, kEnd})), Status::kOk);
  EXPECT_EQ(Check(RawBlob({kNop, kBeginNode, 0, kNop, kEndNode, kNop, kEnd})), Status::kOk);
  // With a property and a child.
  EXPECT_EQ(
      Check(RawBlob({kBeginNode, 0, kProp, 0, 0, kBeginNode, 0xdeadbeef, kEndNode, kEndNode, kEnd},
                    "a@1")),
      Status::kOk);
  // Empty structure block, and no root at all.
  EXPECT_EQ(Check(RawBlob({})), Status::kNoEnd);
  EXPECT_EQ(Check(RawBlob({kEnd})), Status::kBadStructure);
  EXPECT_EQ(Check(RawBlob({kNop, kEnd})), Status::kBadStructure);
  // Missing FDT_END / FDT_END not last.
  EXPECT_EQ(Check(RawBlob({kBeginNode, 0, kEndNode})), Status::kNoEnd);
  EXPECT_EQ(Check(RawBlob({kBeginNode, 0, kEndNode, kNop})), Status::kNoEnd);
  EXPECT_EQ(Check(RawBlob({kBeginNode, 0, kEndNode, kEnd, kNop})), Status::kNoEnd);
  // Unbalanced nesting.
  EXPECT_EQ(Check(RawBlob({kBeginNode, 0, kEnd})), Status::kBadStructure);
  EXPECT_EQ(Check(RawBlob({kBeginNode, 0, kEndNode, kEndNode, kEnd})), Status::kBadStructure);
  EXPECT_EQ(Check(RawBlob({kEndNode, kEnd})), Status::kBadStructure);
  // Two roots; property outside any node; property after a child.
  EXPECT_EQ(Check(RawBlob({kBeginNode, 0, kEndNode, kBeginNode, 0, kEndNode, kEnd})),
            Status::kBadStructure);
  EXPECT_EQ(Check(RawBlob({kProp, 0, 0, kBeginNode, 0, kEndNode, kEnd})), Status::kBadStructure);
  EXPECT_EQ(
      Check(RawBlob({kBeginNode, 0, kBeginNode, 0xdeadbeef, kEndNode, kProp, 0, 0, kEndNode, kEnd},
                    "a")),
      Status::kBadStructure);
  // Bad node names: empty child name, '/' in a name, unterminated name.
  EXPECT_EQ(Check(RawBlob({kBeginNode, 0, kBeginNode, 0, kEndNode, kEndNode, kEnd})),
            Status::kBadName);
  EXPECT_EQ(
      Check(RawBlob({kBeginNode, 0, kBeginNode, 0xdeadbeef, kEndNode, kEndNode, kEnd}, "a/b")),
      Status::kBadName);
  EXPECT_EQ(Check(RawBlob({kBeginNode, 0x61616161})), Status::kBadName);
  EXPECT_EQ(Check(RawBlob({kBeginNode, 0, kBeginNode, 0x61626364})), Status::kBadName);
  // Truncated property header.
  EXPECT_EQ(Check(RawBlob({kBeginNode, 0, kProp, 0})), Status::kBadToken);
  // Property value running past the block.
  EXPECT_EQ(Check(RawBlob({kBeginNode, 0, kProp, 12, 0, kEndNode, kEnd})), Status::kBadProperty);
  // Unterminated string in the strings block.
  EXPECT_EQ(Check(RawBlob({kBeginNode, 0, kProp, 0, 0, kEndNode, kEnd}, "", {'p', 'q'})),
            Status::kBadStringOffset);
}

std::vector<uint8_t> DeepBlob(int levels) {
  BlobBuilder b;
  b.Begin("");
  for (int i = 1; i < levels; ++i)
    b.Begin("n" + std::to_string(i));
  return b.Finish();
}

TEST(Malformed, NestingDepthLimit) {
  // kMaxDepth levels (depths 0 .. 63) are fine; one more is rejected.
  const std::vector<uint8_t> ok = DeepBlob(fdt::kMaxDepth);
  EXPECT_EQ(Check(ok), Status::kOk);
  ExactBuffer buf(ok);
  fdt::Fdt dt;
  ASSERT_EQ(fdt::Init(buf.data(), buf.size(), &dt), Status::kOk);
  fdt::Node deepest;
  dt.ForEachNode([&](fdt::Node n, int) {
    deepest = n;
    return true;
  });
  EXPECT_EQ(dt.Depth(deepest), fdt::kMaxDepth - 1);
  char path[1024];
  EXPECT_EQ(dt.GetPath(deepest, path, sizeof(path)), Status::kOk);
  EXPECT_EQ(dt.FindNode(path), deepest);
  EXPECT_EQ(Check(DeepBlob(fdt::kMaxDepth + 1)), Status::kTooDeep);
  EXPECT_EQ(Check(DeepBlob(1000)), Status::kTooDeep);
}

TEST(Malformed, Version16Header) {
  // Version 16 has no size_dt_struct; the walk finds FDT_END.
  std::vector<uint8_t> b = SampleBlob();
  SetBe32(b, kVersion, 16);
  SetBe32(b, kSizeStruct, 0xdeadbeef);  // ignored for v16
  EXPECT_EQ(Check(b), Status::kOk);
}

TEST(Malformed, FormatErrorNamesProblemAndOffset) {
  std::vector<uint8_t> b = SampleBlob();
  const size_t prop = FirstToken(b, kProp);
  SetBe32(b, prop, 7);
  ExactBuffer buf(b);
  fdt::Fdt dt;
  ASSERT_EQ(fdt::Init(buf.data(), buf.size(), &dt), Status::kBadToken);
  EXPECT_EQ(dt.error().offset, prop);
  char msg[128];
  const size_t len = dt.FormatError(msg, sizeof(msg));
  char want[64];
  snprintf(want, sizeof(want), "bad token at offset 0x%zx: unknown token", prop);
  EXPECT_STREQ(msg, want);
  EXPECT_EQ(len, strlen(want));
  char tiny[8];
  EXPECT_EQ(dt.FormatError(tiny, sizeof(tiny)), len);
  EXPECT_STREQ(tiny, "bad tok");
}

// Random byte mutations of valid blobs: each result is either rejected or,
// if accepted, every accessor stays in bounds (ASan).
TEST(Malformed, RandomMutations) {
  std::mt19937 rng(12345);
  // QEMU's blob packed (libfdt's fdt_pack drops its ~1 MiB of free space).
  std::vector<uint8_t> virt = ReadFixture("virt-gicv2-smp1-512M.dtb");
  ASSERT_FALSE(virt.empty());
  ASSERT_EQ(fdt_pack(virt.data()), 0);
  virt.resize(fdt_totalsize(virt.data()));
  const std::vector<std::vector<uint8_t>> seeds = {SampleBlob(), virt};
  int accepted = 0;
  for (const std::vector<uint8_t>& seed : seeds) {
    ASSERT_FALSE(seed.empty());
    for (int iter = 0; iter < 1000; ++iter) {
      std::vector<uint8_t> b = seed;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) {
        const size_t pos = rng() % b.size();
        switch (rng() % 3) {
          case 0:
            b[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
            break;
          case 1:
            b[pos] = static_cast<uint8_t>(rng());
            break;
          default:
            if (pos + 4 <= b.size())
              SetBe32(b, pos & ~size_t{3}, rng() % 16);
            break;
        }
      }
      if (Check(b) == Status::kOk)
        ++accepted;
    }
  }
  // Flips inside property values keep blobs valid: both paths are covered.
  EXPECT_GT(accepted, 0);
}

// Forged handles on a valid blob: any offset, including ones in the middle
// of names and values, is harmless.
TEST(Malformed, ForgedHandles) {
  const std::vector<uint8_t> b = SampleBlob();
  ExactBuffer buf(b);
  fdt::Fdt dt;
  ASSERT_EQ(fdt::Init(buf.data(), buf.size(), &dt), Status::kOk);
  ExerciseForgedHandles(dt, GetBe32(b, kSizeStruct));
  // A handle that is not a node is rejected by the navigation accessors.
  EXPECT_EQ(dt.Name(fdt::Node{4}), nullptr);
  EXPECT_FALSE(dt.Parent(fdt::Node{2}).valid());
  EXPECT_EQ(dt.Depth(fdt::Node{0xfffffffc}), -1);
}

}  // namespace
}  // namespace fdt_test
