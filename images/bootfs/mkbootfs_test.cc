// Tests of the mkbootfs command line (docs/bootfs.md, "mkbootfs"). The
// tool's absolute path is baked in at build time (MKBOOTFS_PATH).

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "images/bootfs/bootfs.h"

namespace bootfs {
namespace {

namespace fs = std::filesystem;

struct Result {
  int exit_code;
  std::string output;  // stdout and stderr
};

class MkbootfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mkbootfs_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  void Write(const std::string& name, const std::string& contents) {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(Path(name), std::ios::binary) << contents;
  }

  std::string Read(const std::string& name) {
    std::ifstream in(Path(name), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // Runs mkbootfs with `args` (already shell-quoted where needed).
  Result Run(const std::string& args) {
    const std::string command = std::string(MKBOOTFS_PATH) + " " + args + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    Result result{-1, ""};
    if (pipe == nullptr) {
      return result;
    }
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
      result.output.append(buffer, n);
    }
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  fs::path dir_;
};

TEST_F(MkbootfsTest, CreatesFromAManifestAndArguments) {
  Write("src/a.txt", "alpha");
  Write("src/b.bin", std::string(5000, 'b'));
  Write("extra", "extra!");
  // Relative paths are relative to the manifest; comments and blanks skip.
  Write("src/files.manifest",
        "# a comment\n\n  bin/a = a.txt  \nlib/b.bin=" + Path("src/b.bin") + "\n");
  const Result create =
      Run("create -o " + Path("out.img") + " --manifest " + Path("src/files.manifest") +
          " --index index.txt extra=" + Path("extra"));
  ASSERT_EQ(create.exit_code, 0) << create.output;

  const std::string bytes = Read("out.img");
  Image image;
  ASSERT_EQ(image.Open(bytes.data(), bytes.size()), Status::kOk);
  EXPECT_EQ(image.count(), 4u);
  File file;
  ASSERT_TRUE(image.Find("bin/a", &file));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(file.data), file.size), "alpha");
  ASSERT_TRUE(image.Find("index.txt", &file));
  const std::string index(reinterpret_cast<const char*>(file.data), file.size);
  EXPECT_NE(index.find("\nbin/a 5 "), std::string::npos) << index;
  EXPECT_NE(index.find("\nextra 6 "), std::string::npos) << index;
  EXPECT_NE(index.find("\nlib/b.bin 5000 "), std::string::npos) << index;
  EXPECT_FALSE(fs::exists(Path("out.img.tmp")));

  const Result verify = Run("verify " + Path("out.img"));
  EXPECT_EQ(verify.exit_code, 0);
  EXPECT_NE(verify.output.find("ok: bootfs version 1, 4 files"), std::string::npos)
      << verify.output;

  const Result list = Run("list " + Path("out.img"));
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.output.find(" bin/a\n"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("0x00004000       5000 "), std::string::npos) << list.output;

  const Result extract = Run("extract " + Path("out.img") + " lib/b.bin -o " + Path("b.out"));
  EXPECT_EQ(extract.exit_code, 0) << extract.output;
  EXPECT_EQ(Read("b.out"), std::string(5000, 'b'));
  const Result to_stdout = Run("extract " + Path("out.img") + " bin/a");
  EXPECT_EQ(to_stdout.exit_code, 0);
  EXPECT_EQ(to_stdout.output, "alpha");
}

TEST_F(MkbootfsTest, SameInputsGiveTheSameImage) {
  Write("x", "x");
  Write("y", "y");
  ASSERT_EQ(Run("create -o " + Path("1.img") + " a=" + Path("x") + " b=" + Path("y")).exit_code, 0);
  ASSERT_EQ(Run("create -o " + Path("2.img") + " b=" + Path("y") + " a=" + Path("x")).exit_code, 0);
  EXPECT_EQ(Read("1.img"), Read("2.img"));
}

TEST_F(MkbootfsTest, ReportsManifestErrorsWithTheLine) {
  Write("x", "x");
  Write("bad.manifest", "a=x\nno equals sign\n");
  Result result = Run("create -o " + Path("out.img") + " --manifest " + Path("bad.manifest"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("bad.manifest:2: expected NAME=PATH"), std::string::npos)
      << result.output;
  EXPECT_FALSE(fs::exists(Path("out.img")));

  Write("dup.manifest", "a=x\na=x\n");
  result = Run("create -o " + Path("out.img") + " --manifest " + Path("dup.manifest"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("dup.manifest:2: duplicate bootfs name 'a'"), std::string::npos)
      << result.output;

  Write("badname.manifest", "../etc=x\n");
  result = Run("create -o " + Path("out.img") + " --manifest " + Path("badname.manifest"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("invalid bootfs name '../etc'"), std::string::npos) << result.output;

  Write("missing.manifest", "a=does-not-exist\n");
  result = Run("create -o " + Path("out.img") + " --manifest " + Path("missing.manifest"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("cannot open"), std::string::npos) << result.output;
}

TEST_F(MkbootfsTest, VerifyNamesTheProblem) {
  Write("x", std::string(100, 'x'));
  ASSERT_EQ(Run("create -o " + Path("out.img") + " a=" + Path("x")).exit_code, 0);
  std::string bytes = Read("out.img");
  bytes[kPageSize + 10] ^= 1;  // inside file "a": the image checksum fails first
  Write("bad.img", bytes);
  Result result = Run("verify " + Path("bad.img"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("image checksum mismatch"), std::string::npos) << result.output;

  Write("short.img", bytes.substr(0, 100));
  result = Run("list " + Path("short.img"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("total size"), std::string::npos) << result.output;

  result = Run("extract " + Path("out.img") + " nope");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("no file named 'nope'"), std::string::npos) << result.output;
}

TEST_F(MkbootfsTest, UsageErrors) {
  EXPECT_EQ(Run("").exit_code, 2);
  EXPECT_EQ(Run("create a=b").exit_code, 2);  // no -o
  EXPECT_EQ(Run("frobnicate x").exit_code, 2);
  const Result result = Run("list");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("usage: mkbootfs"), std::string::npos);
}

}  // namespace
}  // namespace bootfs
