// The service's core (vfs.h) on real images made by mkfs.fat and mtools:
// error mapping, open flags and rights, path walking, the node table, and
// every request as the servers make it.
#include "system/core/fs/service/vfs.h"

#include <string.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "system/core/fs/lib/test/image_util.h"

namespace fs {
namespace {

using fat_test::ImageBuilder;
using fat_test::Pattern;
using fat_test::TempDir;
using idl::fs::OpenFlags;

constexpr uint32_t F(OpenFlags f) {
  return static_cast<uint32_t>(f);
}
constexpr uint32_t kRW = kRightRead | kRightWrite;

// --- fat::Status -> fs.Error ---

TEST(ErrorMapping, EveryStatusHasItsError) {
  struct Case {
    fat::Status status;
    Error error;
    bool detail;
  };
  const Case cases[] = {
      {fat::Status::kOk, Error::OK, false},
      {fat::Status::kIoError, Error::IO, true},
      {fat::Status::kNoVolume, Error::NOT_MOUNTED, true},
      {fat::Status::kBadSignature, Error::NOT_MOUNTED, true},
      {fat::Status::kBadFsVersion, Error::NOT_MOUNTED, true},
      {fat::Status::kNotMounted, Error::NOT_MOUNTED, true},
      {fat::Status::kBadCluster, Error::CORRUPT, true},
      {fat::Status::kFreeInChain, Error::CORRUPT, true},
      {fat::Status::kChainLoop, Error::CORRUPT, true},
      {fat::Status::kChainTooShort, Error::CORRUPT, true},
      {fat::Status::kChainTooLong, Error::CORRUPT, true},
      {fat::Status::kBadDirEntry, Error::CORRUPT, true},
      {fat::Status::kNotFound, Error::NOT_FOUND, false},
      {fat::Status::kNotADirectory, Error::NOT_DIRECTORY, false},
      {fat::Status::kIsADirectory, Error::IS_DIRECTORY, false},
      {fat::Status::kBadPath, Error::BAD_PATH, false},
      {fat::Status::kReadOnly, Error::READ_ONLY, false},
      {fat::Status::kExists, Error::EXISTS, false},
      {fat::Status::kNotEmpty, Error::NOT_EMPTY, false},
      {fat::Status::kNoSpace, Error::NO_SPACE, false},
      {fat::Status::kFileTooLarge, Error::TOO_LARGE, false},
      {fat::Status::kBadName, Error::BAD_NAME, false},
      {fat::Status::kInvalid, Error::INVALID, false},
  };
  for (const Case& c : cases) {
    Outcome o = FromFat(c.status);
    EXPECT_EQ(o.error, c.error) << fat::StatusString(c.status);
    if (c.detail) {
      EXPECT_STREQ(o.detail, fat::StatusString(c.status));
    } else {
      EXPECT_STREQ(o.detail, "");
    }
  }
}

// --- flags and rights ---

TEST(OpenFlagsCheck, RefusesWhatMakesNoSense) {
  EXPECT_TRUE(CheckOpenFlags(0).ok());
  EXPECT_TRUE(CheckOpenFlags(F(OpenFlags::READ)).ok());
  EXPECT_TRUE(CheckOpenFlags(F(OpenFlags::READ | OpenFlags::WRITE | OpenFlags::CREATE |
                               OpenFlags::EXCLUSIVE | OpenFlags::TRUNCATE | OpenFlags::APPEND))
                  .ok());
  EXPECT_TRUE(CheckOpenFlags(F(OpenFlags::READ | OpenFlags::DIRECTORY)).ok());
  EXPECT_EQ(CheckOpenFlags(0x80).error, Error::INVALID);
  EXPECT_EQ(CheckOpenFlags(F(OpenFlags::EXCLUSIVE | OpenFlags::WRITE)).error, Error::INVALID);
  EXPECT_EQ(CheckOpenFlags(F(OpenFlags::TRUNCATE | OpenFlags::READ)).error, Error::INVALID);
  EXPECT_EQ(CheckOpenFlags(F(OpenFlags::APPEND | OpenFlags::READ)).error, Error::INVALID);
  EXPECT_EQ(CheckOpenFlags(F(OpenFlags::CREATE | OpenFlags::DIRECTORY | OpenFlags::WRITE)).error,
            Error::INVALID);
}

TEST(OpenRights, NeverMoreThanTheDirectoryHas) {
  uint32_t rights = 0;
  EXPECT_TRUE(RightsFor(F(OpenFlags::READ | OpenFlags::WRITE), kRW, false, &rights).ok());
  EXPECT_EQ(rights, kRW);
  EXPECT_TRUE(RightsFor(0, 0, true, &rights).ok());
  EXPECT_EQ(rights, 0u);
  EXPECT_EQ(RightsFor(F(OpenFlags::WRITE), kRW, true, &rights).error, Error::READ_ONLY);
  EXPECT_EQ(RightsFor(F(OpenFlags::WRITE), kRightRead, false, &rights).error, Error::READ_ONLY);
  EXPECT_EQ(RightsFor(F(OpenFlags::READ), kRightWrite, false, &rights).error, Error::ACCESS_DENIED);
  EXPECT_TRUE(RightsFor(F(OpenFlags::READ), kRightRead, true, &rights).ok());
  EXPECT_EQ(rights, kRightRead);
}

// --- paths ---

std::vector<std::string> Components(const char* path) {
  PathWalker w(path, strlen(path));
  std::vector<std::string> out;
  const char* name;
  size_t n;
  while (w.Next(&name, &n)) {
    out.emplace_back(name, n);
  }
  return out;
}

TEST(Paths, ComponentsAndRefusals) {
  for (const char* ok : {"", ".", "a", "a/b", "./a/./b", "a/b/", "long name.txt/x"}) {
    EXPECT_TRUE(PathWalker(ok, strlen(ok)).Check().ok()) << ok;
  }
  for (const char* bad : {"/", "/a", "a//b", "..", "a/../b", "a/..", "a//", "//"}) {
    EXPECT_EQ(PathWalker(bad, strlen(bad)).Check().error, Error::BAD_PATH) << bad;
  }
  std::string too_long(fat::kMaxNameBytes + 1, 'x');
  EXPECT_EQ(PathWalker(too_long.data(), too_long.size()).Check().error, Error::BAD_PATH);
  EXPECT_EQ(Components("./a/./b/"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Components("."), std::vector<std::string>{});
  EXPECT_TRUE(PathWalker("a/", 2).trailing_slash());
  EXPECT_FALSE(PathWalker("a", 1).trailing_slash());
}

// --- the node table ---

fat::Entry EntryAt(uint32_t dir_cluster, uint32_t slot, uint32_t first_cluster) {
  fat::Entry e = {};
  e.dir_cluster = dir_cluster;
  e.slot = slot;
  e.first_cluster = first_cluster;
  return e;
}

TEST(NodeTable, OneNodePerEntrySharedAndFreedWithTheLastReference) {
  NodeTable t;
  bool created = false;
  Node* a = t.Acquire(EntryAt(5, 3, 9), &created);
  EXPECT_TRUE(created);
  Node* again = t.Acquire(EntryAt(5, 3, 9), &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(a, again);
  EXPECT_EQ(a->refs, 2u);
  Node* b = t.Acquire(EntryAt(5, 4, 10), &created);
  EXPECT_TRUE(created);
  EXPECT_NE(a, b);
  fat::Entry root = {};
  root.is_root = true;
  EXPECT_EQ(t.Find(root), nullptr);  // the root is not slot 0 of the root region
  EXPECT_EQ(t.size(), 2u);
  t.Release(a);
  EXPECT_EQ(t.Find(EntryAt(5, 3, 9)), a);
  t.Release(a);
  EXPECT_EQ(t.Find(EntryAt(5, 3, 9)), nullptr);
  EXPECT_EQ(t.size(), 1u);
  // A removed node is never found again: a new file in its place gets its own.
  b->removed = true;
  Node* c = t.Acquire(EntryAt(5, 4, 10), &created);
  EXPECT_TRUE(created);
  EXPECT_NE(b, c);
  t.Release(b);
  t.Release(c);
  EXPECT_EQ(t.size(), 0u);
}

// --- a volume ---

class VolumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ImageBuilder b(dir_.path() + "/v.img", {"-F", "16", "-s", "4", "-n", "TESTVOL"}, 16384);
    ASSERT_TRUE(b.ok());
    b.Put("hello.txt", Pattern(5000, 1));
    b.Mkdir("sub");
    b.Put("sub/inner file.bin", Pattern(3000, 2));
    b.Mkdir("many");
    for (int i = 0; i < 70; ++i) {
      b.Put("many/f" + std::to_string(i), Pattern(i, 3 + i));
    }
    files_ = b.files();
    disk_ = std::make_unique<fat_test::MemoryDisk>(fat_test::ReadHostFile(b.path()));
    ASSERT_EQ(Mount(), fat::Status::kOk);
  }

  fat::Status Mount() {
    volume_ = std::make_unique<FsVolume>();
    return volume_->Mount(disk_->device(), fat::Partition{0, 0, disk_->bytes().size()}, cache_,
                          sizeof(cache_), false);
  }

  // Opens from the root with full rights.
  Outcome Open(const char* path, uint32_t flags, Node** node, uint32_t* rights) {
    Node* root = volume_->AcquireRoot();
    Outcome o = volume_->Open(root, kRW, path, strlen(path), flags, node, rights);
    volume_->Release(root);
    return o;
  }

  std::vector<uint8_t> ReadAll(Node* node, uint32_t rights) {
    std::vector<uint8_t> out;
    uint8_t buf[777];
    for (;;) {
      size_t n = 0;
      Outcome o = volume_->Read(node, rights, out.size(), buf, sizeof(buf), &n);
      EXPECT_TRUE(o.ok());
      if (!o.ok() || n == 0) {
        return out;
      }
      out.insert(out.end(), buf, buf + n);
    }
  }

  TempDir dir_;
  std::map<std::string, std::vector<uint8_t>> files_;
  std::unique_ptr<fat_test::MemoryDisk> disk_;
  alignas(8) uint8_t cache_[64 * 1024];
  std::unique_ptr<FsVolume> volume_;
};

TEST_F(VolumeTest, OpensAndReadsByAnyPathSpelling) {
  for (const char* path :
       {"hello.txt", "HELLO.TXT", "./hello.txt", "sub/inner file.bin", "SUB/./inner file.bin"}) {
    Node* n = nullptr;
    uint32_t rights = 0;
    ASSERT_TRUE(Open(path, F(OpenFlags::READ), &n, &rights).ok()) << path;
    EXPECT_EQ(rights, kRightRead);
    const std::string key =
        strchr(path, '/') && strstr(path, "inner") ? "sub/inner file.bin" : "hello.txt";
    EXPECT_EQ(ReadAll(n, rights), files_.at(key)) << path;
    idl::fs::NodeInfo info;
    ASSERT_TRUE(volume_->Stat(n, &info).ok());
    EXPECT_EQ(info.type, idl::fs::NodeType::FILE);
    EXPECT_EQ(info.size, files_.at(key).size());
    volume_->Release(n);
  }
  EXPECT_EQ(volume_->nodes().size(), 1u);  // the root alone
}

TEST_F(VolumeTest, OpenErrors) {
  Node* n = nullptr;
  uint32_t rights = 0;
  EXPECT_EQ(Open("nope", F(OpenFlags::READ), &n, &rights).error, Error::NOT_FOUND);
  EXPECT_EQ(Open("sub/nope", F(OpenFlags::READ), &n, &rights).error, Error::NOT_FOUND);
  EXPECT_EQ(Open("hello.txt/x", F(OpenFlags::READ), &n, &rights).error, Error::NOT_DIRECTORY);
  EXPECT_EQ(Open("hello.txt/", F(OpenFlags::READ), &n, &rights).error, Error::NOT_DIRECTORY);
  EXPECT_EQ(Open("hello.txt", F(OpenFlags::DIRECTORY), &n, &rights).error, Error::NOT_DIRECTORY);
  EXPECT_EQ(Open("../hello.txt", F(OpenFlags::READ), &n, &rights).error, Error::BAD_PATH);
  EXPECT_EQ(Open("/hello.txt", F(OpenFlags::READ), &n, &rights).error, Error::BAD_PATH);
  EXPECT_EQ(Open("sub", F(OpenFlags::WRITE | OpenFlags::TRUNCATE), &n, &rights).error,
            volume_->read_only() ? Error::READ_ONLY : Error::IS_DIRECTORY);
  EXPECT_EQ(
      Open("hello.txt", F(OpenFlags::CREATE | OpenFlags::EXCLUSIVE | OpenFlags::WRITE), &n, &rights)
          .error,
      volume_->read_only() ? Error::READ_ONLY : Error::EXISTS);
  EXPECT_EQ(n, nullptr);
  EXPECT_EQ(volume_->nodes().size(), 1u);
}

TEST_F(VolumeTest, OpensOfOneFileShareTheNodeEachConnectionItsRights) {
  Node *a = nullptr, *b = nullptr, *c = nullptr;
  uint32_t ra = 0, rb = 0, rc = 0;
  ASSERT_TRUE(Open("hello.txt", F(OpenFlags::READ), &a, &ra).ok());
  ASSERT_TRUE(Open("HELLO.TXT", 0, &b, &rb).ok());
  ASSERT_TRUE(Open("sub", F(OpenFlags::READ | OpenFlags::DIRECTORY), &c, &rc).ok());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a->refs, 2u);
  uint8_t byte;
  size_t n = 0;
  EXPECT_EQ(volume_->Read(b, rb, 0, &byte, 1, &n).error, Error::ACCESS_DENIED);
  EXPECT_TRUE(volume_->Read(a, ra, 0, &byte, 1, &n).ok());
  EXPECT_EQ(n, 1u);
  // A file opened for reading is not written.
  EXPECT_EQ(volume_->Write(a, ra, 0, &byte, 1, &n).error, Error::READ_ONLY);
  EXPECT_EQ(volume_->Truncate(a, ra, 0).error, Error::READ_ONLY);
  // A directory opened from `sub` with READ only cannot give WRITE.
  Node* d = nullptr;
  uint32_t rd = 0;
  EXPECT_EQ(volume_->Open(c, kRightRead, "inner file.bin", 14, F(OpenFlags::WRITE), &d, &rd).error,
            Error::READ_ONLY);
  ASSERT_TRUE(volume_->Open(c, kRightRead, "inner file.bin", 14, F(OpenFlags::READ), &d, &rd).ok());
  EXPECT_EQ(ReadAll(d, rd), files_.at("sub/inner file.bin"));
  // "" and "." are the directory itself: the same node.
  Node* self = nullptr;
  uint32_t rs = 0;
  ASSERT_TRUE(volume_->Open(c, kRightRead, ".", 1, F(OpenFlags::DIRECTORY), &self, &rs).ok());
  EXPECT_EQ(self, c);
  for (Node* x : {a, b, c, d, self}) {
    volume_->Release(x);
  }
  EXPECT_EQ(volume_->nodes().size(), 1u);
}

TEST_F(VolumeTest, ReadDirPagesWithACursorPerConnection) {
  Node* many = nullptr;
  uint32_t rights = 0;
  ASSERT_TRUE(Open("many", F(OpenFlags::READ), &many, &rights).ok());
  fat::DirIterator one, two;
  ASSERT_TRUE(volume_->Rewind(many, &one).ok());
  ASSERT_TRUE(volume_->Rewind(many, &two).ok());
  std::set<std::string> seen;
  std::vector<size_t> pages;
  for (;;) {
    size_t count = 0;
    ASSERT_TRUE(volume_
                    ->ReadDir(many, rights, &one, idl::fs::MAX_DIRENTS,
                              [&](const fat::Entry& e) {
                                seen.insert(std::string(e.name, e.name_length));
                                ++count;
                              })
                    .ok());
    pages.push_back(count);
    if (count == 0) {
      break;
    }
  }
  EXPECT_EQ(pages, (std::vector<size_t>{32, 32, 6, 0}));
  EXPECT_EQ(seen.size(), 70u);
  EXPECT_TRUE(seen.count("f69"));
  // The other cursor has not moved.
  size_t first = 0;
  std::string name;
  ASSERT_TRUE(volume_
                  ->ReadDir(many, rights, &two, 1,
                            [&](const fat::Entry& e) {
                              name.assign(e.name, e.name_length);
                              ++first;
                            })
                  .ok());
  EXPECT_EQ(first, 1u);
  EXPECT_EQ(name, "f0");
  EXPECT_EQ(volume_->ReadDir(many, 0, &two, 1, [](const fat::Entry&) {}).error,
            Error::ACCESS_DENIED);
  volume_->Release(many);
}

TEST_F(VolumeTest, QueryFilesystem) {
  idl::fs::FilesystemInfo info;
  ASSERT_TRUE(volume_->Query(&info).ok());
  EXPECT_TRUE(info.fs_type.Equals("fat16"));
  EXPECT_EQ(info.cluster_size, 2048u);
  EXPECT_GT(info.total_bytes, 15u * 1024 * 1024);
  EXPECT_GT(info.free_bytes, 0u);
  EXPECT_LT(info.free_bytes, info.total_bytes);
}

// A file whose chain is broken is refused at open with CORRUPT and what is
// wrong; the rest of the volume stays readable.
TEST_F(VolumeTest, ACorruptFileIsRefusedTheRestReads) {
  Node* n = nullptr;
  uint32_t rights = 0;
  ASSERT_TRUE(Open("hello.txt", F(OpenFlags::READ), &n, &rights).ok());
  const uint32_t cluster = n->entry.first_cluster;
  volume_->Release(n);
  // FAT16: the FAT starts after the reserved sectors; end its chain at once.
  const uint8_t* bs = disk_->bytes().data();
  const uint32_t reserved = bs[14] | (bs[15] << 8);
  const uint32_t sector = bs[11] | (bs[12] << 8);
  uint8_t* fat = disk_->bytes().data() + reserved * sector;
  fat[cluster * 2] = 0xFF;
  fat[cluster * 2 + 1] = 0xFF;
  ASSERT_EQ(Mount(), fat::Status::kOk);
  Outcome o = Open("hello.txt", F(OpenFlags::READ), &n, &rights);
  EXPECT_EQ(o.error, Error::CORRUPT);
  EXPECT_STREQ(o.detail, fat::StatusString(fat::Status::kChainTooShort));
  ASSERT_TRUE(Open("sub/inner file.bin", F(OpenFlags::READ), &n, &rights).ok());
  EXPECT_EQ(ReadAll(n, rights), files_.at("sub/inner file.bin"));
  volume_->Release(n);
}

}  // namespace
}  // namespace fs
