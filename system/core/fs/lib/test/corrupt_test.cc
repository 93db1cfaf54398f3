// The FAT reader against corrupted real images: every boot sector field
// broken in turn, FAT chains that loop, end early, run into free or bad
// clusters or point past the end, and directories with garbage entries and
// broken long names. Each gets its exact Status, and what is not broken stays
// readable.

#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "system/core/fs/lib/fat.h"
#include "system/core/fs/lib/test/image_util.h"

namespace fat_test {
namespace {

using fat::Status;

void Put16(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}
void Put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  Put16(b, at, v);
  Put16(b, at + 2, v >> 16);
}
uint32_t Get16(const std::vector<uint8_t>& b, size_t at) {
  return b[at] | (b[at + 1] << 8);
}

const char kLongName[] = "A long name file.txt";

// Two real images, made once: FAT16 (512-byte clusters) and FAT32.
class CorruptTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    ImageBuilder fat16(dir_->path() + "/fat16.img", {"-F", "16", "-s", "1"}, 8192);
    fat16.Put("chain.bin", Pattern(5 * 512, 1));
    fat16.Put("other.txt", Pattern(1000, 2));
    fat16.Put(kLongName, Pattern(10, 3));
    fat16.Put("after.txt", Pattern(20, 4));
    fat16.Mkdir("dir");
    for (int i = 0; i < 40; ++i) {
      fat16.Put("dir/f" + std::to_string(i), Pattern(3, 10 + i));
    }
    ImageBuilder fat32(dir_->path() + "/fat32.img", {"-F", "32", "-s", "1"}, 40960);
    fat32.Put("file.txt", Pattern(100, 5));
    ASSERT_TRUE(fat16.ok() && fat32.ok());
    fat16_ = new std::vector<uint8_t>(ReadHostFile(fat16.path()));
    fat32_ = new std::vector<uint8_t>(ReadHostFile(fat32.path()));
    other_ = new std::vector<uint8_t>(Pattern(1000, 2));
  }
  static void TearDownTestSuite() {
    delete fat16_;
    delete fat32_;
    delete other_;
    delete dir_;
  }

  static Status MountImage(MemoryDisk& disk, fat::Volume& volume) {
    const fat::BlockDevice device = disk.device();
    return volume.Mount(device, fat::Partition{0, 0, device.size});
  }

  // Mounts `image` changed by `mutate`.
  static Status MountMutated(const std::vector<uint8_t>& image,
                             const std::function<void(std::vector<uint8_t>&)>& mutate) {
    MemoryDisk disk(image);
    mutate(disk.bytes());
    auto volume = std::make_unique<fat::Volume>();
    return MountImage(disk, *volume);
  }

  // The FAT16 image's FAT entry `n`, first FAT.
  static size_t FatOffset(const std::vector<uint8_t>& b, uint32_t n) {
    return Get16(b, 14) * 512u + 2 * n;
  }

  // The byte offset of the root directory slot with 8.3 name `name11`.
  static size_t RootSlot(const std::vector<uint8_t>& b, const char* name11) {
    const size_t root = (Get16(b, 14) + b[16] * Get16(b, 22)) * 512u;
    for (size_t at = root; at < root + Get16(b, 17) * 32u; at += 32) {
      if (std::memcmp(&b[at], name11, 11) == 0) {
        return at;
      }
    }
    ADD_FAILURE() << "no slot " << name11;
    return 0;
  }

  // Reads all of `path` from a mutated FAT16 image.
  static Status ReadFile(MemoryDisk& disk, const char* path, std::vector<uint8_t>* out) {
    auto volume = std::make_unique<fat::Volume>();
    if (Status s = MountImage(disk, *volume); s != Status::kOk) {
      return s;
    }
    fat::Entry entry;
    if (Status s = volume->Lookup(path, std::strlen(path), &entry); s != Status::kOk) {
      return s;
    }
    out->assign(entry.size, 0);
    size_t done = 0;
    return volume->Read(entry, 0, out->data(), out->size(), &done);
  }

  // Mounts `disk` afresh (an empty sector cache) and opens directory `path`.
  static void OpenDirectory(MemoryDisk& disk, const char* path,
                            std::unique_ptr<fat::Volume>* volume, fat::DirIterator* it) {
    *volume = std::make_unique<fat::Volume>();
    ASSERT_EQ(MountImage(disk, **volume), Status::kOk);
    fat::Entry dir;
    ASSERT_EQ((*volume)->Lookup(path, std::strlen(path), &dir), Status::kOk);
    ASSERT_EQ((*volume)->OpenDir(dir, it), Status::kOk);
  }

  static uint32_t FirstCluster(const char* path) {
    MemoryDisk disk(*fat16_);
    auto volume = std::make_unique<fat::Volume>();
    EXPECT_EQ(MountImage(disk, *volume), Status::kOk);
    fat::Entry entry;
    EXPECT_EQ(volume->Lookup(path, std::strlen(path), &entry), Status::kOk);
    return entry.first_cluster;
  }

  static TempDir* dir_;
  static std::vector<uint8_t>* fat16_;
  static std::vector<uint8_t>* fat32_;
  static std::vector<uint8_t>* other_;
};

TempDir* CorruptTest::dir_;
std::vector<uint8_t>* CorruptTest::fat16_;
std::vector<uint8_t>* CorruptTest::fat32_;
std::vector<uint8_t>* CorruptTest::other_;

TEST_F(CorruptTest, IntactImagesMount) {
  EXPECT_EQ(MountMutated(*fat16_, [](auto&) {}), Status::kOk);
  EXPECT_EQ(MountMutated(*fat32_, [](auto&) {}), Status::kOk);
}

TEST_F(CorruptTest, EachBootSectorFieldBroken) {
  struct Case {
    const char* what;
    bool fat32;
    std::function<void(std::vector<uint8_t>&)> mutate;
    Status expect;
  };
  const Case cases[] = {
      {"signature", false, [](auto& b) { b[510] = 0; }, Status::kBadSignature},
      {"jump", false, [](auto& b) { b[0] = 0; }, Status::kBadJump},
      {"bytes per sector 1000", false, [](auto& b) { Put16(b, 11, 1000); },
       Status::kBadBytesPerSector},
      {"bytes per sector 256", false, [](auto& b) { Put16(b, 11, 256); },
       Status::kBadBytesPerSector},
      {"bytes per sector 8192", false, [](auto& b) { Put16(b, 11, 8192); },
       Status::kBadBytesPerSector},
      {"sectors per cluster 3", false, [](auto& b) { b[13] = 3; }, Status::kBadSectorsPerCluster},
      {"sectors per cluster 0", false, [](auto& b) { b[13] = 0; }, Status::kBadSectorsPerCluster},
      {"reserved 0", false, [](auto& b) { Put16(b, 14, 0); }, Status::kBadReservedSectors},
      {"no FATs", false, [](auto& b) { b[16] = 0; }, Status::kBadFatCount},
      {"media", false, [](auto& b) { b[21] = 0x12; }, Status::kBadMedia},
      {"FAT too small", false, [](auto& b) { Put16(b, 22, 1); }, Status::kBadFatSize},
      {"total 0", false,
       [](auto& b) {
         Put16(b, 19, 0);
         Put32(b, 32, 0);
       },
       Status::kBadTotalSectors},
      {"total = metadata", false,
       [](auto& b) { Put16(b, 19, Get16(b, 14) + b[16] * Get16(b, 22) + Get16(b, 17) * 32 / 512); },
       Status::kBadTotalSectors},
      {"total past the disk", false,
       [](auto& b) {
         Put16(b, 19, 0);
         Put32(b, 32, 2 * 16384);
       },
       Status::kVolumeTooLarge},
      {"root entries 0", false, [](auto& b) { Put16(b, 17, 0); }, Status::kBadRootEntries},
      {"root entries misaligned", false, [](auto& b) { Put16(b, 17, 17); },
       Status::kBadRootEntries},
      {"FAT32 FAT size 0", true, [](auto& b) { Put32(b, 36, 0); }, Status::kBadFatSize},
      {"FAT32 root entries", true, [](auto& b) { Put16(b, 17, 512); }, Status::kBadRootEntries},
      {"FAT32 too few clusters", true, [](auto& b) { Put32(b, 32, 40000); },
       Status::kBadClusterCount},
      {"FAT32 root cluster 0", true, [](auto& b) { Put32(b, 44, 0); }, Status::kBadRootCluster},
      {"FAT32 root cluster past the end", true, [](auto& b) { Put32(b, 44, 0x0FFFFFF0); },
       Status::kBadRootCluster},
      {"FAT32 version", true, [](auto& b) { Put16(b, 42, 1); }, Status::kBadFsVersion},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MountMutated(c.fat32 ? *fat32_ : *fat16_, c.mutate), c.expect)
        << c.what << ": want " << fat::StatusString(c.expect);
  }
}

TEST_F(CorruptTest, EveryStatusHasItsOwnReason) {
  std::set<std::string> seen;
  for (int s = 0; s <= static_cast<int>(Status::kNotMounted); ++s) {
    const std::string reason = fat::StatusString(static_cast<Status>(s));
    EXPECT_NE(reason, "unknown status") << s;
    EXPECT_TRUE(seen.insert(reason).second) << "duplicate reason: " << reason;
  }
  EXPECT_STREQ(fat::StatusString(Status::kBadBytesPerSector),
               "bytes per sector not a power of two in 512..4096");
}

TEST_F(CorruptTest, PartitionTableErrors) {
  fat::Partition partitions[fat::kMaxPartitions];
  size_t count = 7;
  MemoryDisk zeros(std::vector<uint8_t>(64 * 1024));
  EXPECT_EQ(fat::FindPartitions(zeros.device(), partitions, &count), Status::kNoVolume);
  EXPECT_EQ(count, 0u);
  MemoryDisk tiny(std::vector<uint8_t>(100));
  EXPECT_EQ(fat::FindPartitions(tiny.device(), partitions, &count), Status::kNoVolume);
  // A broken boot sector is not mistaken for a partition table.
  MemoryDisk broken(*fat16_);
  Put16(broken.bytes(), 11, 1000);
  EXPECT_EQ(fat::FindPartitions(broken.device(), partitions, &count), Status::kNoVolume);
  // An MBR whose FAT partition runs past the disk; one of another type is
  // ignored.
  std::vector<uint8_t> mbr(64 * 1024);
  mbr[510] = 0x55;
  mbr[511] = 0xAA;
  mbr[446 + 4] = 0x83;
  Put32(mbr, 446 + 8, 1);
  Put32(mbr, 446 + 12, 1000000);
  MemoryDisk only_linux(mbr);
  EXPECT_EQ(fat::FindPartitions(only_linux.device(), partitions, &count), Status::kNoVolume);
  mbr[446 + 16 + 4] = 0x0C;
  Put32(mbr, 446 + 16 + 8, 64);
  Put32(mbr, 446 + 16 + 12, 128);
  MemoryDisk past(mbr);
  EXPECT_EQ(fat::FindPartitions(past.device(), partitions, &count), Status::kBadPartition);
  Put32(past.bytes(), 446 + 16 + 12, 64);
  EXPECT_EQ(fat::FindPartitions(past.device(), partitions, &count), Status::kOk);
  ASSERT_EQ(count, 1u);
  EXPECT_EQ(partitions[0].offset, 64u * 512);
  EXPECT_EQ(partitions[0].size, 64u * 512);
  // An image cut short: the volume is larger than the disk.
  std::vector<uint8_t> cut(fat16_->begin(), fat16_->begin() + 4096);
  EXPECT_EQ(MountMutated(cut, [](auto&) {}), Status::kVolumeTooLarge);
}

TEST_F(CorruptTest, BrokenChains) {
  // chain.bin, written first to an empty volume, is clusters c0..c0+4.
  const uint32_t c0 = FirstCluster("chain.bin");
  const uint32_t other = FirstCluster("other.txt");  // 1000 bytes: 2 clusters
  std::vector<uint8_t> data;
  struct Case {
    const char* what;
    uint32_t cluster;  // which cluster of the file gets a new FAT entry
    uint32_t link;     // its new FAT entry
    Status chain, check, read;
  };
  const Case cases[] = {
      {"loop", 1, c0, Status::kChainLoop, Status::kChainLoop, Status::kOk},
      {"past the end", 1, 0xFFF0, Status::kBadCluster, Status::kBadCluster, Status::kBadCluster},
      {"just past the last cluster", 1, 0, Status::kBadCluster, Status::kBadCluster,
       Status::kBadCluster},
      {"cluster 1", 1, 1, Status::kBadCluster, Status::kBadCluster, Status::kBadCluster},
      {"free", 1, 0, Status::kFreeInChain, Status::kFreeInChain, Status::kFreeInChain},
      {"bad mark", 1, 0xFFF7, Status::kBadSectorMark, Status::kBadSectorMark,
       Status::kBadSectorMark},
      {"ends early", 1, 0xFFFF, Status::kOk, Status::kChainTooShort, Status::kChainTooShort},
      {"goes on past the size", 4, other, Status::kOk, Status::kChainTooLong, Status::kOk},
  };
  for (const Case& c : cases) {
    MemoryDisk disk(*fat16_);
    auto volume = std::make_unique<fat::Volume>();
    ASSERT_EQ(MountImage(disk, *volume), Status::kOk);
    uint32_t link = c.link;
    if (std::string(c.what) == "just past the last cluster") {
      link = volume->cluster_count() + 2;
    }
    Put16(disk.bytes(), FatOffset(disk.bytes(), c0 + c.cluster), link);
    volume = std::make_unique<fat::Volume>();  // a fresh sector cache
    ASSERT_EQ(MountImage(disk, *volume), Status::kOk);
    uint32_t length = 0;
    EXPECT_EQ(volume->ChainLength(c0, &length), c.chain) << c.what;
    if (c.chain == Status::kOk) {
      // Cut after the second cluster, or chain.bin's 5 and other.txt's 2.
      EXPECT_EQ(length, c.link == other ? 5u + 2u : 2u) << c.what;
    }
    fat::Entry entry;
    ASSERT_EQ(volume->Lookup("chain.bin", 9, &entry), Status::kOk);
    EXPECT_EQ(volume->CheckChain(entry), c.check) << c.what;
    // Read follows only the clusters the size needs: a loop inside them is
    // read (bounded by the size); CheckChain is what finds it.
    EXPECT_EQ(ReadFile(disk, "chain.bin", &data), c.read) << c.what;
    // The rest of the volume stays readable.
    ASSERT_EQ(ReadFile(disk, "other.txt", &data), Status::kOk) << c.what;
    EXPECT_TRUE(data == *other_) << c.what;
  }
}

TEST_F(CorruptTest, DirectoryChainLoopIsBounded) {
  const uint32_t d0 = FirstCluster("dir");
  MemoryDisk disk(*fat16_);
  auto volume = std::make_unique<fat::Volume>();
  ASSERT_EQ(MountImage(disk, *volume), Status::kOk);
  uint32_t d1 = 0;
  ASSERT_EQ(volume->NextCluster(d0, &d1), Status::kOk);
  // ".", ".." and 40 entries fill the first two 512-byte clusters (16 slots
  // each) and part of a third; the second now links back to the first, so
  // the end marker is never reached.
  Put16(disk.bytes(), FatOffset(disk.bytes(), d1), d0);
  fat::DirIterator it;
  ASSERT_NO_FATAL_FAILURE(OpenDirectory(disk, "dir", &volume, &it));
  auto entry = std::make_unique<fat::Entry>();
  Status s;
  size_t entries = 0;
  while ((s = it.Next(entry.get())) == Status::kOk) {
    ++entries;
  }
  EXPECT_EQ(s, Status::kChainLoop);
  // The walk stops at the volume's cluster count: the first cluster (after
  // "." and "..") holds 14 files, the second 16, in turn.
  size_t expect = 0;
  for (uint32_t i = 0; i < volume->cluster_count(); ++i) {
    expect += i % 2 == 0 ? 14 : 16;
  }
  EXPECT_EQ(entries, expect);
  // The lookup of a name not in the looping directory ends too.
  EXPECT_EQ(volume->Lookup("dir/nope", 8, entry.get()), Status::kChainLoop);
}

TEST_F(CorruptTest, GarbageEntriesAreReportedAndSkipped) {
  struct Case {
    const char* what;
    std::function<void(uint8_t* slot)> mutate;
  };
  const Case cases[] = {
      {"control character in name", [](uint8_t* s) { s[1] = 0x01; }},
      {"forbidden character in name", [](uint8_t* s) { s[2] = '*'; }},
      {"name starts with a space", [](uint8_t* s) { s[0] = ' '; }},
      {"cluster past the end", [](uint8_t* s) { s[26] = 0xF0, s[27] = 0xFF; }},
      {"cluster 1", [](uint8_t* s) { s[26] = 1, s[27] = 0; }},
      {"size larger than the volume", [](uint8_t* s) { std::memset(s + 28, 0xFF, 4); }},
      {"data but no cluster", [](uint8_t* s) { s[26] = 0, s[27] = 0; }},
      {"directory with a size", [](uint8_t* s) { s[11] = fat::kAttrDirectory; }},
  };
  for (const Case& c : cases) {
    MemoryDisk disk(*fat16_);
    c.mutate(&disk.bytes()[RootSlot(disk.bytes(), "OTHER   TXT")]);
    std::unique_ptr<fat::Volume> volume;
    fat::DirIterator it;
    ASSERT_NO_FATAL_FAILURE(OpenDirectory(disk, "/", &volume, &it));
    auto entry = std::make_unique<fat::Entry>();
    std::vector<std::string> names;
    int bad = 0;
    for (Status s; (s = it.Next(entry.get())) != Status::kNotFound;) {
      if (s == Status::kBadDirEntry) {
        ++bad;
        continue;
      }
      ASSERT_EQ(s, Status::kOk) << c.what;
      names.emplace_back(entry->name);
    }
    EXPECT_EQ(bad, 1) << c.what;
    EXPECT_EQ(names, (std::vector<std::string>{"chain.bin", kLongName, "after.txt", "dir"}))
        << c.what;
    EXPECT_EQ(volume->Lookup("other.txt", 9, entry.get()), Status::kNotFound) << c.what;
    std::vector<uint8_t> data;
    EXPECT_EQ(ReadFile(disk, "chain.bin", &data), Status::kOk) << c.what;
    EXPECT_TRUE(data == Pattern(5 * 512, 1)) << c.what;
  }
}

TEST_F(CorruptTest, BrokenLongNamesFallBackToShortNames) {
  const size_t short_at = RootSlot(*fat16_, "ALONGN~1TXT");
  ASSERT_GE(short_at, 64u);
  ASSERT_EQ((*fat16_)[short_at - 32 + 11], fat::kAttrLongName);  // part 1
  ASSERT_EQ((*fat16_)[short_at - 64 + 11], fat::kAttrLongName);  // part 2 (last)
  struct Case {
    const char* what;
    std::function<void(std::vector<uint8_t>&)> mutate;
    const char* name;  // what the entry at the short slot is called
  };
  const Case cases[] = {
      {"intact", [](auto&) {}, kLongName},
      {"checksum of one part", [&](auto& b) { b[short_at - 32 + 13] ^= 0xFF; }, "ALONGN~1.TXT"},
      {"short name changed", [&](auto& b) { b[short_at + 7] = '2'; }, "ALONGN~2.TXT"},
      {"first part missing", [&](auto& b) { b[short_at - 64] = 0xE5; }, "ALONGN~1.TXT"},
      {"sequence out of order", [&](auto& b) { b[short_at - 32] = 0x03; }, "ALONGN~1.TXT"},
      {"parts swapped order",
       [&](auto& b) {
         uint8_t tmp[32];
         std::memcpy(tmp, &b[short_at - 64], 32);
         std::memcpy(&b[short_at - 64], &b[short_at - 32], 32);
         std::memcpy(&b[short_at - 32], tmp, 32);
       },
       "ALONGN~1.TXT"},
  };
  for (const Case& c : cases) {
    MemoryDisk disk(*fat16_);
    c.mutate(disk.bytes());
    std::unique_ptr<fat::Volume> volume;
    fat::DirIterator it;
    ASSERT_NO_FATAL_FAILURE(OpenDirectory(disk, "/", &volume, &it));
    auto entry = std::make_unique<fat::Entry>();
    std::vector<std::string> names;
    for (Status s; (s = it.Next(entry.get())) != Status::kNotFound;) {
      ASSERT_EQ(s, Status::kOk) << c.what;
      names.emplace_back(entry->name);
    }
    EXPECT_EQ(names,
              (std::vector<std::string>{"chain.bin", "other.txt", c.name, "after.txt", "dir"}))
        << c.what;
  }
  // An orphaned long name (its short entry deleted) is not given to the next
  // entry.
  MemoryDisk disk(*fat16_);
  disk.bytes()[short_at] = 0xE5;
  auto volume = std::make_unique<fat::Volume>();
  ASSERT_EQ(MountImage(disk, *volume), Status::kOk);
  fat::Entry entry;
  ASSERT_EQ(volume->Lookup("after.txt", 9, &entry), Status::kOk);
  EXPECT_STREQ(entry.name, "after.txt");
  EXPECT_EQ(volume->Lookup(kLongName, sizeof(kLongName) - 1, &entry), Status::kNotFound);
}

// mtools cannot write names outside the BMP, so the UTF-16 of a real long
// name is edited: units 2 and 3 ("lo" of "A long name file.txt", in part 1 at
// bytes 5 and 7) become a surrogate pair, or an unpaired surrogate.
TEST_F(CorruptTest, LongNameSurrogates) {
  const size_t part1 = RootSlot(*fat16_, "ALONGN~1TXT") - 32;
  struct Case {
    uint16_t unit2, unit3;
    const char* name;
  };
  const Case cases[] = {
      {0xD83D, 0xDE00, "A \xF0\x9F\x98\x80ng name file.txt"},      // U+1F600
      {0xD83D, 'o', "A \xEF\xBF\xBDong name file.txt"},            // lone high: U+FFFD
      {0xDE00, 'o', "A \xEF\xBF\xBDong name file.txt"},            // lone low
      {0x00E9, 0x30D5, "A \xC3\xA9\xE3\x83\x95ng name file.txt"},  // 2 and 3 bytes
  };
  for (const Case& c : cases) {
    MemoryDisk disk(*fat16_);
    Put16(disk.bytes(), part1 + 5, c.unit2);
    Put16(disk.bytes(), part1 + 7, c.unit3);
    auto volume = std::make_unique<fat::Volume>();
    ASSERT_EQ(MountImage(disk, *volume), Status::kOk);
    fat::Entry entry;
    ASSERT_EQ(volume->Lookup("ALONGN~1.TXT", 12, &entry), Status::kOk);
    EXPECT_STREQ(entry.name, c.name);
    EXPECT_EQ(entry.name_length, std::strlen(c.name));
    ASSERT_EQ(volume->Lookup(c.name, std::strlen(c.name), &entry), Status::kOk) << c.name;
  }
}

TEST_F(CorruptTest, GarbageDirectoryNeverCrashes) {
  const uint32_t d0 = FirstCluster("dir");
  MemoryDisk disk(*fat16_);
  const std::vector<uint8_t> noise = Pattern(512, 99);
  const size_t data_start =
      (Get16(*fat16_, 14) + (*fat16_)[16] * Get16(*fat16_, 22) + Get16(*fat16_, 17) * 32 / 512) *
      512u;
  std::memcpy(&disk.bytes()[data_start + (d0 - 2) * 512u], noise.data(), noise.size());
  std::unique_ptr<fat::Volume> volume;
  fat::DirIterator it;
  ASSERT_NO_FATAL_FAILURE(OpenDirectory(disk, "dir", &volume, &it));
  auto entry = std::make_unique<fat::Entry>();
  int bad = 0, steps = 0;
  for (Status s; (s = it.Next(entry.get())) != Status::kNotFound && steps < 10000; ++steps) {
    bad += s == Status::kBadDirEntry ? 1 : 0;
    if (s != Status::kOk && s != Status::kBadDirEntry) {
      break;
    }
  }
  EXPECT_LT(steps, 10000);
  EXPECT_GT(bad, 0);  // random bytes make invalid names
  std::vector<uint8_t> data;
  ASSERT_EQ(ReadFile(disk, "other.txt", &data), Status::kOk);
  EXPECT_TRUE(data == *other_);
}

TEST_F(CorruptTest, DeviceErrors) {
  MemoryDisk disk(*fat16_);
  fat::BlockDevice failing = disk.device();
  failing.read = [](void*, uint64_t, void*, size_t) { return Status::kIoError; };
  auto volume = std::make_unique<fat::Volume>();
  EXPECT_EQ(volume->Mount(failing, fat::Partition{0, 0, failing.size}), Status::kIoError);
  fat::Partition partitions[fat::kMaxPartitions];
  size_t count;
  EXPECT_EQ(fat::FindPartitions(failing, partitions, &count), Status::kIoError);
  fat::Entry entry;
  EXPECT_EQ(volume->Lookup("x", 1, &entry), Status::kNotMounted);
}

}  // namespace
}  // namespace fat_test
