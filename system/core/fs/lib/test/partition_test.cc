// Partition tables against disks partitioned by sfdisk: an MBR with
// primaries, an extended partition and its logical partitions, and a GPT
// with an entry past the first 128, each FAT partition made by
// `mkfs.fat --offset` and filled by `mcopy -i disk@@offset`; every partition
// is found where sfdisk put it, and every FAT one mounts and reads back.
// Then the tables broken in turn (CRCs, headers, EBR chains, entries past the
// disk or overlapping), each with its own status while the rest stays
// listed.

#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "images/bootfs/bootfs.h"
#include "system/core/fs/lib/fat.h"
#include "system/core/fs/lib/partition.h"
#include "system/core/fs/lib/test/image_util.h"

namespace fat_test {
namespace {

using partition::Scheme;
using partition::Status;

constexpr uint64_t kBlock = 512;

uint32_t Get32(const std::vector<uint8_t>& b, size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | uint32_t{b[at + 3]} << 24;
}
uint64_t Get64(const std::vector<uint8_t>& b, size_t at) {
  return Get32(b, at) | uint64_t{Get32(b, at + 4)} << 32;
}
void Put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}
void Put64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  Put32(b, at, static_cast<uint32_t>(v));
  Put32(b, at + 4, static_cast<uint32_t>(v >> 32));
}

// A sparse disk of `mib` MiB partitioned by sfdisk from `script`.
bool MakeDisk(const std::string& path, uint64_t mib, const std::string& script) {
  const std::string script_path = path + ".sfdisk";
  FILE* f = std::fopen(script_path.c_str(), "w");
  if (f == nullptr) {
    return false;
  }
  std::fputs(script.c_str(), f);
  std::fclose(f);
  const bool ok = Run({"truncate", "-s", std::to_string(mib) + "M", path}) &&
                  Run({"sh", "-c", "sfdisk -q '" + path + "' < '" + script_path + "'"});
  std::remove(script_path.c_str());
  return ok;
}

// mkfs.fat of `fat_bits` on `blocks` sectors at sector `start` of the disk.
bool MakeFat(const std::string& path, uint64_t start, uint64_t blocks, const char* fat_bits) {
  return Run({"mkfs.fat", "--offset", std::to_string(start), "-F", fat_bits, "-s", "1", path,
              std::to_string(blocks * kBlock / 1024)});
}

// Copies `data` into the volume at sector `start` as /`name`.
bool PutFile(const std::string& path, uint64_t start, const std::string& name,
             const std::vector<uint8_t>& data) {
  const std::string host = path + ".put";
  FILE* f = std::fopen(host.c_str(), "wb");
  if (f == nullptr) {
    return false;
  }
  const bool written = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  std::fclose(f);
  const bool ok = written && Run({"mcopy", "-i", path + "@@" + std::to_string(start * kBlock), host,
                                  "::/" + name});
  std::remove(host.c_str());
  return ok;
}

struct Listing {
  Status status;
  partition::Table table;
  std::vector<partition::Entry> entries;
};

Listing ListAll(fat::BlockDevice device, size_t capacity = 256) {
  Listing l;
  l.entries.resize(capacity);
  l.status = partition::List(device, l.entries.data(), capacity, &l.table);
  l.entries.resize(l.table.count);
  return l;
}

const partition::Entry* Find(const Listing& l, uint32_t number) {
  for (const partition::Entry& e : l.entries) {
    if (e.number == number) {
      return &e;
    }
  }
  return nullptr;
}

// Mounts the partition and reads /name in full.
std::vector<uint8_t> ReadBack(fat::BlockDevice device, const partition::Entry& e,
                              const std::string& name) {
  auto volume = std::make_unique<fat::Volume>();
  EXPECT_EQ(volume->Mount(device, e.fat()), fat::Status::kOk) << "partition " << e.number;
  auto file = std::make_unique<fat::Entry>();
  EXPECT_EQ(volume->Lookup(name.data(), name.size(), file.get()), fat::Status::kOk);
  std::vector<uint8_t> data(file->size);
  size_t done = 0;
  EXPECT_EQ(volume->Read(*file, 0, data.data(), data.size(), &done), fat::Status::kOk);
  data.resize(done);
  return data;
}

struct Expected {
  uint32_t number;
  uint64_t start, blocks;  // sectors
  bool extended, fat;
  const char* fat_bits;  // mkfs.fat -F, or null
};

void ExpectListed(const Listing& l, const std::vector<Expected>& expected) {
  ASSERT_EQ(l.entries.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const partition::Entry& e = l.entries[i];
    SCOPED_TRACE("partition " + std::to_string(expected[i].number));
    EXPECT_EQ(e.number, expected[i].number);
    EXPECT_EQ(e.status, Status::kOk) << partition::StatusString(e.status);
    EXPECT_EQ(e.offset, expected[i].start * kBlock);
    EXPECT_EQ(e.size, expected[i].blocks * kBlock);
    EXPECT_EQ(e.extended, expected[i].extended);
    EXPECT_EQ(e.fat_candidate, expected[i].fat);
  }
}

// --- Real disks ---

// MBR: FAT16 and FAT32 primaries, an extended partition with a FAT12 and a
// FAT16 logical partition, a Linux primary after it.
const std::vector<Expected> kMbrLayout = {
    {1, 2048, 16384, false, true, "16"},      {2, 18432, 81920, false, true, "32"},
    {3, 100352, 28672, true, false, nullptr}, {4, 129024, 2048, false, false, nullptr},
    {5, 102400, 4096, false, true, "12"},     {6, 108544, 16384, false, true, "16"},
};
const char kMbrScript[] =
    "label: dos\n"
    "start=2048, size=16384, type=6\n"
    "start=18432, size=81920, type=c, bootable\n"
    "start=100352, size=28672, type=5\n"
    "start=129024, size=2048, type=83\n"
    "start=102400, size=4096, type=1\n"
    "start=108544, size=16384, type=e\n";
const uint8_t kMbrTypes[] = {0x06, 0x0C, 0x05, 0x83, 0x01, 0x0E};

// GPT with 200 entries: an EFI System Partition (FAT16), basic data
// (FAT32), Linux, and basic data (FAT12) in entry 150.
const std::vector<Expected> kGptLayout = {
    {1, 2048, 16384, false, true, "16"},
    {2, 18432, 81920, false, true, "32"},
    {3, 100352, 4096, false, false, nullptr},
    {150, 104448, 4096, false, true, "12"},
};
std::string GptScript(const std::string& path) {
  return "label: gpt\n"
         "table-length: 200\n" +
         path + "1 : start=2048, size=16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n" + path +
         "2 : start=18432, size=81920, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n" + path +
         "3 : start=100352, size=4096, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n" + path +
         "150 : start=104448, size=4096, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n";
}

class RealDiskTest : public ::testing::Test {
 protected:
  // Makes the disk, a FAT volume on each FAT partition, and a file in each.
  void Build(const std::string& script, const std::vector<Expected>& layout) {
    path_ = dir_.path() + "/disk.img";
    ASSERT_TRUE(MakeDisk(path_, 64, script));
    uint32_t seed = 1;
    for (const Expected& p : layout) {
      if (p.fat_bits == nullptr) {
        continue;
      }
      ASSERT_TRUE(MakeFat(path_, p.start, p.blocks, p.fat_bits)) << p.number;
      files_[p.number] = Pattern(5000 + p.number * 1000, seed++);
      ASSERT_TRUE(
          PutFile(path_, p.start, "file " + std::to_string(p.number) + ".bin", files_[p.number]));
    }
  }

  // Every FAT partition mounts and its file reads back byte-exact.
  void ExpectFilesRead(fat::BlockDevice device, const Listing& l) {
    for (const auto& [number, data] : files_) {
      const partition::Entry* e = Find(l, number);
      ASSERT_NE(e, nullptr) << number;
      EXPECT_EQ(ReadBack(device, *e, "file " + std::to_string(number) + ".bin"), data);
    }
  }

  TempDir dir_;
  std::string path_;
  std::map<uint32_t, std::vector<uint8_t>> files_;
};

TEST_F(RealDiskTest, MbrPrimariesAndLogicals) {
  Build(kMbrScript, kMbrLayout);
  FileDisk disk(path_);
  ASSERT_TRUE(disk.ok());
  const Listing l = ListAll(disk.device());
  ASSERT_EQ(l.status, Status::kOk);
  EXPECT_EQ(l.table.scheme, Scheme::kMbr);
  EXPECT_FALSE(l.table.truncated);
  ExpectListed(l, kMbrLayout);
  for (size_t i = 0; i < l.entries.size(); ++i) {
    EXPECT_EQ(l.entries[i].scheme, Scheme::kMbr);
    EXPECT_EQ(l.entries[i].mbr_type, kMbrTypes[i]);
    EXPECT_EQ(l.entries[i].fat().type, kMbrTypes[i]);
  }
  ExpectFilesRead(disk.device(), l);
}

TEST_F(RealDiskTest, GptWithAnEntryPastTheFirst128) {
  Build(GptScript(dir_.path() + "/disk.img"), kGptLayout);
  FileDisk disk(path_);
  ASSERT_TRUE(disk.ok());
  const Listing l = ListAll(disk.device());
  ASSERT_EQ(l.status, Status::kOk);
  EXPECT_EQ(l.table.scheme, Scheme::kGpt);
  EXPECT_EQ(l.table.gpt_primary, Status::kOk);
  ExpectListed(l, kGptLayout);
  const char* kTypes[] = {
      "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7",
      "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"};
  for (size_t i = 0; i < l.entries.size(); ++i) {
    char guid[partition::kGuidStringSize];
    partition::FormatGuid(l.entries[i].gpt_type, guid);
    EXPECT_STREQ(guid, kTypes[i]);
    EXPECT_EQ(l.entries[i].mbr_type, 0);
  }
  EXPECT_TRUE(partition::GuidEqual(l.entries[0].gpt_type, partition::kGuidEfiSystem));
  EXPECT_TRUE(partition::GuidEqual(l.entries[1].gpt_type, partition::kGuidBasicData));
  ExpectFilesRead(disk.device(), l);

  // The primary header destroyed: the backup at the last LBA lists the same
  // partitions, and their files still read.
  MemoryDisk broken(ReadHostFile(path_));
  std::memset(broken.bytes().data() + kBlock, 0, kBlock);
  const Listing b = ListAll(broken.device());
  ASSERT_EQ(b.status, Status::kOk);
  EXPECT_EQ(b.table.gpt_primary, Status::kGptBadSignature);
  EXPECT_EQ(b.table.gpt_backup, Status::kOk);
  ExpectListed(b, kGptLayout);
  ExpectFilesRead(broken.device(), b);
}

TEST(BareVolumeTest, FatBootSectorWithAFakeMbrIsOneVolume) {
  TempDir dir;
  const std::string path = dir.path() + "/bare.img";
  // --mbr=y: the boot sector also holds a partition entry covering the disk.
  ASSERT_TRUE(fat_test::Run({"mkfs.fat", "-C", "--mbr=y", "-F", "12", path, "1024"}));
  ASSERT_TRUE(PutFile(path, 0, "hello.txt", Pattern(3000, 7)));
  MemoryDisk disk(ReadHostFile(path));
  const Listing l = ListAll(disk.device());
  ASSERT_EQ(l.status, Status::kOk);
  EXPECT_EQ(l.table.scheme, Scheme::kNone);
  ASSERT_EQ(l.entries.size(), 1u);
  EXPECT_EQ(l.entries[0].number, 0u);
  EXPECT_EQ(l.entries[0].offset, 0u);
  EXPECT_EQ(l.entries[0].size, 1024u * 1024);
  EXPECT_TRUE(l.entries[0].fat_candidate);
  EXPECT_EQ(ReadBack(disk.device(), l.entries[0], "hello.txt"), Pattern(3000, 7));
}

// --- Broken tables, on small disks (1 MiB, no volumes) ---

// MBR: FAT16 at 8, extended 300..1300 with logical partitions at 302 (FAT12),
// 500 (FAT16) and 700 (Linux), FAT32 primary at 1400.
const char kSmallMbrScript[] =
    "label: dos\n"
    "start=8, size=200, type=6\n"
    "start=300, size=1000, type=5\n"
    "start=1400, size=100, type=c\n"
    "start=302, size=100, type=1\n"
    "start=500, size=100, type=e\n"
    "start=700, size=100, type=83\n";
const std::vector<Expected> kSmallMbr = {
    {1, 8, 200, false, true, nullptr},    {2, 300, 1000, true, false, nullptr},
    {3, 1400, 100, false, true, nullptr}, {5, 302, 100, false, true, nullptr},
    {6, 500, 100, false, true, nullptr},  {7, 700, 100, false, false, nullptr},
};
constexpr uint64_t kExt = 300;

// GPT, 128 entries: EFI System at 40, basic data at 240, Linux at 440.
const char kSmallGptScript[] =
    "label: gpt\n"
    "first-lba: 34\n"
    "start=40, size=200, type=U\n"
    "start=240, size=200, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n"
    "start=440, size=100, type=L\n";
const std::vector<Expected> kSmallGpt = {
    {1, 40, 200, false, true, nullptr},
    {2, 240, 200, false, true, nullptr},
    {3, 440, 100, false, false, nullptr},
};

class BrokenTest : public ::testing::Test {
 protected:
  // A fresh copy of the disk sfdisk makes from `script` (made once).
  std::vector<uint8_t> Disk(const char* script) {
    static std::map<std::string, std::vector<uint8_t>> made;
    auto [it, added] = made.try_emplace(script);
    if (added) {
      const std::string path = dir_.path() + "/small.img";
      std::remove(path.c_str());
      EXPECT_TRUE(MakeDisk(path, 1, script));
      it->second = ReadHostFile(path);
    }
    return it->second;
  }

  Listing List(std::vector<uint8_t> bytes, size_t capacity = 256) {
    disk_ = std::make_unique<MemoryDisk>(std::move(bytes));
    return ListAll(disk_->device(), capacity);
  }

  TempDir dir_;
  std::unique_ptr<MemoryDisk> disk_;
};

// --- MBR ---

// Byte offset of MBR/EBR entry `i` in the sector at `lba`.
size_t EntryAt(uint64_t lba, int i) {
  return lba * kBlock + 446 + 16 * i;
}

// The EBRs of the small MBR disk, from the links sfdisk wrote.
std::vector<uint64_t> Ebrs(const std::vector<uint8_t>& b) {
  std::vector<uint64_t> ebrs = {kExt};
  while (b[EntryAt(ebrs.back(), 1) + 4] != 0) {
    ebrs.push_back(kExt + Get32(b, EntryAt(ebrs.back(), 1) + 8));
  }
  return ebrs;
}

TEST_F(BrokenTest, SmallMbrAsMade) {
  const std::vector<uint8_t> b = Disk(kSmallMbrScript);
  ASSERT_EQ(Ebrs(b).size(), 3u);
  const Listing l = List(b);
  ASSERT_EQ(l.status, Status::kOk);
  ExpectListed(l, kSmallMbr);
}

TEST_F(BrokenTest, EbrLoopEndsTheChain) {
  for (int target = 0; target < 3; ++target) {
    SCOPED_TRACE(target);
    std::vector<uint8_t> b = Disk(kSmallMbrScript);
    const std::vector<uint64_t> ebrs = Ebrs(b);
    // The last EBR links back to an earlier one (or to itself).
    const size_t link = EntryAt(ebrs[2], 1);
    b[link + 4] = 0x05;
    Put32(b, link + 8, static_cast<uint32_t>(ebrs[target] - kExt));
    Put32(b, link + 12, 1);
    const Listing l = List(b);
    ASSERT_EQ(l.status, Status::kOk);
    ASSERT_EQ(l.entries.size(), kSmallMbr.size());  // each logical partition once
    EXPECT_EQ(Find(l, 2)->status, Status::kEbrLoop);
    for (uint32_t n : {1, 3, 5, 6, 7}) {
      EXPECT_EQ(Find(l, n)->status, Status::kOk) << n;
    }
  }
}

TEST_F(BrokenTest, EbrWithoutSignature) {
  std::vector<uint8_t> b = Disk(kSmallMbrScript);
  b[Ebrs(b)[1] * kBlock + 511] = 0;
  const Listing l = List(b);
  ASSERT_EQ(l.status, Status::kOk);
  EXPECT_EQ(Find(l, 2)->status, Status::kEbrBadSignature);
  EXPECT_EQ(Find(l, 5)->status, Status::kOk);
  EXPECT_EQ(Find(l, 6), nullptr);
  EXPECT_EQ(Find(l, 3)->status, Status::kOk);
}

TEST_F(BrokenTest, EbrLinkOutsideTheExtendedPartition) {
  std::vector<uint8_t> b = Disk(kSmallMbrScript);
  Put32(b, EntryAt(kExt, 1) + 8, 1000);  // the extended partition has 1000 sectors
  const Listing l = List(b);
  EXPECT_EQ(Find(l, 2)->status, Status::kEbrLinkOutside);
  EXPECT_EQ(Find(l, 5)->status, Status::kOk);
  EXPECT_EQ(Find(l, 6), nullptr);
}

TEST_F(BrokenTest, LogicalPartitionOutsideTheExtendedOrOverlapping) {
  std::vector<uint8_t> b = Disk(kSmallMbrScript);
  const uint64_t ebr6 = Ebrs(b)[1];
  Put32(b, EntryAt(ebr6, 0) + 12, 900);  // logical 6 runs past the extended partition's end
  Listing l = List(b);
  ASSERT_EQ(l.status, Status::kOk);
  EXPECT_EQ(Find(l, 6)->status, Status::kOutsideExtended);
  EXPECT_FALSE(Find(l, 6)->fat_candidate);
  EXPECT_EQ(Find(l, 5)->status, Status::kOk);
  EXPECT_EQ(Find(l, 7)->status, Status::kOk);
  EXPECT_EQ(Find(l, 2)->status, Status::kOk);

  b = Disk(kSmallMbrScript);
  Put32(b, EntryAt(ebr6, 0) + 12, 250);  // logical 6 over logical 7
  l = List(b);
  EXPECT_EQ(Find(l, 6)->status, Status::kOk);
  EXPECT_EQ(Find(l, 7)->status, Status::kOverlap);
}

TEST_F(BrokenTest, LogicalPartitionOverlappingItsEbr) {
  std::vector<uint8_t> b = Disk(kSmallMbrScript);
  Put32(b, EntryAt(kExt, 0) + 8, 0);
  const Listing l = List(b);
  EXPECT_EQ(Find(l, 5)->status, Status::kOverlapsTable);
  EXPECT_EQ(Find(l, 6)->status, Status::kOk);
}

TEST_F(BrokenTest, PrimaryPastTheDiskOrOverlapping) {
  std::vector<uint8_t> b = Disk(kSmallMbrScript);
  Put32(b, EntryAt(0, 2) + 12, 2048 - 1400 + 1);  // one sector past the disk's end
  Listing l = List(b);
  ASSERT_EQ(l.status, Status::kOk);
  EXPECT_EQ(Find(l, 3)->status, Status::kOutsideDisk);
  EXPECT_FALSE(Find(l, 3)->fat_candidate);
  EXPECT_EQ(Find(l, 1)->status, Status::kOk);
  EXPECT_EQ(Find(l, 6)->status, Status::kOk);

  b = Disk(kSmallMbrScript);
  Put32(b, EntryAt(0, 2) + 8, 100);  // inside partition 1
  l = List(b);
  EXPECT_EQ(Find(l, 3)->status, Status::kOverlap);
  EXPECT_EQ(Find(l, 1)->status, Status::kOk);

  b = Disk(kSmallMbrScript);
  Put32(b, EntryAt(0, 1) + 8, 150);  // the extended partition over partition 1
  l = List(b);
  EXPECT_EQ(Find(l, 2)->status, Status::kOverlap);
  EXPECT_EQ(Find(l, 5), nullptr);  // its chain is not followed

  b = Disk(kSmallMbrScript);
  Put32(b, EntryAt(0, 0) + 8, 0);
  l = List(b);
  EXPECT_EQ(Find(l, 1)->status, Status::kOverlapsTable);

  b = Disk(kSmallMbrScript);
  Put32(b, EntryAt(0, 0) + 12, 0);
  l = List(b);
  EXPECT_EQ(Find(l, 1)->status, Status::kEmpty);
}

TEST_F(BrokenTest, ChainOfTooManyEbrs) {
  // An extended partition of 600 sectors holding 300 EBRs, each followed by
  // a one-sector logical partition.
  std::vector<uint8_t> b(1024 * 1024);
  b[510] = 0x55;
  b[511] = 0xAA;
  b[EntryAt(0, 0) + 4] = 0x0F;
  Put32(b, EntryAt(0, 0) + 8, 100);
  Put32(b, EntryAt(0, 0) + 12, 600);
  for (uint32_t i = 0; i < 300; ++i) {
    const uint64_t ebr = 100 + 2 * i;
    b[ebr * kBlock + 510] = 0x55;
    b[ebr * kBlock + 511] = 0xAA;
    b[EntryAt(ebr, 0) + 4] = 0x83;
    Put32(b, EntryAt(ebr, 0) + 8, 1);
    Put32(b, EntryAt(ebr, 0) + 12, 1);
    if (i + 1 < 300) {
      b[EntryAt(ebr, 1) + 4] = 0x05;
      Put32(b, EntryAt(ebr, 1) + 8, 2 * (i + 1));
      Put32(b, EntryAt(ebr, 1) + 12, 2);
    }
  }
  const Listing l = List(b, 1000);
  ASSERT_EQ(l.status, Status::kOk);
  ASSERT_EQ(l.entries.size(), 1 + partition::kMaxEbrs);
  EXPECT_EQ(l.entries[0].status, Status::kEbrChainTooLong);
  for (size_t i = 1; i < l.entries.size(); ++i) {
    EXPECT_EQ(l.entries[i].number, 4 + i);
    EXPECT_EQ(l.entries[i].offset, (100 + 2 * (i - 1) + 1) * kBlock);
    EXPECT_EQ(l.entries[i].status, Status::kOk);
  }
}

TEST_F(BrokenTest, OutputArrayFull) {
  const Listing l = List(Disk(kSmallMbrScript), 4);
  ASSERT_EQ(l.status, Status::kOk);
  EXPECT_TRUE(l.table.truncated);
  ASSERT_EQ(l.entries.size(), 4u);
  EXPECT_EQ(l.entries[3].number, 5u);
}

TEST_F(BrokenTest, NotATable) {
  std::vector<uint8_t> b = Disk(kSmallMbrScript);
  b[EntryAt(0, 1)] = 0x01;  // boot flag
  Listing l = List(b);
  EXPECT_EQ(l.status, Status::kBadBootFlag);
  EXPECT_TRUE(l.entries.empty());
  EXPECT_EQ(l.table.bare, fat::Status::kBadJump);  // why it is no bare volume either

  b[510] = 0;
  l = List(b);
  EXPECT_EQ(l.status, Status::kNoTable);
  EXPECT_EQ(l.table.bare, fat::Status::kBadSignature);

  EXPECT_EQ(List({}).status, Status::kNoTable);
  EXPECT_EQ(List(std::vector<uint8_t>(100)).status, Status::kNoTable);
}

TEST_F(BrokenTest, DeviceErrors) {
  // A device that fails every read past sector 0: the EBRs cannot be read.
  struct Failing {
    std::vector<uint8_t> bytes;
    static fat::Status Read(void* context, uint64_t offset, void* buffer, size_t length) {
      auto* self = static_cast<Failing*>(context);
      if (offset != 0) {
        return fat::Status::kIoError;
      }
      std::memcpy(buffer, self->bytes.data(), length);
      return fat::Status::kOk;
    }
  } failing{Disk(kSmallMbrScript)};
  const fat::BlockDevice device{&failing, Failing::Read, failing.bytes.size()};
  Listing l = ListAll(device);
  ASSERT_EQ(l.status, Status::kOk);
  EXPECT_EQ(Find(l, 2)->status, Status::kIoError);
  EXPECT_EQ(Find(l, 1)->status, Status::kOk);

  const fat::BlockDevice dead{&failing,
                              [](void*, uint64_t, void*, size_t) { return fat::Status::kIoError; },
                              failing.bytes.size()};
  EXPECT_EQ(ListAll(dead).status, Status::kIoError);
}

// --- GPT ---

constexpr uint64_t kLastLba = 2048 - 1;

// Recomputes the entry array CRC and the header CRC of the header at `lba`.
void FixGpt(std::vector<uint8_t>& b, uint64_t lba) {
  const size_t h = lba * kBlock;
  const uint64_t entries = Get64(b, h + 72);
  const uint64_t bytes = uint64_t{Get32(b, h + 80)} * Get32(b, h + 84);
  if (entries * kBlock + bytes <= b.size()) {
    Put32(b, h + 88, bootfs::Crc32(b.data() + entries * kBlock, bytes));
  }
  Put32(b, h + 16, 0);
  Put32(b, h + 16, bootfs::Crc32(b.data() + h, Get32(b, h + 12)));
}

// Byte offset of primary entry `index` (from 0).
size_t GptEntry(const std::vector<uint8_t>& b, int index) {
  return Get64(b, kBlock + 72) * kBlock + 128 * index;
}

TEST_F(BrokenTest, SmallGptAsMade) {
  const Listing l = List(Disk(kSmallGptScript));
  ASSERT_EQ(l.status, Status::kOk);
  EXPECT_EQ(l.table.gpt_primary, Status::kOk);
  ExpectListed(l, kSmallGpt);
}

// The primary broken in each way: the backup lists the partitions as made.
TEST_F(BrokenTest, BackupUsedWhenThePrimaryIsBad) {
  const struct {
    const char* name;
    std::function<void(std::vector<uint8_t>&)> corrupt;
    Status status;
  } kCases[] = {
      {"header CRC", [](auto& b) { b[kBlock + 56] ^= 1; }, Status::kGptBadHeaderCrc},
      {"signature", [](auto& b) { b[kBlock] = 'X'; }, Status::kGptBadSignature},
      {"zeroed", [](auto& b) { std::memset(&b[kBlock], 0, kBlock); }, Status::kGptBadSignature},
      // Moves partition 1: had the primary been used, it would be listed elsewhere.
      {"entries CRC", [](auto& b) { b[GptEntry(b, 0) + 32] ^= 8; }, Status::kGptBadEntriesCrc},
      {"header size",
       [](auto& b) {
         Put32(b, kBlock + 12, 91);
         FixGpt(b, 1);
       },
       Status::kGptBadHeaderSize},
      {"header size over a block", [](auto& b) { Put32(b, kBlock + 12, 513); },
       Status::kGptBadHeaderSize},
      {"my LBA",
       [](auto& b) {
         Put64(b, kBlock + 24, 5);
         FixGpt(b, 1);
       },
       Status::kGptBadMyLba},
      {"usable range past the disk",
       [](auto& b) {
         Put64(b, kBlock + 48, 2048);
         FixGpt(b, 1);
       },
       Status::kGptBadUsableRange},
      {"usable range reversed",
       [](auto& b) {
         Put64(b, kBlock + 40, 1000);
         Put64(b, kBlock + 48, 999);
         FixGpt(b, 1);
       },
       Status::kGptBadUsableRange},
      {"entry size",
       [](auto& b) {
         Put32(b, kBlock + 84, 96);
         FixGpt(b, 1);
       },
       Status::kGptBadEntrySize},
      {"no entries",
       [](auto& b) {
         Put32(b, kBlock + 80, 0);
         FixGpt(b, 1);
       },
       Status::kGptTooManyEntries},
      {"too many entries",
       [](auto& b) {
         Put32(b, kBlock + 80, 1025);
         FixGpt(b, 1);
       },
       Status::kGptTooManyEntries},
      {"entry array over the header",
       [](auto& b) {
         Put64(b, kBlock + 72, 1);
         FixGpt(b, 1);
       },
       Status::kGptBadEntryArray},
      {"entry array in the usable range",
       [](auto& b) {
         Put64(b, kBlock + 72, 40);
         FixGpt(b, 1);
       },
       Status::kGptBadEntryArray},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    std::vector<uint8_t> b = Disk(kSmallGptScript);
    c.corrupt(b);
    const Listing l = List(b);
    ASSERT_EQ(l.status, Status::kOk);
    EXPECT_EQ(l.table.gpt_primary, c.status) << partition::StatusString(l.table.gpt_primary);
    EXPECT_EQ(l.table.gpt_backup, Status::kOk);
    ExpectListed(l, kSmallGpt);
  }
}

TEST_F(BrokenTest, BothGptHeadersBad) {
  std::vector<uint8_t> b = Disk(kSmallGptScript);
  b[kBlock + 56] ^= 1;
  const uint64_t backup_entries = Get64(b, kLastLba * kBlock + 72);
  b[backup_entries * kBlock] ^= 1;
  const Listing l = List(b);
  EXPECT_EQ(l.status, Status::kGptBadHeaderCrc);
  EXPECT_EQ(l.table.gpt_primary, Status::kGptBadHeaderCrc);
  EXPECT_EQ(l.table.gpt_backup, Status::kGptBadEntriesCrc);
  EXPECT_TRUE(l.entries.empty());
  EXPECT_EQ(l.table.scheme, Scheme::kGpt);
}

TEST_F(BrokenTest, BadBackupIsNotReadWhenThePrimaryIsGood) {
  std::vector<uint8_t> b = Disk(kSmallGptScript);
  std::memset(&b[kLastLba * kBlock], 0, kBlock);
  const Listing l = List(b);
  ASSERT_EQ(l.status, Status::kOk);
  EXPECT_EQ(l.table.gpt_backup, Status::kOk);
  ExpectListed(l, kSmallGpt);
}

TEST_F(BrokenTest, GptEntriesPastTheDiskOverlappingOrReversed) {
  std::vector<uint8_t> b = Disk(kSmallGptScript);
  Put64(b, GptEntry(b, 2) + 40, kLastLba);  // partition 3 ends on the backup header
  Put64(b, GptEntry(b, 1) + 32, 100);       // partition 2 starts inside partition 1
  FixGpt(b, 1);
  Listing l = List(b);
  ASSERT_EQ(l.status, Status::kOk);
  ASSERT_EQ(l.table.gpt_primary, Status::kOk);
  ASSERT_EQ(l.entries.size(), 3u);
  EXPECT_EQ(l.entries[0].status, Status::kOk);
  EXPECT_TRUE(l.entries[0].fat_candidate);
  EXPECT_EQ(l.entries[1].status, Status::kOverlap);
  EXPECT_FALSE(l.entries[1].fat_candidate);
  EXPECT_EQ(l.entries[2].status, Status::kOutsideUsable);

  b = Disk(kSmallGptScript);
  Put64(b, GptEntry(b, 0) + 32, 300);  // starts after its end (239)
  FixGpt(b, 1);
  l = List(b);
  EXPECT_EQ(l.entries[0].status, Status::kEmpty);
  EXPECT_EQ(l.entries[1].status, Status::kOk);
}

TEST_F(BrokenTest, ProtectiveMbrNotAtLba1) {
  std::vector<uint8_t> b = Disk(kSmallGptScript);
  ASSERT_EQ(b[EntryAt(0, 0) + 4], 0xEE);
  Put32(b, EntryAt(0, 0) + 8, 2);
  EXPECT_EQ(List(b).status, Status::kBadProtectiveMbr);
}

TEST(PartitionStatusTest, EveryStatusHasItsOwnString) {
  std::set<std::string> seen;
  for (int s = 0; s <= static_cast<int>(Status::kEbrChainTooLong); ++s) {
    const std::string text = partition::StatusString(static_cast<Status>(s));
    EXPECT_NE(text, "unknown status") << s;
    EXPECT_TRUE(seen.insert(text).second) << text;
  }
  EXPECT_STREQ(partition::SchemeString(Scheme::kGpt), "GPT");
}

}  // namespace
}  // namespace fat_test
