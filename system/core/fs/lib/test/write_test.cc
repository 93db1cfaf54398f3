// The FAT library's write side against real tools: images made by
// mkfs.fat (FAT12, FAT16, FAT32, several cluster sizes) are changed through
// the library, synced, and then `fsck.fat -n` must find nothing, mtools must
// read back byte-exact what the library wrote, and the library mounted again
// must too. Also: a randomized run against an in-memory model, crashes cut
// at every write of a Sync, names, corrupt chains and failing disks.

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "system/core/fs/lib/fat.h"
#include "system/core/fs/lib/test/image_util.h"

namespace fat_test {
namespace {

using fat::DirIterator;
using fat::Status;

struct Config {
  const char* name;
  std::vector<std::string> mkfs_args;
  uint64_t kib;
  fat::FatType type;
};

const Config kConfigs[] = {
    {"Fat12Cluster512", {"-F", "12", "-s", "1"}, 1440, fat::FatType::kFat12},
    {"Fat12Cluster2K", {"-F", "12", "-s", "4"}, 4096, fat::FatType::kFat12},
    {"Fat16Cluster512", {"-F", "16", "-s", "1"}, 8192, fat::FatType::kFat16},
    {"Fat16Cluster4K", {"-F", "16", "-s", "8"}, 20480, fat::FatType::kFat16},
    {"Fat32Cluster512", {"-F", "32", "-s", "1"}, 40960, fat::FatType::kFat32},
    {"Fat32Cluster1K", {"-F", "32", "-s", "2"}, 72000, fat::FatType::kFat32},
};

std::string Fold(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 32);
    }
  }
  return out;
}

std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string Base(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

// What the volume should hold: paths without a leading '/'.
struct Model {
  std::map<std::string, std::vector<uint8_t>> files;
  std::set<std::string> dirs;

  // The path of an existing file or directory equal to `path` but for
  // ASCII case, or "".
  std::string Find(const std::string& path) const {
    for (const auto& [p, data] : files) {
      if (Fold(p) == Fold(path)) {
        return p;
      }
    }
    for (const std::string& d : dirs) {
      if (Fold(d) == Fold(path)) {
        return d;
      }
    }
    return "";
  }
  bool IsDir(const std::string& path) const { return path.empty() || dirs.count(path) != 0; }
  bool HasChildren(const std::string& dir) const {
    for (const auto& [p, data] : files) {
      if (Parent(p) == dir) {
        return true;
      }
    }
    for (const std::string& d : dirs) {
      if (Parent(d) == dir) {
        return true;
      }
    }
    return false;
  }
};

// Path-level operations through the library, keeping the model in step.
class Fs {
 public:
  Fs(fat::Volume* volume, Model* model) : volume_(volume), model_(model) {}

  Status Lookup(const std::string& path, fat::Entry* entry) {
    return volume_->Lookup(path.data(), path.size(), entry);
  }

  Status Create(const std::string& path, bool directory) {
    auto dir = std::make_unique<fat::Entry>();
    auto entry = std::make_unique<fat::Entry>();
    if (Status s = Lookup(Parent(path), dir.get()); s != Status::kOk) {
      return s;
    }
    const std::string name = Base(path);
    Status s = volume_->Create(*dir, name.data(), name.size(), directory, entry.get());
    if (s == Status::kOk) {
      EXPECT_EQ(std::string(entry->name, entry->name_length), name);
      EXPECT_EQ(entry->is_directory(), directory);
      if (directory) {
        model_->dirs.insert(path);
      } else {
        model_->files[path] = {};
      }
    }
    return s;
  }

  Status Write(const std::string& path, uint64_t offset, const std::vector<uint8_t>& data,
               size_t* done_out = nullptr) {
    auto entry = std::make_unique<fat::Entry>();
    if (Status s = Lookup(path, entry.get()); s != Status::kOk) {
      return s;
    }
    size_t done = 0;
    Status s = volume_->Write(entry.get(), offset, data.data(), data.size(), &done);
    if (done_out != nullptr) {
      *done_out = done;
    }
    std::vector<uint8_t>& model = model_->files[model_->Find(path)];
    if (done != 0) {
      if (model.size() < offset + done) {
        model.resize(offset + done, 0);
      }
      std::copy(data.begin(), data.begin() + static_cast<ptrdiff_t>(done),
                model.begin() + static_cast<ptrdiff_t>(offset));
    }
    EXPECT_EQ(entry->size, model.size()) << path;
    return s;
  }

  Status Truncate(const std::string& path, uint64_t size) {
    auto entry = std::make_unique<fat::Entry>();
    if (Status s = Lookup(path, entry.get()); s != Status::kOk) {
      return s;
    }
    Status s = volume_->Truncate(entry.get(), size);
    if (s == Status::kOk) {
      model_->files[model_->Find(path)].resize(size, 0);
      EXPECT_EQ(entry->size, size);
    }
    return s;
  }

  Status Remove(const std::string& path) {
    auto entry = std::make_unique<fat::Entry>();
    if (Status s = Lookup(path, entry.get()); s != Status::kOk) {
      return s;
    }
    Status s = volume_->Remove(*entry);
    if (s == Status::kOk) {
      const std::string real = model_->Find(path);
      model_->files.erase(real);
      model_->dirs.erase(real);
    }
    return s;
  }

  Status Rename(const std::string& from, const std::string& to) {
    auto entry = std::make_unique<fat::Entry>();
    auto dir = std::make_unique<fat::Entry>();
    auto moved = std::make_unique<fat::Entry>();
    if (Status s = Lookup(from, entry.get()); s != Status::kOk) {
      return s;
    }
    if (Status s = Lookup(Parent(to), dir.get()); s != Status::kOk) {
      return s;
    }
    const std::string name = Base(to);
    Status s = volume_->Rename(*entry, *dir, name.data(), name.size(), moved.get());
    if (s != Status::kOk) {
      return s;
    }
    EXPECT_EQ(std::string(moved->name, moved->name_length), name);
    const std::string real = model_->Find(from);
    const std::string target = Join(model_->Find(Parent(to)), name);
    if (model_->files.count(real) != 0) {
      auto data = std::move(model_->files[real]);
      model_->files.erase(real);
      model_->files[target] = std::move(data);
      return s;
    }
    // A directory: it and everything below it.
    Model moved_model;
    for (auto& [p, data] : model_->files) {
      moved_model.files[p.rfind(real + "/", 0) == 0 ? target + p.substr(real.size()) : p] =
          std::move(data);
    }
    for (const std::string& d : model_->dirs) {
      moved_model.dirs.insert(
          d == real || d.rfind(real + "/", 0) == 0 ? target + d.substr(real.size()) : d);
    }
    *model_ = std::move(moved_model);
    return s;
  }

 private:
  fat::Volume* volume_;
  Model* model_;
};

// `fsck.fat -n` on `image`: "" if it is clean (exit 0, nothing but its
// version line and the summary), else what it said.
std::string Fsck(const std::string& image) {
  std::string output;
  const int status = RunCapture({"fsck.fat", "-n", image}, &output);
  std::istringstream lines(output);
  std::string line, complaints;
  while (std::getline(lines, line)) {
    if (line.rfind("fsck.fat ", 0) == 0 || line.rfind(image + ": ", 0) == 0) {
      continue;
    }
    complaints += line + "\n";
  }
  if (status != 0 || !complaints.empty()) {
    return "exit " + std::to_string(status) + ":\n" + output;
  }
  return "";
}

// What mtools reads from `image`: every file and directory, copied out by
// `mcopy -s`.
Tree MtoolsTree(const std::string& image, const std::string& scratch) {
  Tree tree;
  std::filesystem::remove_all(scratch);
  std::filesystem::create_directories(scratch);
  std::string output;
  RunCapture({"mcopy", "-s", "-n", "-i", image, "::/*", scratch + "/"}, &output);
  for (const auto& item : std::filesystem::recursive_directory_iterator(scratch)) {
    const std::string path = item.path().lexically_relative(scratch).string();
    if (item.is_directory()) {
      tree.dirs.insert(path);
    } else {
      tree.files[path] = ReadHostFile(item.path().string());
    }
  }
  std::filesystem::remove_all(scratch);
  return tree;
}

// The library, mounted afresh (read-only, no cache), walks everything.
Tree LibraryTree(const fat::BlockDevice& device) {
  Tree tree;
  auto volume = std::make_unique<fat::Volume>();
  EXPECT_EQ(volume->Mount(device, fat::Partition{0, 0, device.size}), Status::kOk);
  EXPECT_EQ(WalkAll(*volume, &tree, 65536), Status::kOk);
  return tree;
}

void ExpectTree(const Tree& tree, const Model& model, const char* who) {
  EXPECT_EQ(tree.dirs, model.dirs) << who;
  EXPECT_EQ(tree.files.size(), model.files.size()) << who;
  for (const auto& [path, data] : model.files) {
    auto found = tree.files.find(path);
    if (found == tree.files.end()) {
      ADD_FAILURE() << who << ": missing " << path;
      continue;
    }
    EXPECT_EQ(found->second.size(), data.size()) << who << ": " << path;
    EXPECT_TRUE(found->second == data) << who << ": content differs: " << path;
  }
}

// fsck clean, mtools and the library read the model back.
void CheckImage(const std::string& image, const Model& model, const std::string& scratch) {
  EXPECT_EQ(Fsck(image), "");
  ExpectTree(MtoolsTree(image, scratch), model, "mtools");
  FileDisk disk(image);
  ExpectTree(LibraryTree(disk.device()), model, "library");
}

class WriteTest : public ::testing::TestWithParam<Config> {
 protected:
  void SetUp() override {
    const Config& config = GetParam();
    ImageBuilder builder(dir_.path() + "/disk.img", config.mkfs_args, config.kib);
    ASSERT_TRUE(builder.ok());
    image_ = builder.path();
    disk_ = std::make_unique<FileDisk>(image_, true);
    ASSERT_TRUE(disk_->ok());
    Mount();
    EXPECT_EQ(volume_->type(), config.type);
  }

  void Mount() {
    if (volume_ == nullptr) {
      volume_ = std::make_unique<fat::Volume>();
      fs_ = std::make_unique<Fs>(volume_.get(), &model_);
    }
    const fat::BlockDevice device = disk_->device();
    // A small cache, so that evictions happen.
    ASSERT_EQ(
        volume_->Mount(device, fat::Partition{0, 0, device.size}, cache_.data(), cache_.size()),
        Status::kOk);
    ASSERT_FALSE(volume_->read_only());
    volume_->SetTime(1700000000);  // 2023-11-14 22:13:20
  }

  void Check() {
    ASSERT_EQ(volume_->Sync(), Status::kOk);
    CheckImage(image_, model_, dir_.path() + "/out");
  }

  TempDir dir_;
  std::string image_;
  std::unique_ptr<FileDisk> disk_;
  std::vector<uint8_t> cache_ = std::vector<uint8_t>(fat::CacheBytes(fat::kMinCacheSectors));
  std::unique_ptr<fat::Volume> volume_;
  Model model_;
  std::unique_ptr<Fs> fs_;
};

TEST_P(WriteTest, OperationsReadBackByFsckMtoolsAndLibrary) {
  const uint32_t bpc = volume_->bytes_per_cluster();
  Fs& fs = *fs_;
  uint32_t seed = 1;
  // Names: 8.3 upper (no long name), 8.3 lower (case bits), mixed, long,
  // Unicode, 240 characters, and a trailing dot (dropped).
  ASSERT_EQ(fs.Create("README.TXT", false), Status::kOk);
  ASSERT_EQ(fs.Create("hello.txt", false), Status::kOk);
  ASSERT_EQ(fs.Create("Mixed.Txt", false), Status::kOk);
  ASSERT_EQ(fs.Create("A long file name with spaces.data", false), Status::kOk);
  ASSERT_EQ(fs.Create("Ünïcödé ファイル.txt", false), Status::kOk);
  ASSERT_EQ(fs.Create(std::string(236, 'n') + ".txt", false), Status::kOk);
  EXPECT_EQ(fs.Create("HELLO.TXT", false), Status::kExists);
  EXPECT_EQ(fs.Create("a LONG file name with spaces.DATA", false), Status::kExists);
  EXPECT_EQ(fs.Create("ALONGF~1.DAT", false), Status::kExists);  // the alias
  EXPECT_EQ(fs.Create("bad:name", false), Status::kBadName);

  // Writes: at 0, past the end (a zero-filled gap), across clusters, in
  // place, growing and shrinking, to 0.
  ASSERT_EQ(fs.Write("README.TXT", 0, Pattern(100, seed++)), Status::kOk);
  ASSERT_EQ(fs.Write("hello.txt", 3 * bpc + 7, Pattern(2 * bpc + 3, seed++)), Status::kOk);
  ASSERT_EQ(fs.Write("hello.txt", 5, Pattern(bpc, seed++)), Status::kOk);
  ASSERT_EQ(fs.Write("Mixed.Txt", 0, Pattern(10 * bpc, seed++)), Status::kOk);
  ASSERT_EQ(fs.Truncate("Mixed.Txt", 3 * bpc + 1), Status::kOk);
  ASSERT_EQ(fs.Write("Mixed.Txt", 4 * bpc, Pattern(100, seed++)), Status::kOk);
  ASSERT_EQ(fs.Truncate("Mixed.Txt", 5 * bpc + 11), Status::kOk);
  ASSERT_EQ(fs.Write("A long file name with spaces.data", 0, Pattern(bpc, seed++)), Status::kOk);
  ASSERT_EQ(fs.Truncate("A long file name with spaces.data", 0), Status::kOk);
  ASSERT_EQ(fs.Write("Ünïcödé ファイル.txt", 0, Pattern(3 * bpc, seed++)), Status::kOk);
  ASSERT_EQ(fs.Truncate("Ünïcödé ファイル.txt", bpc), Status::kOk);
  Check();

  // Many files with the same alias basis, in a directory that must grow.
  ASSERT_EQ(fs.Create("many", true), Status::kOk);
  for (int i = 0; i < 60; ++i) {
    const std::string path = "many/file number " + std::to_string(i) + ".text";
    ASSERT_EQ(fs.Create(path, false), Status::kOk) << path;
    ASSERT_EQ(fs.Write(path, 0, Pattern(static_cast<size_t>(i) * 37, seed++)), Status::kOk);
  }
  fat::Entry entry;
  ASSERT_EQ(fs.Lookup("many/file number 4.text", &entry), Status::kOk);
  EXPECT_STREQ(entry.short_name, "FILENU~5.TEX");
  ASSERT_EQ(fs.Lookup("many/file number 59.text", &entry), Status::kOk);
  EXPECT_STREQ(entry.short_name, "FILEN~60.TEX");
  // Deep directories, with a file at the bottom.
  std::string deep;
  for (int i = 1; i <= 9; ++i) {
    deep = Join(deep, "level " + std::to_string(i));
    ASSERT_EQ(fs.Create(deep, true), Status::kOk) << deep;
  }
  ASSERT_EQ(fs.Create(deep + "/bottom.bin", false), Status::kOk);
  ASSERT_EQ(fs.Write(deep + "/bottom.bin", 0, Pattern(bpc + 1, seed++)), Status::kOk);
  Check();

  // mkdir/rmdir, remove, rename within and across directories.
  ASSERT_EQ(fs.Create("empty", true), Status::kOk);
  ASSERT_EQ(fs.Create("gone", true), Status::kOk);
  EXPECT_EQ(fs.Remove("many"), Status::kNotEmpty);
  ASSERT_EQ(fs.Remove("gone"), Status::kOk);
  for (int i = 0; i < 60; i += 3) {
    ASSERT_EQ(fs.Remove("many/file number " + std::to_string(i) + ".text"), Status::kOk);
  }
  ASSERT_EQ(fs.Rename("README.TXT", "readme.md"), Status::kOk);
  ASSERT_EQ(fs.Rename("hello.txt", "Hello.TXT"), Status::kOk);  // only the case changes
  ASSERT_EQ(fs.Rename("many/file number 1.text", "empty/moved here with a long name"), Status::kOk);
  EXPECT_EQ(fs.Rename("readme.md", "many/FILE NUMBER 2.TEXT"), Status::kExists);
  EXPECT_EQ(fs.Rename("level 1", "level 1/level 2/level 3/inside"), Status::kInvalid);
  EXPECT_EQ(fs.Rename("level 1", "level 1/inside"), Status::kInvalid);
  ASSERT_EQ(fs.Rename("level 1/level 2/level 3", "empty/three"), Status::kOk);
  ASSERT_EQ(fs.Rename("empty/three/level 4", "four"), Status::kOk);  // to the root
  ASSERT_EQ(fs.Create("four/new in four.txt", false), Status::kOk);
  ASSERT_EQ(fs.Write("four/new in four.txt", 0, Pattern(33, seed++)), Status::kOk);
  Check();

  // Sync, mount again, go on: what was written is there.
  Mount();
  ASSERT_EQ(fs.Write("Hello.TXT", 2, Pattern(10, seed++)), Status::kOk);
  ASSERT_EQ(fs.Remove("many/file number 5.text"), Status::kOk);
  ASSERT_EQ(fs.Create("many/after remount", false), Status::kOk);
  Check();
}

// The volume filled: the write is short with kNoSpace, what fitted is
// there, and freeing gives the space back after Sync.
// Filling runs on the images with 512-byte clusters only (time): FillTest's
// instantiation below.
class FillTest : public WriteTest {};

TEST_P(FillTest, FillsTheVolumeToNoSpace) {
  Fs& fs = *fs_;
  uint32_t free_before;
  ASSERT_EQ(volume_->FreeClusters(&free_before), Status::kOk);
  const uint32_t bpc = volume_->bytes_per_cluster();
  ASSERT_EQ(bpc, 512u);
  const uint64_t total = uint64_t{free_before} * bpc;
  ASSERT_EQ(fs.Create("big", false), Status::kOk);
  std::vector<uint8_t> data = Pattern(static_cast<size_t>(total + 5000), 7);
  size_t done = 0;
  EXPECT_EQ(fs.Write("big", 0, data, &done), Status::kNoSpace);
  EXPECT_EQ(done, total);
  uint32_t free_now;
  ASSERT_EQ(volume_->FreeClusters(&free_now), Status::kOk);
  EXPECT_EQ(free_now, 0u);
  EXPECT_EQ(fs.Create("dir", true), Status::kNoSpace);
  EXPECT_EQ(fs.Write("big", total + 10, Pattern(5, 1)), Status::kNoSpace);
  Check();
  ASSERT_EQ(fs.Truncate("big", 3 * bpc), Status::kOk);
  ASSERT_EQ(volume_->FreeClusters(&free_now), Status::kOk);
  EXPECT_EQ(free_now, 0u) << "freed clusters are not reused before Sync";
  ASSERT_EQ(volume_->Sync(), Status::kOk);
  ASSERT_EQ(volume_->FreeClusters(&free_now), Status::kOk);
  EXPECT_EQ(free_now, free_before - 3);
  ASSERT_EQ(fs.Create("dir", true), Status::kOk);
  Check();
}

// A FAT12/16 root directory has a fixed size: kNoSpace when it is full
// (FAT32's grows; FixedRootTest runs on the FAT12/16 images).
class FixedRootTest : public WriteTest {};

TEST_P(FixedRootTest, FullFixedRoot) {
  ASSERT_NE(GetParam().type, fat::FatType::kFat32);
  Fs& fs = *fs_;
  Status s = Status::kOk;
  int created = 0;
  while (s == Status::kOk && created < 2000) {
    s = fs.Create("root file " + std::to_string(created), false);
    created += s == Status::kOk ? 1 : 0;
  }
  EXPECT_EQ(s, Status::kNoSpace);
  EXPECT_GT(created, 50);
  ASSERT_EQ(fs.Create("SHORT", false), Status::kNoSpace);
  ASSERT_EQ(fs.Remove("root file 7"), Status::kOk);
  ASSERT_EQ(fs.Create("SHORT", false), Status::kOk);  // into the freed slots
  Check();
}

// A randomized run: a few thousand operations, each checked against an
// in-memory model (status and, now and then, file contents), with Syncs and
// mounts in between; at the end fsck.fat, mtools and the library agree with
// the model.
TEST_P(WriteTest, RandomOperationsMatchAModel) {
  Fs& fs = *fs_;
  const uint32_t bpc = volume_->bytes_per_cluster();
  uint32_t x = 0x9E3779B9u ^ static_cast<uint32_t>(GetParam().kib);
  auto random = [&](uint32_t n) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return n == 0 ? 0 : x % n;
  };
  const char* const kNames[] = {"a",        "B.TXT",
                                "c.bin",    "Data File.dat",
                                "notes",    "LONGER NAME.TEXT",
                                "x y z",    "Ünï",
                                "mIxEd.Md", "file with a long name number",
                                "q",        "R2D2.C"};
  auto pick = [&](bool files, bool dirs) -> std::string {
    std::vector<std::string> all;
    if (files) {
      for (const auto& [p, d] : model_.files) {
        all.push_back(p);
      }
    }
    if (dirs) {
      all.insert(all.end(), model_.dirs.begin(), model_.dirs.end());
    }
    return all.empty() ? "" : all[random(static_cast<uint32_t>(all.size()))];
  };
  auto pick_dir = [&]() {
    const std::string d = pick(false, true);
    return random(3) == 0 ? std::string() : d;
  };
  auto new_name = [&]() {
    std::string name = kNames[random(std::size(kNames))];
    if (random(2) == 0) {
      name += std::to_string(random(20));
    }
    return name;
  };
  int counts[8] = {};
  for (int op = 0; op < 1000; ++op) {
    const uint32_t kind = random(100);
    if (kind < 20) {  // create a file or a directory
      const bool dir = random(4) == 0;
      const std::string parent = pick_dir();
      const std::string path = Join(parent, new_name());
      const Status expected = !model_.Find(path).empty() ? Status::kExists : Status::kOk;
      const Status s = fs.Create(path, dir);
      if (s != Status::kNoSpace) {
        ASSERT_EQ(s, expected) << "create " << path;
      }
      ++counts[0];
    } else if (kind < 50) {  // write somewhere
      const std::string path = pick(true, false);
      if (path.empty()) {
        continue;
      }
      const size_t size = model_.files[path].size();
      const uint64_t offset = random(static_cast<uint32_t>(size + 2 * bpc));
      const Status s = fs.Write(path, offset, Pattern(random(3 * bpc + 2) + 1, x));
      if (s != Status::kNoSpace) {
        ASSERT_EQ(s, Status::kOk) << "write " << path;
      }
      ++counts[1];
    } else if (kind < 60) {  // truncate
      const std::string path = pick(true, false);
      if (path.empty()) {
        continue;
      }
      const size_t size = model_.files[path].size();
      const Status s = fs.Truncate(path, random(static_cast<uint32_t>(size + bpc + 1)));
      if (s != Status::kNoSpace) {
        ASSERT_EQ(s, Status::kOk) << "truncate " << path;
      }
      ++counts[2];
    } else if (kind < 72) {  // remove
      const std::string path = pick(true, true);
      if (path.empty()) {
        continue;
      }
      const Status expected = model_.HasChildren(path) ? Status::kNotEmpty : Status::kOk;
      ASSERT_EQ(fs.Remove(path), expected) << "remove " << path;
      ++counts[3];
    } else if (kind < 85) {  // rename
      const std::string from = pick(true, true);
      if (from.empty()) {
        continue;
      }
      const std::string to = Join(pick_dir(), random(3) == 0 ? Base(from) : new_name());
      const std::string existing = model_.Find(to);
      Status expected = Status::kOk;
      if (model_.IsDir(from) && (Fold(Parent(to)) + "/").rfind(Fold(from) + "/", 0) == 0) {
        expected = Status::kInvalid;
      } else if (!existing.empty() && existing != from) {
        expected = Status::kExists;
      }
      const Status s = fs.Rename(from, to);
      if (s != Status::kNoSpace) {
        ASSERT_EQ(s, expected) << "rename " << from << " -> " << to;
      }
      ++counts[4];
    } else if (kind < 95) {  // read a file back
      const std::string path = pick(true, false);
      if (path.empty()) {
        continue;
      }
      fat::Entry entry;
      ASSERT_EQ(fs.Lookup(path, &entry), Status::kOk);
      ASSERT_EQ(volume_->CheckChain(entry), Status::kOk) << path;
      const std::vector<uint8_t>& data = model_.files[path];
      std::vector<uint8_t> back(data.size() + 1);
      size_t done = 0;
      ASSERT_EQ(volume_->Read(entry, 0, back.data(), back.size(), &done), Status::kOk);
      ASSERT_EQ(done, data.size());
      back.resize(done);
      ASSERT_TRUE(back == data) << path;
      ++counts[5];
    } else if (kind < 99) {
      ASSERT_EQ(volume_->Sync(), Status::kOk);
      ++counts[6];
    } else {  // sync and mount again
      ASSERT_EQ(volume_->Sync(), Status::kOk);
      Mount();
      ++counts[7];
    }
  }
  for (int c : counts) {
    EXPECT_GT(c, 0);
  }
  Check();
}

std::string ConfigName(const ::testing::TestParamInfo<Config>& info) {
  return info.param.name;
}

std::vector<Config> ConfigsWhere(bool (*keep)(const Config&)) {
  std::vector<Config> out;
  for (const Config& c : kConfigs) {
    if (keep(c)) {
      out.push_back(c);
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Images, WriteTest, ::testing::ValuesIn(kConfigs), ConfigName);
INSTANTIATE_TEST_SUITE_P(Images, FillTest, ::testing::ValuesIn(ConfigsWhere([](const Config& c) {
                           return c.mkfs_args[3] == "1";
                         })),
                         ConfigName);
INSTANTIATE_TEST_SUITE_P(Images, FixedRootTest,
                         ::testing::ValuesIn(ConfigsWhere([](const Config& c) {
                           return c.type != fat::FatType::kFat32;
                         })),
                         ConfigName);

// One small FAT16 volume in memory, for the checks below.
class VolumeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    ImageBuilder fat16(dir_->path() + "/fat16.img", {"-F", "16", "-s", "2", "-n", "MY LABEL"},
                       8192);
    ASSERT_TRUE(fat16.ok());
    image_ = new std::vector<uint8_t>(ReadHostFile(fat16.path()));
  }
  static void TearDownTestSuite() {
    delete image_;
    delete dir_;
  }
  void SetUp() override {
    disk_ = std::make_unique<MemoryDisk>(*image_);
    Mount();
  }
  void Mount() {
    const fat::BlockDevice device = disk_->writable_device();
    ASSERT_EQ(
        volume_->Mount(device, fat::Partition{0, 0, device.size}, cache_.data(), cache_.size()),
        Status::kOk);
    volume_->SetTime(1700000000);
  }
  // The raw 32-byte slot `index` of the root directory (FAT16: a fixed region).
  const uint8_t* RootSlot(uint32_t index) {
    const std::vector<uint8_t>& b = disk_->bytes();
    const uint32_t root = (b[14] | (b[15] << 8)) + b[16] * (b[22] | (b[23] << 8));
    return b.data() + root * 512 + index * 32;
  }

  static TempDir* dir_;
  static std::vector<uint8_t>* image_;
  std::unique_ptr<MemoryDisk> disk_;
  std::vector<uint8_t> cache_ = std::vector<uint8_t>(fat::CacheBytes(24, 512));
  std::unique_ptr<fat::Volume> volume_ = std::make_unique<fat::Volume>();
  Model model_;
  Fs fs_{volume_.get(), &model_};
};

TempDir* VolumeTest::dir_;
std::vector<uint8_t>* VolumeTest::image_;

TEST_F(VolumeTest, NamesFatCannotHoldAreRefused) {
  const std::string bad[] = {
      "",
      ".",
      "..",
      "...",
      " ",
      ". .",
      "a/b",
      "a\\b",
      "a:b",
      "a*b",
      "a?b",
      "a\"b",
      "a<b",
      "a>b",
      "a|b",
      "a\x01z",
      "a\x7fz",
      "\xC3",
      "\xC3(",
      "\xE0\x80\x80",
      "\xED\xA0\x80" /* a surrogate */,
      "\xF4\x90\x80\x80" /* past U+10FFFF */,
      std::string(256, 'x'),
      std::string(128 * 4, '\0')
          .replace(0, std::string::npos,
                   [] {
                     std::string s;
                     for (int i = 0; i < 128; ++i) {
                       s += "\xF0\x9F\x98\x80";  // 128 emoji: 256 UTF-16 units
                     }
                     return s;
                   }()),
  };
  fat::Entry entry;
  const fat::Entry root = volume_->Root();
  for (const std::string& name : bad) {
    EXPECT_EQ(volume_->Create(root, name.data(), name.size(), false, &entry), Status::kBadName)
        << name;
  }
  std::string emoji;
  for (int i = 0; i < 127; ++i) {
    emoji += "\xF0\x9F\x98\x80";
  }
  const std::string good[] = {std::string(255, 'x'), emoji, "\xC3\xA9t\xC3\xA9", "a;b+c=d[e]f,g",
                              " leading space"};
  for (const std::string& name : good) {
    ASSERT_EQ(volume_->Create(root, name.data(), name.size(), false, &entry), Status::kOk) << name;
    EXPECT_EQ(std::string(entry.name, entry.name_length), name);
    EXPECT_TRUE(entry.has_long_name);
  }
  // Trailing dots and spaces are dropped, as Windows does; lookups drop them
  // too.
  ASSERT_EQ(volume_->Create(root, "dots. . ..", 10, false, &entry), Status::kOk);
  EXPECT_STREQ(entry.name, "dots");
  EXPECT_EQ(volume_->Create(root, "DOTS", 4, false, &entry), Status::kExists);
  ASSERT_EQ(volume_->Lookup("dots...", 7, &entry), Status::kOk);
  EXPECT_STREQ(entry.name, "dots");
  ASSERT_EQ(volume_->Sync(), Status::kOk);
  const std::string image = dir_->path() + "/names.img";
  std::ofstream(image, std::ios::binary)
      .write(reinterpret_cast<const char*>(disk_->bytes().data()),
             static_cast<std::streamsize>(disk_->bytes().size()));
  EXPECT_EQ(Fsck(image), "");
  Tree tree = MtoolsTree(image, dir_->path() + "/out");
  EXPECT_EQ(tree.files.size(), std::size(good) + 1);
  for (const std::string& name : good) {
    if (name != emoji) {  // mtools cannot name files outside the BMP
      EXPECT_EQ(tree.files.count(name), 1u) << name;
    }
  }
}

TEST_F(VolumeTest, ShortNamesAliasesAndLongNameSlots) {
  const fat::Entry root = volume_->Root();
  struct Case {
    const char* name;
    const char* short_name;  // as read: the lower-case flags honoured
    bool has_long_name;
  };
  const Case cases[] = {
      {"UPPER.TXT", "UPPER.TXT", false},
      {"lower.txt", "lower.txt", false},  // NT case bits, no long name
      {"other.TXT", "other.TXT", false},
      {"NOEXT", "NOEXT", false},
      {"Mixed.Txt", "MIXED.TXT", true},  // valid 8.3: itself as the alias
      {"A long file name.text", "ALONGF~1.TEX", true},
      {"a long FILE name.text", "", false},  // the same name: kExists
      {"A long file name.texas", "ALONGF~2.TEX", true},
      {".bashrc", "BASHRC~1", true},
      {"a.b.c.txt", "ABC~1.TXT", true},
      {"\xC3\xBCn\xC3\xAF.txt", "_N_~1.TXT", true},
      {"x y", "XY~1", true},
      {"a+b", "A_B~1", true},
  };
  for (const Case& c : cases) {
    fat::Entry entry;
    const Status s = volume_->Create(root, c.name, std::strlen(c.name), false, &entry);
    if (c.short_name[0] == '\0') {
      EXPECT_EQ(s, Status::kExists) << c.name;
      continue;
    }
    ASSERT_EQ(s, Status::kOk) << c.name;
    EXPECT_STREQ(entry.name, c.name);
    EXPECT_STREQ(entry.short_name, c.short_name) << c.name;
    EXPECT_EQ(entry.has_long_name, c.has_long_name) << c.name;
    EXPECT_EQ(entry.modify_time, 1700000000u);
    EXPECT_EQ(entry.dir_cluster, 0u);
    EXPECT_EQ(entry.slot - entry.first_slot, c.has_long_name ? (std::strlen(c.name) + 12) / 13 : 0)
        << c.name;
    // The alias is found too, and the name in any case.
    fat::Entry by_alias;
    ASSERT_EQ(volume_->LookupIn(root, c.short_name, std::strlen(c.short_name), &by_alias),
              Status::kOk);
    EXPECT_EQ(by_alias.slot, entry.slot);
  }
  // "Mixed.Txt" took MIXED.TXT: "MIXED.TXT" itself is taken.
  fat::Entry entry;
  EXPECT_EQ(volume_->Create(root, "MIXED.TXT", 9, false, &entry), Status::kExists);
  // Long-name slots on the disk: order, checksum, NUL then 0xFFFF padding.
  ASSERT_EQ(volume_->Create(root, "abc defghij klm nop", 19, false, &entry), Status::kOk);
  ASSERT_EQ(volume_->Sync(), Status::kOk);
  const uint8_t* first = RootSlot(entry.first_slot);
  const uint8_t* second = RootSlot(entry.first_slot + 1);
  const uint8_t* short_slot = RootSlot(entry.slot);
  EXPECT_EQ(entry.slot, entry.first_slot + 2);
  EXPECT_EQ(first[0], 0x42);  // part 2, the last
  EXPECT_EQ(second[0], 0x01);
  uint8_t sum = 0;
  for (int i = 0; i < 11; ++i) {
    sum = static_cast<uint8_t>(((sum & 1) << 7) + (sum >> 1) + short_slot[i]);
  }
  EXPECT_EQ(first[13], sum);
  EXPECT_EQ(second[13], sum);
  EXPECT_EQ(first[11], 0x0F);
  // Part 2 holds units 13..18 ("ij klm nop" tail: "m nop" is 13..18? units
  // 13..18 are " nop" etc.); unit 19 is NUL, 20..25 are 0xFFFF.
  const uint8_t offsets[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
  const std::string name = "abc defghij klm nop";
  for (size_t i = 0; i < 13; ++i) {
    const size_t unit = 13 + i;
    const uint32_t value = first[offsets[i]] | (first[offsets[i] + 1] << 8);
    const uint32_t expected = unit < name.size()    ? static_cast<uint8_t>(name[unit])
                              : unit == name.size() ? 0
                                                    : 0xFFFF;
    EXPECT_EQ(value, expected) << unit;
  }
}

// Corrupt metadata met while writing: the corruption's status, and nothing
// written.
TEST_F(VolumeTest, CorruptChainsAreNotWrittenThrough) {
  const fat::Entry root = volume_->Root();
  const uint32_t bpc = volume_->bytes_per_cluster();
  ASSERT_EQ(fs_.Create("loop.bin", false), Status::kOk);
  ASSERT_EQ(fs_.Write("loop.bin", 0, Pattern(5 * bpc, 1)), Status::kOk);
  ASSERT_EQ(fs_.Create("short.bin", false), Status::kOk);
  ASSERT_EQ(fs_.Write("short.bin", 0, Pattern(5 * bpc, 2)), Status::kOk);
  ASSERT_EQ(fs_.Create("d", true), Status::kOk);
  ASSERT_EQ(volume_->Sync(), Status::kOk);
  fat::Entry loop, shortened, d;
  ASSERT_EQ(fs_.Lookup("loop.bin", &loop), Status::kOk);
  ASSERT_EQ(fs_.Lookup("short.bin", &shortened), Status::kOk);
  ASSERT_EQ(fs_.Lookup("d", &d), Status::kOk);
  // FAT16 entries on the disk (both copies): loop's last cluster back to its
  // first; short's third cluster marked free.
  std::vector<uint8_t>& b = disk_->bytes();
  const uint32_t fat = b[14] | (b[15] << 8), fat_size = b[22] | (b[23] << 8);
  auto set = [&](uint32_t cluster, uint32_t value) {
    for (uint32_t copy = 0; copy < 2; ++copy) {
      const size_t at = (fat + copy * fat_size) * 512 + cluster * 2;
      b[at] = static_cast<uint8_t>(value);
      b[at + 1] = static_cast<uint8_t>(value >> 8);
    }
  };
  set(loop.first_cluster + 4, loop.first_cluster);
  set(shortened.first_cluster + 2, 0);
  Mount();
  const std::vector<uint8_t> corrupt = b;
  EXPECT_EQ(volume_->Truncate(&loop, bpc), Status::kChainLoop);
  EXPECT_EQ(volume_->Remove(loop), Status::kChainLoop);
  EXPECT_EQ(volume_->Truncate(&shortened, 0), Status::kFreeInChain);
  EXPECT_EQ(volume_->Remove(shortened), Status::kFreeInChain);
  size_t done = 0;
  EXPECT_EQ(volume_->Write(&shortened, 5 * bpc, "x", 1, &done), Status::kFreeInChain);
  EXPECT_EQ(done, 0u);
  // A stale entry (its slot now holds something else) is not written.
  fat::Entry stale = shortened;
  stale.first_cluster += 1;
  EXPECT_EQ(volume_->Write(&stale, 0, "x", 1, &done), Status::kNotFound);
  EXPECT_EQ(volume_->Remove(stale), Status::kNotFound);
  // Moving a directory into itself; removing the root.
  fat::Entry moved;
  EXPECT_EQ(volume_->Rename(d, d, "x", 1, &moved), Status::kInvalid);
  EXPECT_EQ(volume_->Remove(root), Status::kInvalid);
  ASSERT_EQ(volume_->Sync(), Status::kOk);
  EXPECT_TRUE(b == corrupt) << "something was written";
}

// A failing disk (reads and writes fail after n requests): the operation
// under way reports kIoError, nothing crashes or reads out of bounds, and
// what reached the disk mounts again with no chain loops.
TEST_F(VolumeTest, FailingDiskNeverCrashes) {
  const uint32_t bpc = volume_->bytes_per_cluster();
  for (size_t fail_after = 0; fail_after < 45; fail_after += 3) {
    SetUp();
    disk_->FailAfter(fail_after);
    Status last = Status::kOk;
    for (int i = 0; i < 12 && last == Status::kOk; ++i) {
      const std::string name = "file " + std::to_string(i);
      last = fs_.Create(name, i % 4 == 3);
      if (last == Status::kOk && i % 4 != 3) {
        last = fs_.Write(name, 0, Pattern(3 * bpc, 1));
      }
      if (last == Status::kOk) {
        last = volume_->Sync();
      }
    }
    EXPECT_EQ(last, Status::kIoError) << fail_after;
    disk_->FailAfter(SIZE_MAX);
    volume_->Sync();
    Mount();  // what reached the disk, read afresh
    fat::Entry entry;
    DirIterator it;
    ASSERT_EQ(volume_->OpenDir(volume_->Root(), &it), Status::kOk);
    while (it.Next(&entry) == Status::kOk) {
      EXPECT_NE(volume_->CheckChain(entry), Status::kChainLoop);
    }
  }
}

// More frees than wait for a Sync (32): the 33rd syncs first; the space
// comes back, and the volume is clean.
TEST_F(VolumeTest, ManyFreesBeforeASync) {
  uint32_t free_before;
  ASSERT_EQ(volume_->FreeClusters(&free_before), Status::kOk);
  for (int i = 0; i < 40; ++i) {
    const std::string name = "f" + std::to_string(i);
    ASSERT_EQ(fs_.Create(name, false), Status::kOk);
    ASSERT_EQ(fs_.Write(name, 0, Pattern(3000, static_cast<uint32_t>(i))), Status::kOk);
  }
  ASSERT_EQ(volume_->Sync(), Status::kOk);
  for (int i = 0; i < 40; ++i) {
    const std::string name = "f" + std::to_string(i);
    if (i % 2 == 0) {
      ASSERT_EQ(fs_.Remove(name), Status::kOk);
    } else {
      ASSERT_EQ(fs_.Truncate(name, 1000), Status::kOk);
    }
  }
  uint32_t free_now;
  ASSERT_EQ(volume_->FreeClusters(&free_now), Status::kOk);
  EXPECT_GT(free_now, free_before - 40 * 2) << "the first 32 were freed by a Sync";
  ASSERT_EQ(volume_->Sync(), Status::kOk);
  ASSERT_EQ(volume_->FreeClusters(&free_now), Status::kOk);
  EXPECT_EQ(free_now, free_before - 20);  // twenty 1000-byte files, one cluster each
  const std::string image = dir_->path() + "/frees.img";
  std::ofstream(image, std::ios::binary)
      .write(reinterpret_cast<const char*>(disk_->bytes().data()),
             static_cast<std::streamsize>(disk_->bytes().size()));
  EXPECT_EQ(Fsck(image), "");
  ExpectTree(MtoolsTree(image, dir_->path() + "/out"), model_, "mtools");
}

// Reads of contiguous clusters go to the device in one request, straight
// into the caller's buffer.
TEST_F(VolumeTest, ContiguousReadsAreOneDeviceRead) {
  const uint32_t bpc = volume_->bytes_per_cluster();
  const std::vector<uint8_t> data = Pattern(32 * bpc + 100, 3);
  ASSERT_EQ(fs_.Create("big.bin", false), Status::kOk);
  const size_t writes = disk_->writes();
  ASSERT_EQ(fs_.Write("big.bin", 0, data), Status::kOk);
  EXPECT_LE(disk_->writes() - writes, 2u) << "whole sectors in one write, the tail in another";
  fat::Entry entry;
  ASSERT_EQ(fs_.Lookup("big.bin", &entry), Status::kOk);
  std::vector<uint8_t> back(data.size());
  size_t done = 0;
  ASSERT_EQ(volume_->Read(entry, 0, back.data(), 512, &done), Status::kOk);  // warms the FAT
  const size_t reads = disk_->reads();
  ASSERT_EQ(volume_->Read(entry, 0, back.data(), back.size(), &done), Status::kOk);
  EXPECT_EQ(done, data.size());
  EXPECT_TRUE(back == data);
  EXPECT_LE(disk_->reads() - reads, 2u);
  // Sequential chunked reads walk the chain from where the last one ended.
  const size_t chunked = disk_->reads();
  for (size_t at = 0; at < data.size(); at += 4096) {
    ASSERT_EQ(volume_->Read(entry, at, back.data() + at, 4096, &done), Status::kOk);
  }
  EXPECT_TRUE(back == data);
  EXPECT_LE(disk_->reads() - chunked, data.size() / 4096 + 2);
}

// A contiguous file whose chain was checked once is remembered as one
// extent: random reads then need no FAT lookup (mounted without a cache, a FAT sector not at
// hand would be a device read), one device read each.
TEST_F(VolumeTest, RandomReadsOfAContiguousFileNeedNoFat) {
  const std::vector<uint8_t> data = Pattern(600 * 1024, 4);  // FAT16: over 2 FAT sectors
  ASSERT_EQ(fs_.Create("huge.bin", false), Status::kOk);
  ASSERT_EQ(fs_.Write("huge.bin", 0, data), Status::kOk);
  ASSERT_EQ(volume_->Sync(), Status::kOk);
  auto reader = std::make_unique<fat::Volume>();
  ASSERT_EQ(reader->Mount(disk_->device(), fat::Partition{0, 0, disk_->bytes().size()}),
            Status::kOk);
  fat::Entry entry;
  ASSERT_EQ(reader->Lookup("huge.bin", 8, &entry), Status::kOk);
  // Checking the chain (as the service does when it opens a file) walks it
  // once and remembers it.
  ASSERT_EQ(reader->CheckChain(entry), Status::kOk);
  std::vector<uint8_t> back(data.size());
  size_t done = 0;
  const size_t reads = disk_->reads();
  uint32_t x = 5;
  for (int i = 0; i < 50; ++i) {
    x = x * 1103515245 + 12345;
    const size_t at = ((x >> 8) % (data.size() / 4096)) * 4096;
    ASSERT_EQ(reader->Read(entry, at, back.data(), 4096, &done), Status::kOk);
    ASSERT_TRUE(
        std::equal(back.begin(), back.begin() + 4096, data.begin() + static_cast<ptrdiff_t>(at)));
  }
  EXPECT_EQ(disk_->reads() - reads, 50u);
}

TEST_F(VolumeTest, ReadOnlyMountsAndLabel) {
  EXPECT_STREQ(volume_->label(), "MY LABEL");
  const fat::BlockDevice device = disk_->writable_device();
  fat::Entry entry;
  auto check = [&](fat::Volume& v) {
    EXPECT_TRUE(v.read_only());
    EXPECT_EQ(v.Create(v.Root(), "x", 1, false, &entry), Status::kReadOnly);
    EXPECT_EQ(v.Sync(), Status::kOk);
  };
  auto v = std::make_unique<fat::Volume>();
  ASSERT_EQ(v->Mount(device, fat::Partition{0, 0, device.size}, cache_.data(), cache_.size(),
                     /*read_only=*/true),
            Status::kOk);
  check(*v);
  ASSERT_EQ(v->Mount(device, fat::Partition{0, 0, device.size}), Status::kOk);  // no cache
  check(*v);
  ASSERT_EQ(
      v->Mount(disk_->device(), fat::Partition{0, 0, device.size}, cache_.data(), cache_.size()),
      Status::kOk);  // no write
  check(*v);
  ASSERT_EQ(v->Mount(device, fat::Partition{0, 0, device.size}, cache_.data(),
                     fat::CacheBytes(fat::kMinCacheSectors - 1, 512)),
            Status::kOk);  // too small a cache
  check(*v);
}

TEST(TimeTest, DatesRoundTrip) {
  TempDir dir;
  ImageBuilder fat12(dir.path() + "/t.img", {"-F", "12"}, 1440);
  ASSERT_TRUE(fat12.ok());
  MemoryDisk disk(ReadHostFile(fat12.path()));
  std::vector<uint8_t> cache(fat::CacheBytes(24, 512));
  auto volume = std::make_unique<fat::Volume>();
  const fat::BlockDevice device = disk.writable_device();
  ASSERT_EQ(volume->Mount(device, fat::Partition{0, 0, device.size}, cache.data(), cache.size()),
            Status::kOk);
  const uint64_t times[] = {315532800, 951782400 /* 2000-02-29 */, 1700000001,
                            4354819198 /* 2107-12-31 23:59:58 */};
  for (uint64_t t : times) {
    volume->SetTime(t);
    fat::Entry entry;
    const std::string name = "t" + std::to_string(t);
    ASSERT_EQ(volume->Create(volume->Root(), name.data(), name.size(), false, &entry), Status::kOk);
    EXPECT_EQ(entry.modify_time, t - t % 2) << t;
  }
  volume->SetTime(0);  // before 1980: 1980-01-01
  fat::Entry entry;
  ASSERT_EQ(volume->Create(volume->Root(), "old", 3, false, &entry), Status::kOk);
  EXPECT_EQ(entry.modify_time, 315532800u);
}

// Crashes: the writes of a Sync (and the data written before it) are
// recorded, and the disk is cut after every one of them. fsck.fat -n must
// find the old state (cut before Sync's first metadata write), the new one
// (after its last), and in between nothing worse than the documented
// leftovers (docs/storage.md, "Crash safety").
struct CrashConfig {
  const char* name;
  std::vector<std::string> mkfs_args;
  uint64_t kib;
  size_t step;  // cut after every step-th write (1: every write)
};

class CrashTest : public ::testing::TestWithParam<CrashConfig> {};

// What fsck.fat may say about a disk cut inside Sync: the kinds of leftovers
// and nothing else.
const char* const kAllowedMidSync[] = {
    // A chain longer than its file's size ("File size is 1029 bytes, cluster
    // chain length is > 1536 bytes."; never without the '>').
    "cluster chain length is >",
    "Truncating file to",
    "Reclaimed",                     // lost clusters
    "unused clusters",               //
    "Free cluster summary",          // the FSInfo count, written last
    "Auto-correcting",               //
    "FATs differ",                   // the second FAT copy not yet written
    "Using first FAT",               //
    "Leaving filesystem unchanged",  // -n
    "exit 1:",                       // fsck's status when it found something
};

std::string Unexpected(const std::string& report) {
  std::istringstream lines(report);
  std::string line, out;
  while (std::getline(lines, line)) {
    // A line naming a file ("/KEEP.TXT") comes before what is wrong with it.
    bool ok = line.empty() || line[0] == '/' || line.rfind("fsck.fat ", 0) == 0 ||
              line.find(".img: ") != std::string::npos;
    for (const char* allowed : kAllowedMidSync) {
      ok = ok || line.find(allowed) != std::string::npos;
    }
    if (!ok) {
      out += line + "\n";
    }
  }
  return out;
}

TEST_P(CrashTest, EveryCutIsOldNewOrLeftovers) {
  const CrashConfig& config = GetParam();
  TempDir dir;
  ImageBuilder builder(dir.path() + "/disk.img", config.mkfs_args, config.kib);
  ASSERT_TRUE(builder.ok());
  MemoryDisk disk(ReadHostFile(builder.path()));
  std::vector<uint8_t> cache(fat::CacheBytes(256, 512));
  auto volume = std::make_unique<fat::Volume>();
  const fat::BlockDevice device = disk.writable_device();
  ASSERT_EQ(volume->Mount(device, fat::Partition{0, 0, device.size}, cache.data(), cache.size()),
            Status::kOk);
  const uint32_t bpc = volume->bytes_per_cluster();
  Model model;
  Fs fs(volume.get(), &model);
  ASSERT_EQ(fs.Create("keep.txt", false), Status::kOk);
  ASSERT_EQ(fs.Write("keep.txt", 0, Pattern(2 * bpc + 5, 1)), Status::kOk);
  ASSERT_EQ(fs.Create("shrink.bin", false), Status::kOk);
  ASSERT_EQ(fs.Write("shrink.bin", 0, Pattern(10 * bpc, 2)), Status::kOk);
  ASSERT_EQ(fs.Create("remove me please", false), Status::kOk);
  ASSERT_EQ(fs.Write("remove me please", 0, Pattern(3 * bpc, 3)), Status::kOk);
  ASSERT_EQ(fs.Create("d1", true), Status::kOk);
  ASSERT_EQ(fs.Create("d2", true), Status::kOk);
  ASSERT_EQ(fs.Create("d1/moved.txt", false), Status::kOk);
  ASSERT_EQ(fs.Write("d1/moved.txt", 0, Pattern(100, 4)), Status::kOk);
  ASSERT_EQ(volume->Sync(), Status::kOk);
  const std::vector<uint8_t> before = disk.bytes();
  const Model old_model = model;

  std::vector<MemoryDisk::Op> log;
  disk.Record(&log);
  ASSERT_EQ(fs.Create("a new file with a long name.txt", false), Status::kOk);
  ASSERT_EQ(fs.Write("a new file with a long name.txt", 0, Pattern(5 * bpc, 5)), Status::kOk);
  ASSERT_EQ(fs.Write("keep.txt", 2 * bpc + 5, Pattern(3 * bpc, 6)), Status::kOk);
  ASSERT_EQ(fs.Write("keep.txt", 0, Pattern(10, 7)), Status::kOk);  // in place
  ASSERT_EQ(fs.Truncate("shrink.bin", 2 * bpc), Status::kOk);
  ASSERT_EQ(fs.Remove("remove me please"), Status::kOk);
  ASSERT_EQ(fs.Rename("d1/moved.txt", "d2/moved now.txt"), Status::kOk);
  ASSERT_EQ(fs.Create("d3", true), Status::kOk);
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(fs.Create("d2/file " + std::to_string(i), false), Status::kOk);
  }
  const size_t before_sync = log.size();
  ASSERT_EQ(volume->Sync(), Status::kOk);
  disk.Record(nullptr);
  ASSERT_GT(log.size(), before_sync + 3);
  for (size_t i = 0; i < before_sync; ++i) {
    ASSERT_FALSE(log[i].data.empty()) << "no flush before Sync";
  }

  const std::string image = dir.path() + "/cut.img";
  auto cut_at = [&](const std::vector<uint8_t>& base, const std::vector<MemoryDisk::Op>& ops,
                    size_t k) {
    std::vector<uint8_t> bytes = base;
    for (size_t i = 0; i < k; ++i) {
      std::copy(ops[i].data.begin(), ops[i].data.end(),
                bytes.begin() + static_cast<ptrdiff_t>(ops[i].offset));
    }
    std::ofstream(image, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return Fsck(image);
  };
  auto cut = [&](size_t k) { return cut_at(before, log, k); };
  // Cut before Sync: only file data reached the disk, into clusters nothing
  // synced refers to or in place: the old state.
  EXPECT_EQ(cut(before_sync), "");
  const std::string old_data = dir.path() + "/out";
  {
    // Byte-exact old state but for keep.txt's first bytes (written in place).
    Model expect = old_model;
    const std::vector<uint8_t> in_place = Pattern(10, 7);
    std::copy(in_place.begin(), in_place.end(), expect.files["keep.txt"].begin());
    ExpectTree(MtoolsTree(image, old_data), expect, "cut before Sync");
  }
  EXPECT_EQ(cut(log.size()), "");
  ExpectTree(MtoolsTree(image, old_data), model, "after Sync");
  size_t reports = 0;
  for (size_t k = before_sync + 1; k < log.size(); k += config.step) {
    const std::string report = cut(k);
    reports += report.empty() ? 0 : 1;
    EXPECT_EQ(Unexpected(report), "") << "cut after write " << k << " of " << log.size() << ":\n"
                                      << report;
  }
  RecordProperty("sync_writes", static_cast<int>(log.size() - before_sync));
  RecordProperty("cuts_with_leftovers", static_cast<int>(reports));

  // A file cut short and grown again past its old size before one Sync: the
  // truncation reaches the disk first (a Sync inside the Write), so no cut
  // shows a size larger than its chain.
  const std::vector<uint8_t> synced = disk.bytes();
  std::vector<MemoryDisk::Op> regrow;
  disk.Record(&regrow);
  ASSERT_EQ(fs.Truncate("keep.txt", bpc), Status::kOk);
  ASSERT_EQ(fs.Write("keep.txt", 3 * bpc, Pattern(9 * bpc, 8)), Status::kOk);
  ASSERT_EQ(volume->Sync(), Status::kOk);
  disk.Record(nullptr);
  for (size_t k = 1; k <= regrow.size(); k += config.step) {
    const std::string report = cut_at(synced, regrow, k);
    EXPECT_EQ(Unexpected(report), "")
        << "regrow: cut after write " << k << " of " << regrow.size() << ":\n"
        << report;
  }
  EXPECT_EQ(cut_at(synced, regrow, regrow.size()), "");
  ExpectTree(MtoolsTree(image, old_data), model, "after the regrow");
}

INSTANTIATE_TEST_SUITE_P(Images, CrashTest,
                         ::testing::Values(CrashConfig{"Fat12", {"-F", "12", "-s", "1"}, 1440, 1},
                                           CrashConfig{"Fat16", {"-F", "16", "-s", "2"}, 8192, 1},
                                           CrashConfig{"Fat32", {"-F", "32", "-s", "1"}, 34000, 8}),
                         [](const ::testing::TestParamInfo<CrashConfig>& info) {
                           return std::string(info.param.name);
                         });

// The fs service's data disk as `./mica run` makes it (64 MiB, mkfs.fat -F
// 32: 129,022 clusters, a 1008-sector FAT) with the service's 256 KiB cache:
// counting the free clusters (df) reads the FAT in large requests, not a
// sector at a time, fills no cache slot and dirties nothing, so the Sync
// after it (stop /fs) reads and writes nothing. Before, the count was 1008
// one-sector requests that filled the cache.
TEST(FreeClustersTest, CountingAFat32FatIsFewLargeReadsAndLeavesNothingToSync) {
  TempDir dir;
  ImageBuilder builder(dir.path() + "/data.img", {"-F", "32", "-n", "MICADATA"}, 64 * 1024);
  ASSERT_TRUE(builder.ok());
  builder.Put("a.bin", Pattern(70000, 9));
  MemoryDisk disk(ReadHostFile(builder.path()));
  std::vector<uint8_t> cache(256 * 1024);
  auto volume = std::make_unique<fat::Volume>();
  const fat::BlockDevice device = disk.writable_device();
  ASSERT_EQ(volume->Mount(device, fat::Partition{0, 0, device.size}, cache.data(), cache.size()),
            Status::kOk);
  ASSERT_EQ(volume->type(), fat::FatType::kFat32);
  ASSERT_EQ(volume->cluster_count(), 129022u);
  const std::vector<uint8_t>& b = disk.bytes();
  const uint32_t fat_start = b[14] | (b[15] << 8);
  const uint64_t fat_bytes = (uint64_t{volume->cluster_count()} + 2) * 4;
  uint32_t expected = 0;  // the first FAT's zero entries, from the image
  for (uint64_t at = 8; at < fat_bytes; at += 4) {
    const uint8_t* e = b.data() + fat_start * 512 + at;
    expected += ((e[0] | e[1] << 8 | e[2] << 16 | uint32_t{e[3]} << 24) & 0x0FFFFFFF) == 0;
  }
  const size_t reads = disk.reads();
  const size_t read_bytes = disk.read_bytes();
  uint32_t free_clusters = 0;
  ASSERT_EQ(volume->FreeClusters(&free_clusters), Status::kOk);
  EXPECT_EQ(free_clusters, expected);
  EXPECT_LE(disk.reads() - reads, (fat_bytes + 4095) / 4096);  // 1008 before
  EXPECT_LE(disk.read_bytes() - read_bytes, (fat_bytes + 4095) / 4096 * 4096);
  const size_t writes = disk.writes();
  const size_t after_count = disk.reads();
  ASSERT_EQ(volume->Sync(), Status::kOk);
  EXPECT_EQ(disk.reads(), after_count);
  EXPECT_EQ(disk.writes(), writes);
  // A change not yet synced is counted from the cache (newer than the disk).
  auto fresh = std::make_unique<fat::Volume>();
  ASSERT_EQ(fresh->Mount(device, fat::Partition{0, 0, device.size}, cache.data(), cache.size()),
            Status::kOk);
  fat::Entry entry;
  ASSERT_EQ(fresh->Create(fresh->Root(), "new", 3, false, &entry), Status::kOk);
  const std::vector<uint8_t> data = Pattern(5000, 10);  // 10 clusters of 512 bytes
  size_t done = 0;
  ASSERT_EQ(fresh->Write(&entry, 0, data.data(), data.size(), &done), Status::kOk);
  ASSERT_EQ(fresh->FreeClusters(&free_clusters), Status::kOk);
  EXPECT_EQ(free_clusters, expected - 10);
  ASSERT_EQ(fresh->Sync(), Status::kOk);
  auto again = std::make_unique<fat::Volume>();
  ASSERT_EQ(again->Mount(device, fat::Partition{0, 0, device.size}), Status::kOk);
  ASSERT_EQ(again->FreeClusters(&free_clusters), Status::kOk);
  EXPECT_EQ(free_clusters, expected - 10);
}

}  // namespace
}  // namespace fat_test
