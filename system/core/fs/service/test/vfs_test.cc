// The service's core (vfs.h) on real images made by mkfs.fat and mtools:
// error mapping, open flags and rights, path walking, the node table, and
// every request as the servers make it.
#include "system/core/fs/service/vfs.h"

#include <string.h>

#include <algorithm>
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
  // The image is made once (mtools is slow); each test gets a copy.
  static void SetUpTestSuite() {
    TempDir dir;
    ImageBuilder b(dir.path() + "/v.img", {"-F", "16", "-s", "4", "-n", "TESTVOL"}, 16384);
    if (!b.ok()) {
      return;
    }
    b.Put("hello.txt", Pattern(5000, 1));
    b.Mkdir("sub");
    b.Put("sub/inner file.bin", Pattern(3000, 2));
    b.Mkdir("many");
    for (int i = 0; i < 70; ++i) {
      b.Put("many/f" + std::to_string(i), Pattern(i, 3 + i));
    }
    // A large file laid over holes (fragmented), for reads at any offset.
    b.Mkdir("frag");
    for (int i = 0; i < 40; ++i) {
      b.Put("frag/p" + std::to_string(i), Pattern(2048, 100 + i));
    }
    for (int i = 0; i < 40; i += 2) {
      b.Remove("frag/p" + std::to_string(i));
    }
    b.Put("big.bin", Pattern(700000, 99));
    image_ = new std::vector<uint8_t>(fat_test::ReadHostFile(b.path()));
    image_files_ = new std::map<std::string, std::vector<uint8_t>>(b.files());
  }
  static void TearDownTestSuite() {
    delete image_;
    delete image_files_;
    image_ = nullptr;
    image_files_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(image_, nullptr);
    files_ = *image_files_;
    disk_ = std::make_unique<fat_test::MemoryDisk>(*image_);
    ASSERT_EQ(Mount(), fat::Status::kOk);
  }

  // Writes the disk to a file and runs fsck.fat -n on it.
  void CheckDisk() {
    const std::string path = dir_.path() + "/disk.img";
    FILE* f = fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(fwrite(disk_->bytes().data(), 1, disk_->bytes().size(), f), disk_->bytes().size());
    fclose(f);
    EXPECT_TRUE(fat_test::Run({"fsck.fat", "-n", path}));
  }

  static std::vector<uint8_t>* image_;
  static std::map<std::string, std::vector<uint8_t>>* image_files_;

  fat::Status Mount() {
    volume_ = std::make_unique<FsVolume>();
    return volume_->Mount(disk_->writable_device(), fat::Partition{0, 0, disk_->bytes().size()},
                          cache_, sizeof(cache_), false);
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

std::vector<uint8_t>* VolumeTest::image_ = nullptr;
std::map<std::string, std::vector<uint8_t>>* VolumeTest::image_files_ = nullptr;

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
            Error::IS_DIRECTORY);
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

// --- the write side ---

class WriteTest : public VolumeTest {
 protected:
  Node* Root() {
    Node* root = volume_->AcquireRoot();
    volume_->Release(root);  // the volume keeps its own reference
    return root;
  }
  Node* OpenOk(const char* path, uint32_t flags, uint32_t* rights) {
    Node* n = nullptr;
    Outcome o = Open(path, flags, &n, rights);
    EXPECT_TRUE(o.ok()) << path << ": error " << static_cast<int>(o.error) << " " << o.detail;
    return n;
  }
  Outcome Put(Node* file, uint32_t rights, uint64_t at, const std::string& text) {
    size_t done = 0;
    Outcome o = volume_->Write(file, rights, at, text.data(), text.size(), &done);
    EXPECT_EQ(done, o.ok() ? text.size() : done);
    return o;
  }
  std::string Text(Node* node, uint32_t rights) {
    std::vector<uint8_t> bytes = ReadAll(node, rights);
    return std::string(bytes.begin(), bytes.end());
  }
  // Syncs, writes the disk to a file and runs fsck.fat -n on it.
  void SyncAndCheck() {
    ASSERT_TRUE(volume_->Sync().ok());
    CheckDisk();
  }
};

TEST_F(WriteTest, CreateExclusiveTruncateAppend) {
  uint32_t r = 0;
  const uint32_t rw = F(OpenFlags::READ | OpenFlags::WRITE);
  Node* n = nullptr;
  EXPECT_EQ(Open("new.txt", rw, &n, &r).error, Error::NOT_FOUND);  // no CREATE
  Node* a = OpenOk("new.txt", rw | F(OpenFlags::CREATE | OpenFlags::EXCLUSIVE), &r);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(Open("NEW.TXT", rw | F(OpenFlags::CREATE | OpenFlags::EXCLUSIVE), &n, &r).error,
            Error::EXISTS);
  EXPECT_TRUE(Put(a, r, 0, "0123456789").ok());
  // CREATE without EXCLUSIVE opens what is there: the same node.
  uint32_t r2 = 0;
  Node* b = OpenOk("new.txt", rw | F(OpenFlags::CREATE), &r2);
  EXPECT_EQ(a, b);
  EXPECT_EQ(Text(b, r2), "0123456789");
  // TRUNCATE empties it for every connection.
  uint32_t r3 = 0;
  Node* c = OpenOk("new.txt", rw | F(OpenFlags::TRUNCATE), &r3);
  EXPECT_EQ(c, a);
  EXPECT_EQ(a->entry.size, 0u);
  EXPECT_EQ(Text(a, r), "");
  // Writes past the end leave a gap of zeros.
  EXPECT_TRUE(Put(a, r, 3, "xy").ok());
  EXPECT_EQ(Text(b, r2), std::string("\0\0\0xy", 5));
  // A directory is not created by CREATE; a name FAT cannot hold is refused.
  EXPECT_EQ(Open("d/", rw | F(OpenFlags::CREATE), &n, &r).error, Error::NOT_FOUND);
  EXPECT_EQ(Open("bad:name", rw | F(OpenFlags::CREATE), &n, &r).error, Error::BAD_NAME);
  for (Node* x : {a, b, c}) {
    volume_->Release(x);
  }
  SyncAndCheck();
}

TEST_F(WriteTest, RemoveOpenFileAndOpenDirectory) {
  uint32_t r = 0;
  Node* f = OpenOk("hello.txt", F(OpenFlags::READ | OpenFlags::WRITE), &r);
  uint32_t rd = 0;
  Node* d = OpenOk("sub", F(OpenFlags::READ), &rd);
  Node* root = Root();
  EXPECT_EQ(volume_->Remove(root, kRW, "hello.txt", 9, true).error, Error::NOT_DIRECTORY);
  EXPECT_EQ(volume_->Remove(root, kRW, "sub", 3, false).error, Error::IS_DIRECTORY);
  EXPECT_EQ(volume_->Remove(root, kRightRead, "hello.txt", 9, false).error, Error::READ_ONLY);
  ASSERT_TRUE(volume_->Remove(root, kRW, "hello.txt", 9, false).ok());
  // The removed file's connection: NOT_FOUND from now on.
  uint8_t byte;
  size_t n = 0;
  EXPECT_EQ(volume_->Read(f, r, 0, &byte, 1, &n).error, Error::NOT_FOUND);
  EXPECT_EQ(volume_->Write(f, r, 0, "x", 1, &n).error, Error::NOT_FOUND);
  idl::fs::NodeInfo info;
  EXPECT_EQ(volume_->Stat(f, &info).error, Error::NOT_FOUND);
  Node* again = nullptr;
  EXPECT_EQ(Open("hello.txt", F(OpenFlags::READ), &again, &r).error, Error::NOT_FOUND);
  // An open directory is not removed (even when empty); a full one is not either.
  ASSERT_TRUE(volume_->MakeDirectory(root, kRW, "empty", 5).ok());
  EXPECT_EQ(volume_->MakeDirectory(root, kRW, "EMPTY", 5).error, Error::EXISTS);
  uint32_t re = 0;
  Node* e = OpenOk("empty", F(OpenFlags::READ | OpenFlags::DIRECTORY), &re);
  EXPECT_EQ(volume_->Remove(root, kRW, "empty", 5, true).error, Error::BUSY);
  volume_->Release(e);
  EXPECT_TRUE(volume_->Remove(root, kRW, "empty", 5, true).ok());
  volume_->Release(d);
  EXPECT_EQ(volume_->Remove(root, kRW, "sub", 3, true).error, Error::NOT_EMPTY);
  EXPECT_EQ(volume_->Remove(root, kRW, "", 0, true).error, Error::BUSY);
  volume_->Release(f);
  SyncAndCheck();
}

TEST_F(WriteTest, RenameReplacesAFileRefusesADirectoryFollowsOpenFiles) {
  uint32_t r = 0;
  const uint32_t rw = F(OpenFlags::READ | OpenFlags::WRITE);
  Node* target = OpenOk("target.txt", rw | F(OpenFlags::CREATE), &r);
  EXPECT_TRUE(Put(target, r, 0, "old").ok());
  uint32_t rh = 0;
  Node* hello = OpenOk("hello.txt", F(OpenFlags::READ), &rh);
  Node* root = Root();
  // A file target is removed first: its connections see NOT_FOUND.
  ASSERT_TRUE(volume_->Rename(root, kRW, "hello.txt", 9, "target.txt", 10).ok());
  size_t n = 0;
  uint8_t byte;
  EXPECT_EQ(volume_->Read(target, r, 0, &byte, 1, &n).error, Error::NOT_FOUND);
  // The moved file's connection follows it.
  EXPECT_EQ(ReadAll(hello, rh), files_.at("hello.txt"));
  uint32_t rt = 0;
  Node* moved = OpenOk("target.txt", F(OpenFlags::READ), &rt);
  EXPECT_EQ(moved, hello);
  // Into a directory with a long name; onto a directory: EXISTS.
  ASSERT_TRUE(volume_->Rename(root, kRW, "target.txt", 10, "sub/A longer name.txt", 21).ok());
  EXPECT_EQ(volume_->Rename(root, kRW, "sub/A longer name.txt", 21, "many", 4).error,
            Error::EXISTS);
  // An open directory is not moved; a directory not into itself.
  uint32_t rs = 0;
  Node* sub = OpenOk("sub", F(OpenFlags::READ), &rs);
  EXPECT_EQ(volume_->Rename(root, kRW, "sub", 3, "moved", 5).error, Error::BUSY);
  volume_->Release(sub);
  EXPECT_EQ(volume_->Rename(root, kRW, "sub", 3, "sub/inside", 10).error, Error::BUSY);
  ASSERT_TRUE(volume_->Rename(root, kRW, "sub", 3, "moved", 5).ok());
  EXPECT_EQ(volume_->Rename(root, kRW, "nope", 4, "x", 1).error, Error::NOT_FOUND);
  EXPECT_EQ(ReadAll(hello, rh), files_.at("hello.txt"));
  for (Node* x : {target, hello, moved}) {
    volume_->Release(x);
  }
  uint32_t rf = 0;
  Node* f = OpenOk("moved/A longer name.txt", F(OpenFlags::READ), &rf);
  EXPECT_EQ(ReadAll(f, rf), files_.at("hello.txt"));
  volume_->Release(f);
  SyncAndCheck();
}

TEST_F(WriteTest, SyncedDataSurvivesAMountUnsyncedMetadataDoesNot) {
  uint32_t r = 0;
  const uint32_t rw = F(OpenFlags::READ | OpenFlags::WRITE);
  Node* kept = OpenOk("kept.txt", rw | F(OpenFlags::CREATE), &r);
  const std::vector<uint8_t> data = Pattern(70000, 9);
  size_t done = 0;
  ASSERT_TRUE(volume_->Write(kept, r, 0, data.data(), data.size(), &done).ok());
  volume_->Release(kept);
  SyncAndCheck();
  Node* lost = OpenOk("lost.txt", rw | F(OpenFlags::CREATE), &r);
  EXPECT_TRUE(Put(lost, r, 0, "never synced").ok());
  volume_->Release(lost);
  // A crash: the cache is dropped, the disk is what the last Sync left.
  ASSERT_EQ(Mount(), fat::Status::kOk);
  Node* n = OpenOk("kept.txt", F(OpenFlags::READ), &r);
  EXPECT_EQ(ReadAll(n, r), data);
  volume_->Release(n);
  EXPECT_EQ(Open("lost.txt", F(OpenFlags::READ), &n, &r).error, Error::NOT_FOUND);
  CheckDisk();
}

TEST_F(WriteTest, ReadOnlyVolume) {
  volume_ = std::make_unique<FsVolume>();
  ASSERT_EQ(volume_->Mount(disk_->device(), fat::Partition{0, 0, disk_->bytes().size()}, cache_,
                           sizeof(cache_), false),
            fat::Status::kOk);
  EXPECT_TRUE(volume_->read_only());
  Node* n = nullptr;
  uint32_t r = 0;
  EXPECT_EQ(Open("hello.txt", F(OpenFlags::WRITE), &n, &r).error, Error::READ_ONLY);
  EXPECT_EQ(volume_->MakeDirectory(Root(), kRW, "x", 1).error, Error::READ_ONLY);
  ASSERT_TRUE(Open("hello.txt", F(OpenFlags::READ), &n, &r).ok());
  EXPECT_EQ(ReadAll(n, r), files_.at("hello.txt"));
  volume_->Release(n);
  idl::fs::FilesystemInfo info;
  ASSERT_TRUE(volume_->Query(&info).ok());
  EXPECT_TRUE(info.read_only);
  EXPECT_TRUE(info.label.Equals("TESTVOL"));
  EXPECT_TRUE(volume_->Sync().ok());
}

uint64_t FixedClock() {
  return 1767225600 + 3600;  // 2026-01-01 01:00:00 UTC
}

TEST_F(WriteTest, ChangesAreStampedWithTheClock) {
  volume_->set_clock(FixedClock);
  uint32_t r = 0;
  Node* n = OpenOk("stamped.txt", F(OpenFlags::WRITE | OpenFlags::CREATE), &r);
  EXPECT_TRUE(Put(n, r, 0, "x").ok());
  idl::fs::NodeInfo info;
  ASSERT_TRUE(volume_->Stat(n, &info).ok());
  EXPECT_EQ(info.modify_time, FixedClock());  // FAT keeps even seconds
  volume_->Release(n);
  SyncAndCheck();
}

// Reads at any offset of a large fragmented file, also after the file's
// chain changed (the library remembers chain extents).
TEST_F(WriteTest, ReadsAnywhereInALargeFileAlsoAfterItsChainChanged) {
  std::vector<uint8_t> want = files_.at("big.bin");
  uint32_t r = 0;
  Node* n = OpenOk("big.bin", F(OpenFlags::READ | OpenFlags::WRITE), &r);
  ASSERT_NE(n, nullptr);
  auto check = [&](uint64_t seed) {
    uint64_t state = seed;
    for (int i = 0; i < 200; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const uint64_t offset = (state >> 33) % want.size();
      uint8_t buf[5000];
      size_t got = 0;
      ASSERT_TRUE(volume_->Read(n, r, offset, buf, sizeof(buf), &got).ok());
      ASSERT_EQ(got, std::min<size_t>(sizeof(buf), want.size() - offset));
      ASSERT_EQ(0, memcmp(buf, want.data() + offset, got)) << offset;
    }
  };
  check(1);
  // Shrink, then grow past the old end.
  ASSERT_TRUE(volume_->Truncate(n, r, 300000).ok());
  want.resize(300000);
  const std::vector<uint8_t> more = Pattern(500000, 7);
  size_t done = 0;
  ASSERT_TRUE(volume_->Write(n, r, want.size(), more.data(), more.size(), &done).ok());
  want.insert(want.end(), more.begin(), more.end());
  check(2);
  EXPECT_EQ(ReadAll(n, r), want);
  volume_->Release(n);
  SyncAndCheck();
}

}  // namespace
}  // namespace fs
