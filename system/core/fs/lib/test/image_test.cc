// The FAT reader against real images: mkfs.fat makes FAT12, FAT16 and FAT32
// volumes with several sector and cluster sizes, mtools fills them (long and
// Unicode names, deep and many-cluster directories, empty files, files at
// cluster boundaries, a fragmented file), and every file must read back
// byte-exact, at any offset, by any path spelling.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "system/core/fs/lib/fat.h"
#include "system/core/fs/lib/test/image_util.h"

namespace fat_test {
namespace {

struct Config {
  const char* name;
  std::vector<std::string> mkfs_args;
  uint64_t kib;
  fat::FatType type;
  uint32_t bytes_per_cluster;
};

const Config kConfigs[] = {
    {"Fat12Cluster512", {"-F", "12", "-s", "1"}, 1440, fat::FatType::kFat12, 512},
    {"Fat12Cluster4K", {"-F", "12", "-s", "8"}, 8192, fat::FatType::kFat12, 4096},
    {"Fat12Sector4K", {"-F", "12", "-S", "4096", "-s", "1"}, 4096, fat::FatType::kFat12, 4096},
    {"Fat16Cluster512", {"-F", "16", "-s", "1"}, 8192, fat::FatType::kFat16, 512},
    {"Fat16Cluster16K", {"-F", "16", "-s", "32"}, 131072, fat::FatType::kFat16, 16384},
    {"Fat32Cluster512", {"-F", "32", "-s", "1"}, 40960, fat::FatType::kFat32, 512},
    {"Fat32Cluster4K", {"-F", "32", "-s", "8"}, 307200, fat::FatType::kFat32, 4096},
};

const char kLongName[] = "A long file name with spaces, more than thirteen characters.data";
const char kUnicodeName[] = "Ünïcödé ファイル.txt";

// Fills an image the same way for every configuration, scaled by the
// cluster size.
void Fill(ImageBuilder& b, uint32_t bpc) {
  uint32_t seed = 1;
  b.Put("empty", {});
  b.Put("one", Pattern(1, seed++));
  b.Put("readme.txt", Pattern(100, seed++));  // 8.3, lower case (flags byte)
  b.Put("MixedCase.Txt", Pattern(200, seed++));
  b.Put("edge-minus", Pattern(bpc - 1, seed++));
  b.Put("edge", Pattern(bpc, seed++));
  b.Put("edge-plus", Pattern(bpc + 1, seed++));
  b.Put("two-clusters", Pattern(2 * bpc, seed++));
  b.Put(kLongName, Pattern(3 * bpc + 17, seed++));
  b.Put(kUnicodeName, Pattern(77, seed++));
  b.Put(std::string(230, 'n') + ".txt", Pattern(5, seed++));
  std::string deep;
  for (int i = 1; i <= 10; ++i) {
    deep += (i == 1 ? "" : "/") + std::string("level ") + std::to_string(i);
    b.Mkdir(deep);
  }
  b.Put(deep + "/deep file.bin", Pattern(bpc + 3, seed++));
  b.Mkdir("many");
  for (int i = 0; i < 150; ++i) {
    b.Put("many/file number " + std::to_string(i) + ".txt", Pattern(i * 7, seed++));
  }
  b.Mkdir("empty dir");
  // Fragmentation: fill, free every other file, then a large file must take
  // the holes.
  b.Mkdir("frag");
  for (int i = 0; i < 24; ++i) {
    b.Put("frag/small-" + std::to_string(i), Pattern(bpc, seed++));
  }
  for (int i = 0; i < 24; i += 2) {
    b.Remove("frag/small-" + std::to_string(i));
  }
  b.RewindFreeHint();
  b.Put("frag/large", Pattern(20 * bpc + 5, seed++));
}

class ImageTest : public ::testing::TestWithParam<Config> {};

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

TEST_P(ImageTest, EveryFileByteExact) {
  const Config& config = GetParam();
  TempDir dir;
  ImageBuilder builder(dir.path() + "/disk.img", config.mkfs_args, config.kib);
  ASSERT_TRUE(builder.ok()) << "mkfs.fat failed";
  Fill(builder, config.bytes_per_cluster);
  ASSERT_TRUE(builder.ok()) << "mtools failed";

  FileDisk disk(builder.path());
  ASSERT_TRUE(disk.ok());
  fat::Partition partitions[fat::kMaxPartitions];
  size_t count = 0;
  ASSERT_EQ(fat::FindPartitions(disk.device(), partitions, &count), fat::Status::kOk);
  ASSERT_EQ(count, 1u);
  EXPECT_EQ(partitions[0].type, 0);  // a bare volume
  EXPECT_EQ(partitions[0].offset, 0u);
  EXPECT_EQ(partitions[0].size, config.kib * 1024);

  auto volume = std::make_unique<fat::Volume>();
  ASSERT_EQ(volume->Mount(disk.device(), partitions[0]), fat::Status::kOk);
  EXPECT_EQ(volume->type(), config.type);
  EXPECT_EQ(volume->bytes_per_cluster(), config.bytes_per_cluster);

  // Two walks: whole-cluster-ish reads and odd-sized ones.
  for (size_t chunk : {size_t{4096}, size_t{333}}) {
    Tree tree;
    ASSERT_EQ(WalkAll(*volume, &tree, chunk), fat::Status::kOk) << "chunk " << chunk;
    EXPECT_EQ(tree.dirs, builder.dirs());
    EXPECT_EQ(tree.files.size(), builder.files().size());
    for (const auto& [path, data] : builder.files()) {
      auto found = tree.files.find(path);
      ASSERT_NE(found, tree.files.end()) << "missing " << path;
      EXPECT_EQ(found->second.size(), data.size()) << path;
      EXPECT_TRUE(found->second == data) << "content differs: " << path;
    }
  }

  // Paths in any ASCII case, with extra and leading slashes and ".".
  for (const auto& [path, data] : builder.files()) {
    fat::Entry entry;
    const std::string upper = "/" + Upper(path);
    ASSERT_EQ(volume->Lookup(upper.data(), upper.size(), &entry), fat::Status::kOk) << upper;
    EXPECT_EQ(entry.size, data.size()) << path;
    EXPECT_FALSE(entry.is_directory());
    // And by its 8.3 alias, in its directory.
    const size_t slash = path.rfind('/');
    const std::string alias =
        (slash == std::string::npos ? "" : path.substr(0, slash + 1)) + "./" + entry.short_name;
    fat::Entry by_alias;
    ASSERT_EQ(volume->Lookup(alias.data(), alias.size(), &by_alias), fat::Status::kOk) << alias;
    EXPECT_EQ(by_alias.first_cluster, entry.first_cluster) << alias;
  }
  fat::Entry entry;
  EXPECT_EQ(volume->Lookup("nope", 4, &entry), fat::Status::kNotFound);
  EXPECT_EQ(volume->Lookup("one/x", 5, &entry), fat::Status::kNotADirectory);
  EXPECT_EQ(volume->Lookup("many/..", 7, &entry), fat::Status::kBadPath);
  ASSERT_EQ(volume->Lookup("/", 1, &entry), fat::Status::kOk);
  EXPECT_TRUE(entry.is_root);
  ASSERT_EQ(volume->Lookup("MANY", 4, &entry), fat::Status::kOk);
  size_t done = 0;
  uint8_t byte;
  EXPECT_EQ(volume->Read(entry, 0, &byte, 1, &done), fat::Status::kIsADirectory);

  // 8.3 names keep their lower-case flags; long names are flagged.
  ASSERT_EQ(volume->Lookup("README.TXT", 10, &entry), fat::Status::kOk);
  EXPECT_STREQ(entry.name, "readme.txt");
  EXPECT_FALSE(entry.has_long_name);
  ASSERT_EQ(volume->Lookup(kLongName, sizeof(kLongName) - 1, &entry), fat::Status::kOk);
  EXPECT_STREQ(entry.name, kLongName);
  EXPECT_TRUE(entry.has_long_name);

  // The fragmented file: its chain has the expected length and really is
  // not contiguous, and reads at any offset match.
  ASSERT_EQ(volume->Lookup("frag/large", 10, &entry), fat::Status::kOk);
  uint32_t length = 0;
  ASSERT_EQ(volume->ChainLength(entry.first_cluster, &length), fat::Status::kOk);
  EXPECT_EQ(length, 21u);
  int jumps = 0;
  for (uint32_t c = entry.first_cluster, next; volume->NextCluster(c, &next) == fat::Status::kOk;
       c = next) {
    jumps += next != c + 1 ? 1 : 0;
  }
  EXPECT_GT(jumps, 0) << "the test did not fragment the file";
  const std::vector<uint8_t>& large = builder.files().at("frag/large");
  std::vector<uint8_t> buffer(large.size() + 10);
  uint32_t x = 12345;
  for (int i = 0; i < 200; ++i) {
    x = x * 1103515245 + 12345;
    const size_t offset = (x >> 8) % (large.size() + 2);
    const size_t want = (x >> 3) % (3 * config.bytes_per_cluster + 2);
    ASSERT_EQ(volume->Read(entry, offset, buffer.data(), want, &done), fat::Status::kOk);
    const size_t expect = offset >= large.size() ? 0 : std::min(want, large.size() - offset);
    ASSERT_EQ(done, expect) << offset << "+" << want;
    EXPECT_TRUE(std::equal(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(done),
                           large.begin() + static_cast<ptrdiff_t>(std::min(offset, large.size()))))
        << offset << "+" << want;
  }
}

INSTANTIATE_TEST_SUITE_P(Images, ImageTest, ::testing::ValuesIn(kConfigs),
                         [](const ::testing::TestParamInfo<Config>& info) {
                           return std::string(info.param.name);
                         });

// `mkfs.fat -F 32` on a small disk warns and makes a FAT32-style BPB with
// fewer than 65525 clusters: by the specification's rule that is not FAT32,
// so the BPB is inconsistent and refused.
TEST(SmallFat32Test, RefusedByClusterCount) {
  TempDir dir;
  ImageBuilder small(dir.path() + "/small32.img", {"-F", "32", "-s", "1"}, 8192);
  ASSERT_TRUE(small.ok());
  FileDisk disk(small.path());
  const fat::BlockDevice device = disk.device();
  auto volume = std::make_unique<fat::Volume>();
  EXPECT_EQ(volume->Mount(device, fat::Partition{0, 0, device.size}),
            fat::Status::kBadClusterCount);
  fat::Partition partitions[fat::kMaxPartitions];
  size_t count = 0;
  EXPECT_EQ(fat::FindPartitions(device, partitions, &count), fat::Status::kNoVolume);
}

// An MBR disk: a non-FAT partition (skipped), a FAT16 and a FAT32 one.
TEST(MbrTest, FindsAndReadsEveryFatPartition) {
  TempDir dir;
  ImageBuilder fat16(dir.path() + "/p16.img", {"-F", "16", "-s", "1"}, 8192);
  fat16.Put("sixteen.txt", Pattern(5000, 1));
  fat16.Mkdir("Sub Dir");
  fat16.Put("Sub Dir/in partition two", Pattern(700, 2));
  ImageBuilder fat32(dir.path() + "/p32.img", {"-F", "32", "-s", "1"}, 40960);
  fat32.Put("thirty-two.bin", Pattern(70000, 3));
  ASSERT_TRUE(fat16.ok() && fat32.ok());

  const uint64_t lba16 = 4096, lba32 = lba16 + 8192 * 2;
  std::vector<uint8_t> mbr(512);
  auto entry = [&](int i, uint8_t type, uint32_t lba, uint32_t sectors) {
    uint8_t* e = mbr.data() + 446 + 16 * i;
    e[4] = type;
    for (int k = 0; k < 4; ++k) {
      e[8 + k] = static_cast<uint8_t>(lba >> (8 * k));
      e[12 + k] = static_cast<uint8_t>(sectors >> (8 * k));
    }
  };
  entry(0, 0x83, 2048, 2048);
  entry(1, 0x06, lba16, 8192 * 2);
  entry(2, 0x0C, lba32, 40960 * 2);
  mbr[510] = 0x55;
  mbr[511] = 0xAA;
  const std::string disk_path = dir.path() + "/disk.img";
  {
    const int fd = open(disk_path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pwrite(fd, mbr.data(), mbr.size(), 0), 512);
    for (const auto& [path, lba] :
         {std::pair{fat16.path(), lba16}, std::pair{fat32.path(), lba32}}) {
      const std::vector<uint8_t> bytes = ReadHostFile(path);
      ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(lba * 512)),
                static_cast<ssize_t>(bytes.size()));
    }
    close(fd);
  }

  FileDisk disk(disk_path);
  fat::Partition partitions[fat::kMaxPartitions];
  size_t count = 0;
  ASSERT_EQ(fat::FindPartitions(disk.device(), partitions, &count), fat::Status::kOk);
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(partitions[0].type, 0x06);
  EXPECT_EQ(partitions[0].offset, lba16 * 512);
  EXPECT_EQ(partitions[0].size, 8192u * 1024);
  EXPECT_EQ(partitions[1].type, 0x0C);
  EXPECT_EQ(partitions[1].offset, lba32 * 512);

  const ImageBuilder* builders[] = {&fat16, &fat32};
  const fat::FatType types[] = {fat::FatType::kFat16, fat::FatType::kFat32};
  for (size_t i = 0; i < 2; ++i) {
    auto volume = std::make_unique<fat::Volume>();
    ASSERT_EQ(volume->Mount(disk.device(), partitions[i]), fat::Status::kOk);
    EXPECT_EQ(volume->type(), types[i]);
    Tree tree;
    ASSERT_EQ(WalkAll(*volume, &tree), fat::Status::kOk);
    EXPECT_EQ(tree.dirs, builders[i]->dirs());
    EXPECT_TRUE(tree.files == builders[i]->files()) << "partition " << i;
  }
}

}  // namespace
}  // namespace fat_test
