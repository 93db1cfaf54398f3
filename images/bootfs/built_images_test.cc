// Checks the bootfs images this build produced (images/BUILD.gn) against
// the contents docs/bootfs.md promises. The image paths are baked in at
// build time (BOOTFS_TEST_*_IMAGE), so the test runs from any directory.

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "images/bootfs/bootfs.h"

namespace bootfs {
namespace {

// A parameter is "<board>=<path of its bootfs.img>".
std::string BoardOf(const char* param) {
  return std::string(param, std::strchr(param, '='));
}

class BuiltImage : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const std::string path = std::strchr(GetParam(), '=') + 1;
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "cannot open " << path;
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    size_ = bytes.size();
    data_.reset(new uint8_t[size_]);
    std::memcpy(data_.get(), bytes.data(), size_);
    ASSERT_EQ(image_.Open(data_.get(), size_), Status::kOk) << path;
  }

  std::string Text(const char* name) {
    File file;
    EXPECT_TRUE(image_.Find(name, &file)) << name;
    if (!image_.Find(name, &file)) {
      return "";
    }
    return std::string(reinterpret_cast<const char*>(file.data), file.size);
  }

  size_t size_ = 0;
  std::unique_ptr<uint8_t[]> data_;
  Image image_;
};

TEST_P(BuiltImage, IsExactlyItsTotalSize) {
  EXPECT_EQ(image_.total_size(), size_);
}

TEST_P(BuiltImage, HasTheHelloFile) {
  EXPECT_EQ(Text("test/hello.txt"), "Hello from the Mica bootfs.\n");
}

TEST_P(BuiltImage, HasTheTestPattern) {
  File file;
  ASSERT_TRUE(image_.Find("test/pattern.bin", &file));
  ASSERT_EQ(file.size, 10000u);
  for (size_t i = 0; i < file.size; ++i) {
    ASSERT_EQ(file.data[i], static_cast<uint8_t>(i * 31 + 7)) << i;
  }
}

// The kernel starts bin/userboot; userboot's error cases use these.
TEST_P(BuiltImage, HasUserbootAndItsTestFiles) {
  File file;
  ASSERT_TRUE(image_.Find("bin/userboot", &file));
  ASSERT_GE(file.size, 4u);
  EXPECT_EQ(file.data[0], 0x7f);
  EXPECT_EQ(file.data[1], 'E');
  ASSERT_TRUE(image_.Find("test/truncated-elf", &file));
  EXPECT_EQ(file.size, 4096u);
  File hello;
  ASSERT_TRUE(image_.Find("bin/hello", &hello));
  ASSERT_GT(hello.size, file.size);
  for (size_t i = 0; i < file.size; ++i) {
    ASSERT_EQ(file.data[i], hello.data[i]) << i;
  }
}

TEST_P(BuiltImage, BootConfigNamesTheBoard) {
  EXPECT_NE(Text("config/boot.txt").find("\nboard=" + BoardOf(GetParam()) + "\n"),
            std::string::npos);
}

TEST_P(BuiltImage, ManifestListsEveryOtherFile) {
  std::istringstream manifest(Text("manifest.txt"));
  std::string line;
  uint32_t listed = 0;
  while (std::getline(manifest, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    char name[kNameFieldSize];
    size_t size = 0;
    unsigned crc = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%103s %zu %x", name, &size, &crc), 3) << line;
    File file;
    ASSERT_TRUE(image_.Find(name, &file)) << name;
    EXPECT_EQ(file.size, size) << name;
    EXPECT_EQ(file.crc32, crc) << name;
    ++listed;
  }
  EXPECT_EQ(listed + 1, image_.count());
}

INSTANTIATE_TEST_SUITE_P(Boards, BuiltImage,
                         ::testing::Values("virt=" BOOTFS_TEST_VIRT_IMAGE,
                                           "rpi4=" BOOTFS_TEST_RPI4_IMAGE),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return BoardOf(info.param);
                         });

}  // namespace
}  // namespace bootfs
