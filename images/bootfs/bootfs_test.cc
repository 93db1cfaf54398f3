// Tests of the bootfs reader and writer (docs/bootfs.md), including a corpus
// of malformed images. Every image is opened from an exactly-sized heap
// buffer, so ASan reports any read past its end.

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "images/bootfs/bootfs.h"
#include "images/bootfs/writer.h"

namespace bootfs {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes ToBytes(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

// An exactly-sized heap copy of some bytes.
class Buffer {
 public:
  explicit Buffer(const Bytes& bytes, size_t size) : size_(size), data_(new uint8_t[size]) {
    if (size != 0) {
      std::memcpy(data_.get(), bytes.data(), std::min(size, bytes.size()));
    }
  }
  explicit Buffer(const Bytes& bytes) : Buffer(bytes, bytes.size()) {}
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  size_t size_;
  std::unique_ptr<uint8_t[]> data_;
};

Status OpenBytes(const Bytes& bytes, Verify verify = Verify::kAll) {
  Buffer buffer(bytes);
  Image image;
  const Status status = image.Open(buffer.data(), buffer.size(), verify);
  if (status == Status::kOk) {
    // Touch every byte of every file: in bounds by the reader's promise.
    uint32_t sum = 0;
    for (const File file : image) {
      for (size_t i = 0; i < file.size; ++i) {
        sum += file.data[i];
      }
      sum += static_cast<uint32_t>(std::strlen(file.name));
    }
    EXPECT_GE(sum, 0u);
  } else {
    EXPECT_FALSE(image.valid());
    EXPECT_EQ(image.count(), 0u);
  }
  return status;
}

Bytes Build(const std::vector<std::pair<std::string, Bytes>>& files) {
  Writer writer;
  std::string error;
  for (const auto& [name, data] : files) {
    EXPECT_TRUE(writer.Add(name, data, &error)) << error;
  }
  return writer.Build();
}

// Three files: one shorter than a page, one exactly a page, one empty.
Bytes Sample() {
  Bytes page(kPageSize);
  for (size_t i = 0; i < page.size(); ++i) {
    page[i] = static_cast<uint8_t>(i * 7);
  }
  return Build({{"bin/init", ToBytes("#!init")}, {"data/page", page}, {"empty", {}}});
}

uint8_t* EntryField(Bytes* image, uint32_t index, size_t field) {
  return image->data() + kHeaderSize + index * kEntrySize + field;
}

uint64_t Read64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | p[i];
  }
  return v;
}

// Sets an entry's name (and its length field), NUL-padding the rest.
void SetName(Bytes* image, uint32_t index, const std::string& name, size_t length_field) {
  uint8_t* field = EntryField(image, index, kEntryNameOffset);
  std::memset(field, 0, kNameFieldSize);
  std::memcpy(field, name.data(), std::min(name.size(), kNameFieldSize));
  Store16(EntryField(image, index, kEntryNameLengthOffset), static_cast<uint16_t>(length_field));
}

// --- CRC-32 and names.

TEST(BootfsCrc32, MatchesTheStandardCheckValue) {
  // The CRC-32/ISO-HDLC check value (the CRC of "123456789").
  EXPECT_EQ(Crc32("123456789", 9), 0xcbf43926u);
  EXPECT_EQ(Crc32("", 0), 0u);
}

TEST(BootfsCrc32, Chains) {
  const std::string s = "hello, bootfs";
  EXPECT_EQ(Crc32(s.data() + 5, s.size() - 5, Crc32(s.data(), 5)), Crc32(s.data(), s.size()));
}

// The slicing-by-8 loop against the bit-at-a-time definition, for every
// length up to 80 at every alignment (both loops and their hand-over).
TEST(BootfsCrc32, MatchesTheBitwiseDefinitionAtEveryLengthAndAlignment) {
  std::vector<uint8_t> data(96);
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<uint8_t>(i * 151 + 7);
  }
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t size = 0; size <= 80; ++size) {
      uint32_t c = 0xffffffffu;
      for (size_t i = 0; i < size; ++i) {
        c ^= data[offset + i];
        for (int bit = 0; bit < 8; ++bit) {
          c = (c & 1) ? (0xedb88320u ^ (c >> 1)) : (c >> 1);
        }
      }
      EXPECT_EQ(Crc32(data.data() + offset, size), ~c) << "offset " << offset << ", size " << size;
    }
  }
}

TEST(BootfsNames, AcceptsPathsOfPrintableAscii) {
  for (const char* name :
       {"a", "bin/init", "lib/ld.so.1", "x-y_z+1@2,3=4~", ".hidden", "a/..b", "a/b./c"}) {
    EXPECT_TRUE(IsValidName(name, std::strlen(name))) << name;
  }
  const std::string longest(kMaxNameLength, 'n');
  EXPECT_TRUE(IsValidName(longest.data(), longest.size()));
}

TEST(BootfsNames, RejectsMalformedNames) {
  for (const char* name : {"", "/abs", "trailing/", "a//b", ".", "..", "a/./b", "a/../b", "../a",
                           "sp ace", "back\\slash", "tab\t", "del\x7f", "hi\x80"}) {
    EXPECT_FALSE(IsValidName(name, std::strlen(name))) << name;
  }
  const std::string too_long(kMaxNameLength + 1, 'n');
  EXPECT_FALSE(IsValidName(too_long.data(), too_long.size()));
  EXPECT_FALSE(IsValidName("a\0b", 3));
}

TEST(BootfsNames, CompareIsBytewise) {
  EXPECT_LT(CompareNames("a", 1, "b", 1), 0);
  EXPECT_GT(CompareNames("b", 1, "a", 1), 0);
  EXPECT_LT(CompareNames("a", 1, "ab", 2), 0);
  EXPECT_GT(CompareNames("ab", 2, "a", 1), 0);
  EXPECT_EQ(CompareNames("ab", 2, "ab", 2), 0);
  EXPECT_LT(CompareNames("Z", 1, "a", 1), 0);
  EXPECT_LT(CompareNames("a/b", 3, "a0", 2), 0);  // '/' (0x2f) < '0' (0x30)
}

// --- Writer and well-formed images.

TEST(BootfsWriter, LaysOutPageAlignedSortedFiles) {
  const Bytes bytes = Sample();
  ASSERT_EQ(bytes.size() % kPageSize, 0u);
  // Header + 3 entries fit in page 0; files at pages 1 and 2; the empty file
  // sits at the (page-aligned) end of the image.
  EXPECT_EQ(bytes.size(), 3 * kPageSize);
  Buffer buffer(bytes);
  Image image;
  ASSERT_EQ(image.Open(buffer.data(), buffer.size()), Status::kOk);
  ASSERT_EQ(image.count(), 3u);
  EXPECT_EQ(image.total_size(), bytes.size());
  const char* names[] = {"bin/init", "data/page", "empty"};
  const uint64_t offsets[] = {kPageSize, 2 * kPageSize, 3 * kPageSize};
  const size_t sizes[] = {6, kPageSize, 0};
  uint32_t i = 0;
  for (const File file : image) {
    EXPECT_STREQ(file.name, names[i]);
    EXPECT_EQ(file.name_length, std::strlen(names[i]));
    EXPECT_EQ(file.offset, offsets[i]);
    EXPECT_EQ(file.size, sizes[i]);
    EXPECT_EQ(file.data, buffer.data() + offsets[i]);
    EXPECT_EQ(file.crc32, Crc32(file.data, file.size));
    EXPECT_TRUE(image.CheckFile(file));
    ++i;
  }
  EXPECT_EQ(i, 3u);
}

TEST(BootfsWriter, OutputDependsOnlyOnContents) {
  Writer a;
  Writer b;
  std::string error;
  ASSERT_TRUE(a.Add("z", ToBytes("1"), &error));
  ASSERT_TRUE(a.Add("a", ToBytes("2"), &error));
  ASSERT_TRUE(b.Add("a", ToBytes("2"), &error));
  ASSERT_TRUE(b.Add("z", ToBytes("1"), &error));
  EXPECT_EQ(a.Build(), b.Build());
}

TEST(BootfsWriter, RejectsBadAndDuplicateNames) {
  Writer writer;
  std::string error;
  EXPECT_FALSE(writer.Add("/etc", {}, &error));
  EXPECT_NE(error.find("invalid"), std::string::npos);
  EXPECT_TRUE(writer.Add("etc", {}, &error));
  EXPECT_FALSE(writer.Add("etc", {}, &error));
  EXPECT_NE(error.find("duplicate"), std::string::npos);
  EXPECT_EQ(writer.count(), 1u);
}

TEST(BootfsWriter, IndexListsEveryFile) {
  Writer writer;
  std::string error;
  ASSERT_TRUE(writer.Add("b", ToBytes("123456789"), &error));
  ASSERT_TRUE(writer.Add("a", {}, &error));
  EXPECT_EQ(writer.IndexText(), "a 0 00000000\nb 9 cbf43926\n");
}

TEST(BootfsImage, EmptyImageIsValid) {
  const Bytes bytes = Build({});
  EXPECT_EQ(bytes.size(), kPageSize);
  Buffer buffer(bytes);
  Image image;
  ASSERT_EQ(image.Open(buffer.data(), buffer.size()), Status::kOk);
  EXPECT_EQ(image.count(), 0u);
  EXPECT_EQ(image.begin(), image.end());
  File file;
  EXPECT_FALSE(image.Find("anything", &file));
}

TEST(BootfsImage, FindsEveryFileAndNothingElse) {
  std::vector<std::pair<std::string, Bytes>> files;
  for (int i = 0; i < 50; ++i) {
    files.push_back({"dir" + std::to_string(i % 7) + "/file" + std::to_string(i),
                     ToBytes(std::string(static_cast<size_t>(i * 37), 'a' + (i % 26)))});
  }
  Buffer buffer(Build(files));
  Image image;
  ASSERT_EQ(image.Open(buffer.data(), buffer.size()), Status::kOk);
  ASSERT_EQ(image.count(), files.size());
  for (const auto& [name, data] : files) {
    File file;
    ASSERT_TRUE(image.Find(name.c_str(), &file)) << name;
    EXPECT_EQ(std::string(file.name), name);
    EXPECT_EQ(Bytes(file.data, file.data + file.size), data);
    EXPECT_EQ(file.offset % kPageSize, 0u);
  }
  File file{};
  for (const char* missing : {"", "dir0", "dir0/", "dir0/file", "dir0/file00", "dir0/file0x", "zzz",
                              "\x01", "dir5/file48"}) {
    EXPECT_FALSE(image.Find(missing, &file)) << missing;
  }
  EXPECT_EQ(file.name, nullptr);  // untouched by failed lookups
  // Lookup by (pointer, length) does not need a terminator.
  const char prefix_of_longer[] = "dir0/file0MORE";
  ASSERT_TRUE(image.Find(prefix_of_longer, 10, &file));
  EXPECT_STREQ(file.name, "dir0/file0");
}

TEST(BootfsImage, NamesOfMaximumLength) {
  const std::string longest(kMaxNameLength, 'q');
  Buffer buffer(Build({{longest, ToBytes("x")}}));
  Image image;
  ASSERT_EQ(image.Open(buffer.data(), buffer.size()), Status::kOk);
  File file;
  ASSERT_TRUE(image.Find(longest.c_str(), &file));
  EXPECT_EQ(file.name_length, kMaxNameLength);
  EXPECT_EQ(std::strlen(file.name), kMaxNameLength);
}

TEST(BootfsImage, AcceptsALargerBufferAndAnyAlignment) {
  const Bytes bytes = Sample();
  // One byte of offset makes the image start at an odd address.
  Bytes shifted(1, 0xaa);
  shifted.insert(shifted.end(), bytes.begin(), bytes.end());
  shifted.resize(shifted.size() + 100, 0x55);
  Buffer buffer(shifted);
  Image image;
  ASSERT_EQ(image.Open(buffer.data() + 1, buffer.size() - 1), Status::kOk);
  EXPECT_EQ(image.total_size(), bytes.size());
  File file;
  ASSERT_TRUE(image.Find("bin/init", &file));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(file.data), file.size), "#!init");
}

TEST(BootfsImage, ManyEntriesSpanSeveralDirectoryPages) {
  std::vector<std::pair<std::string, Bytes>> files;
  for (int i = 0; i < 100; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "f%03d", i);
    files.push_back({name, ToBytes(name)});
  }
  const Bytes bytes = Build(files);
  // 64 + 100 * 128 = 12864 bytes of header and directory: data from page 4.
  Buffer buffer(bytes);
  Image image;
  ASSERT_EQ(image.Open(buffer.data(), buffer.size()), Status::kOk);
  EXPECT_EQ(image.At(0).offset, 4 * kPageSize);
  EXPECT_EQ(image.total_size(), (4 + 100) * kPageSize);
}

TEST(BootfsImage, FailedOpenClearsAPreviousImage) {
  Buffer good(Sample());
  Image image;
  ASSERT_EQ(image.Open(good.data(), good.size()), Status::kOk);
  Buffer bad(Bytes(kHeaderSize, 0));
  EXPECT_EQ(image.Open(bad.data(), bad.size()), Status::kBadMagic);
  EXPECT_FALSE(image.valid());
  EXPECT_EQ(image.count(), 0u);
  EXPECT_EQ(image.Open(nullptr, 0), Status::kTooSmall);
}

TEST(BootfsImage, StatusStringsAreDistinct) {
  std::vector<std::string> seen;
  for (int s = 0; s <= static_cast<int>(Status::kBadEntryChecksum); ++s) {
    const std::string text = StatusString(static_cast<Status>(s));
    for (const std::string& other : seen) {
      EXPECT_NE(text, other);
    }
    seen.push_back(text);
  }
}

// --- Malformed images: structure.

TEST(BootfsMalformed, EveryTruncationIsRejected) {
  const Bytes bytes = Sample();
  for (size_t size = 0; size < bytes.size(); ++size) {
    Buffer buffer(bytes, size);
    Image image;
    const Status status = image.Open(buffer.data(), buffer.size());
    EXPECT_TRUE(status == Status::kTooSmall || status == Status::kBadTotalSize) << size;
  }
}

TEST(BootfsMalformed, EveryHeaderAndDirectoryByteIsCovered) {
  // Any change to the header or the directory is caught, if not by a
  // structural check then by a checksum.
  const Bytes bytes = Sample();
  for (size_t i = 0; i < kHeaderSize + 3 * kEntrySize; ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      Bytes bad = bytes;
      bad[i] ^= flip;
      EXPECT_NE(OpenBytes(bad), Status::kOk) << "byte " << i << " ^ " << int{flip};
    }
  }
}

struct HeaderCase {
  const char* what;
  size_t offset;
  int width;  // bytes: 4 or 8
  uint64_t value;
  Status expected;
};

TEST(BootfsMalformed, BadHeaderFields) {
  const uint64_t kHuge = ~uint64_t{0};
  const HeaderCase cases[] = {
      {"version 0", kHeaderVersionOffset, 4, 0, Status::kBadVersion},
      {"version 2", kHeaderVersionOffset, 4, 2, Status::kBadVersion},
      {"header size", kHeaderHeaderSizeOffset, 4, 63, Status::kBadHeader},
      {"entry size", kHeaderEntrySizeOffset, 4, 127, Status::kBadHeader},
      {"entry size 0", kHeaderEntrySizeOffset, 4, 0, Status::kBadHeader},
      {"flags", kHeaderFlagsOffset, 4, 1, Status::kBadHeader},
      {"reserved", kHeaderReservedOffset + 5, 4, 1, Status::kBadHeader},
      {"count too large", kHeaderEntryCountOffset, 4, 0xffffffffu, Status::kBadDirectory},
      {"count above limit", kHeaderEntryCountOffset, 4, kMaxEntries + 1, Status::kBadDirectory},
      {"count/size mismatch", kHeaderEntryCountOffset, 4, 4, Status::kBadDirectory},
      {"directory size huge", kHeaderDirectorySizeOffset, 8, kHuge, Status::kBadDirectory},
      {"directory size wraps", kHeaderDirectorySizeOffset, 8, kHuge - 63, Status::kBadDirectory},
      {"total unaligned", kHeaderTotalSizeOffset, 8, 3 * kPageSize - 1, Status::kBadTotalSize},
      {"total beyond buffer", kHeaderTotalSizeOffset, 8, 4 * kPageSize, Status::kBadTotalSize},
      {"total huge", kHeaderTotalSizeOffset, 8, kHuge & ~(kPageSize - 1), Status::kBadTotalSize},
      {"total zero", kHeaderTotalSizeOffset, 8, 0, Status::kBadTotalSize},
  };
  for (const HeaderCase& c : cases) {
    Bytes bad = Sample();
    if (c.width == 4) {
      Store32(bad.data() + c.offset, static_cast<uint32_t>(c.value));
    } else {
      Store64(bad.data() + c.offset, c.value);
    }
    Reseal(&bad);
    EXPECT_EQ(OpenBytes(bad), c.expected) << c.what;
  }
}

TEST(BootfsMalformed, BadMagic) {
  Bytes bad = Sample();
  bad[3] = 'X';
  Reseal(&bad);
  EXPECT_EQ(OpenBytes(bad), Status::kBadMagic);
}

TEST(BootfsMalformed, DirectoryLargerThanImage) {
  // 40 entries' worth of directory, but the image ends after page 0.
  Bytes bad = Build({});
  Store32(bad.data() + kHeaderEntryCountOffset, 40);
  Store64(bad.data() + kHeaderDirectorySizeOffset, 40 * kEntrySize);
  Reseal(&bad);
  EXPECT_EQ(OpenBytes(bad), Status::kBadTotalSize);
}

struct EntryCase {
  const char* what;
  uint32_t entry;  // the entry changed
  size_t field;
  int width;  // 2, 4 or 8
  uint64_t value;
  Status expected;
  uint32_t failed;  // the entry the reader blames
};

TEST(BootfsMalformed, BadEntryFields) {
  const uint64_t kHuge = ~uint64_t{0};
  const uint64_t kTotal = 3 * kPageSize;
  const EntryCase cases[] = {
      {"misaligned", 0, kEntryOffsetOffset, 8, kPageSize + 1, Status::kMisalignedEntry, 0},
      {"into the directory", 0, kEntryOffsetOffset, 8, 0, Status::kEntryOutOfBounds, 0},
      {"past the end", 2, kEntryOffsetOffset, 8, kTotal + kPageSize, Status::kEntryOutOfBounds, 2},
      {"offset huge", 1, kEntryOffsetOffset, 8, kHuge & ~(kPageSize - 1), Status::kEntryOutOfBounds,
       1},
      {"size huge", 1, kEntrySizeOffset, 8, kHuge, Status::kEntryOutOfBounds, 1},
      {"size one past the end", 1, kEntrySizeOffset, 8, kPageSize + 1, Status::kEntryOutOfBounds,
       1},
      {"empty file with data", 2, kEntrySizeOffset, 8, 1, Status::kEntryOutOfBounds, 2},
      {"overlaps previous", 1, kEntryOffsetOffset, 8, kPageSize, Status::kOverlappingEntries, 1},
      {"grows into next", 0, kEntrySizeOffset, 8, kPageSize + 1, Status::kOverlappingEntries, 1},
      {"before previous", 2, kEntryOffsetOffset, 8, kPageSize, Status::kOverlappingEntries, 2},
      {"flags", 1, kEntryFlagsOffset, 2, 1, Status::kBadEntryFlags, 1},
      {"name length 0", 0, kEntryNameLengthOffset, 2, 0, Status::kBadName, 0},
      {"name length short", 0, kEntryNameLengthOffset, 2, 3, Status::kBadName, 0},
      {"name length long", 0, kEntryNameLengthOffset, 2, 9, Status::kBadName, 0},
      {"name length max+1", 0, kEntryNameLengthOffset, 2, kMaxNameLength + 1, Status::kBadName, 0},
      {"name length huge", 0, kEntryNameLengthOffset, 2, 0xffff, Status::kBadName, 0},
  };
  for (const EntryCase& c : cases) {
    Bytes bad = Sample();
    uint8_t* p = EntryField(&bad, c.entry, c.field);
    if (c.width == 2) {
      Store16(p, static_cast<uint16_t>(c.value));
    } else if (c.width == 4) {
      Store32(p, static_cast<uint32_t>(c.value));
    } else {
      Store64(p, c.value);
    }
    Reseal(&bad);
    Buffer buffer(bad);
    Image image;
    EXPECT_EQ(image.Open(buffer.data(), buffer.size()), c.expected) << c.what;
    EXPECT_EQ(image.failed_entry(), c.failed) << c.what;
  }
}

TEST(BootfsMalformed, BadNames) {
  struct NameCase {
    uint32_t entry;
    std::string name;
    Status expected;
  };
  const NameCase cases[] = {
      {0, "/bin/init", Status::kBadName},      {0, "bin//ini", Status::kBadName},
      {0, "bin/../x", Status::kBadName},       {0, "bin init", Status::kBadName},
      {1, "bin/init", Status::kUnsortedNames},  // duplicate of entry 0
      {1, "bin/ini", Status::kUnsortedNames},   // sorts before entry 0
      {2, "data/pag", Status::kUnsortedNames},
  };
  for (const NameCase& c : cases) {
    Bytes bad = Sample();
    SetName(&bad, c.entry, c.name, c.name.size());
    Reseal(&bad);
    EXPECT_EQ(OpenBytes(bad), c.expected) << c.name;
  }
  // A NUL inside the counted name, and garbage in the padding after it.
  Bytes embedded_nul = Sample();
  EntryField(&embedded_nul, 0, kEntryNameOffset)[2] = '\0';
  Reseal(&embedded_nul);
  EXPECT_EQ(OpenBytes(embedded_nul), Status::kBadName);
  Bytes dirty_padding = Sample();
  EntryField(&dirty_padding, 0, kEntryNameOffset)[kNameFieldSize - 1] = 'x';
  Reseal(&dirty_padding);
  EXPECT_EQ(OpenBytes(dirty_padding), Status::kBadName);
  // A name filling the whole field leaves no terminating NUL.
  Bytes unterminated = Sample();
  SetName(&unterminated, 2, std::string(kNameFieldSize, 'z'), kNameFieldSize);
  Reseal(&unterminated);
  EXPECT_EQ(OpenBytes(unterminated), Status::kBadName);
}

TEST(BootfsMalformed, LastEntryInTheLastByteOfTheBuffer) {
  // The directory of a single entry ending exactly at the buffer's end is
  // read in full and nothing past it.
  Bytes bytes = Build({{"a", {}}});
  ASSERT_EQ(bytes.size(), kPageSize);
  EXPECT_EQ(OpenBytes(bytes), Status::kOk);
}

// --- Malformed images: checksums.

TEST(BootfsChecksums, HeaderChecksum) {
  Bytes bad = Sample();
  bad[kHeaderHeaderCrcOffset] ^= 1;
  EXPECT_EQ(OpenBytes(bad), Status::kBadHeaderChecksum);
  EXPECT_EQ(OpenBytes(bad, Verify::kStructure), Status::kOk);
}

TEST(BootfsChecksums, ImageChecksumCoversDataAndPadding) {
  const Bytes bytes = Sample();
  for (size_t offset : {kHeaderSize + 1, size_t{kPageSize + 2}, size_t{kPageSize + 100},
                        size_t{3 * kPageSize - 1}}) {
    Bytes bad = bytes;
    bad[offset] ^= 0x10;
    // Only the header checksum is resealed, so the image checksum must fail.
    Store32(bad.data() + kHeaderHeaderCrcOffset, Crc32(bad.data(), kHeaderHeaderCrcOffset));
    EXPECT_EQ(OpenBytes(bad), Status::kBadImageChecksum) << offset;
  }
}

TEST(BootfsChecksums, EntryChecksum) {
  Bytes bad = Sample();
  bad[2 * kPageSize + 17] ^= 0x01;  // inside data/page
  Reseal(&bad);
  Buffer buffer(bad);
  Image image;
  EXPECT_EQ(image.Open(buffer.data(), buffer.size()), Status::kBadEntryChecksum);
  EXPECT_EQ(image.failed_entry(), 1u);
  // Structure-only validation opens it; CheckFile still finds the damage.
  ASSERT_EQ(image.Open(buffer.data(), buffer.size(), Verify::kStructure), Status::kOk);
  EXPECT_TRUE(image.CheckFile(image.At(0)));
  EXPECT_FALSE(image.CheckFile(image.At(1)));
}

TEST(BootfsChecksums, StructureOnlyStillRejectsBadStructure) {
  Bytes bad = Sample();
  Store64(EntryField(&bad, 1, kEntrySizeOffset), ~uint64_t{0});
  EXPECT_EQ(OpenBytes(bad, Verify::kStructure), Status::kEntryOutOfBounds);
}

// --- Random damage: never a crash or an out-of-bounds read, and whatever
// opens is consistent.

TEST(BootfsMalformed, RandomMutationsAreSafe) {
  std::mt19937 random(12345);
  std::vector<std::pair<std::string, Bytes>> files;
  for (int i = 0; i < 6; ++i) {
    files.push_back({"f" + std::to_string(i), Bytes(static_cast<size_t>(i * 1500), 'x')});
  }
  const Bytes original = Build(files);
  int opened = 0;
  for (int round = 0; round < 3000; ++round) {
    Bytes bad = original;
    const int mutations = 1 + static_cast<int>(random() % 4);
    for (int m = 0; m < mutations; ++m) {
      // Mostly the header and directory, where the structure lives.
      const size_t limit = (random() % 4 == 0) ? bad.size() : kHeaderSize + 6 * kEntrySize;
      const size_t at = random() % limit;
      switch (random() % 3) {
        case 0:
          bad[at] ^= static_cast<uint8_t>(1u << (random() % 8));
          break;
        case 1:
          bad[at] = static_cast<uint8_t>(random());
          break;
        default:
          bad[at] = (random() % 2) ? 0x00 : 0xff;
          break;
      }
    }
    if (random() % 4 == 0) {
      bad.resize(random() % (bad.size() + 1));
    }
    if (bad.size() >= kHeaderSize && random() % 2 == 0) {
      Reseal(&bad);
    }
    const Verify verify = (random() % 2) ? Verify::kAll : Verify::kStructure;
    Buffer buffer(bad);
    Image image;
    if (image.Open(buffer.data(), buffer.size(), verify) != Status::kOk) {
      continue;
    }
    ++opened;
    uint64_t previous_end = 0;
    for (const File file : image) {
      ASSERT_GE(file.data, buffer.data());
      ASSERT_LE(file.offset + file.size, image.total_size());
      ASSERT_LE(image.total_size(), buffer.size());
      ASSERT_GE(file.offset, previous_end);
      ASSERT_EQ(file.offset % kPageSize, 0u);
      ASSERT_TRUE(IsValidName(file.name, file.name_length));
      previous_end = file.offset + file.size;
    }
  }
  // Damage confined to file data under structure-only checks opens; the
  // test needs both outcomes to mean anything.
  EXPECT_GT(opened, 0);
  EXPECT_LT(opened, 3000);
}

TEST(BootfsReseal, ReadsTotalSizeAsLittleEndian) {
  Bytes bytes = Sample();
  EXPECT_EQ(Read64(bytes.data() + kHeaderTotalSizeOffset), bytes.size());
  Bytes copy = bytes;
  Reseal(&copy);
  EXPECT_EQ(copy, bytes);  // resealing a valid image changes nothing
}

}  // namespace
}  // namespace bootfs
