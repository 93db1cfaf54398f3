// mica::fs's pure parts: path normalisation, the mount split, errors in
// words (<mica/fs/path.h>, <mica/fs/status.h>).
#include <gtest/gtest.h>
#include <mica/fs/path.h>
#include <mica/fs/status.h>
#include <string.h>

#include <string>
#include <vector>

namespace mica::fs {
namespace {

std::string Norm(const char* cwd, const char* path, size_t size = 4096) {
  std::string out(size, 'x');
  if (!NormalizePath(cwd, path, out.data(), size)) {
    EXPECT_EQ(out[0], '\0') << "a failed normalisation leaves out empty";
    return "(fail)";
  }
  EXPECT_LT(strlen(out.c_str()), size);
  return out.c_str();
}

TEST(NormalizePath, Absolute) {
  EXPECT_EQ(Norm("/data", "/boot/x"), "/boot/x");
  EXPECT_EQ(Norm("/data", "/"), "/");
  EXPECT_EQ(Norm("/data", "//"), "/");
  EXPECT_EQ(Norm("/data", "/data/"), "/data");
  EXPECT_EQ(Norm("/data", "///data//a///b//"), "/data/a/b");
}

TEST(NormalizePath, Relative) {
  EXPECT_EQ(Norm("/data", "a.txt"), "/data/a.txt");
  EXPECT_EQ(Norm("/data/notes", "a/b"), "/data/notes/a/b");
  EXPECT_EQ(Norm("/", "data"), "/data");
  EXPECT_EQ(Norm("/data", "."), "/data");
  EXPECT_EQ(Norm("/data", "./"), "/data");
}

TEST(NormalizePath, DotDotIsLexical) {
  EXPECT_EQ(Norm("/data/notes", ".."), "/data");
  EXPECT_EQ(Norm("/data/notes", "../.."), "/");
  EXPECT_EQ(Norm("/data/notes", "../../../.."), "/");  // stays at the root
  EXPECT_EQ(Norm("/data", "../boot/./x/../y"), "/boot/y");
  EXPECT_EQ(Norm("/data", "/boot/.."), "/");
  EXPECT_EQ(Norm("/data", "a/../../boot"), "/boot");
  // Names that only start with dots are names.
  EXPECT_EQ(Norm("/data", "..."), "/data/...");
  EXPECT_EQ(Norm("/data", "..a/.b"), "/data/..a/.b");
}

TEST(NormalizePath, TheCwdIsNormalisedToo) {
  EXPECT_EQ(Norm("/data//x/./y/..", "z"), "/data/x/z");
}

TEST(NormalizePath, EmptyAndTooLong) {
  EXPECT_EQ(Norm("/data", ""), "(fail)");
  // "/data/a" needs 8 bytes with its NUL.
  EXPECT_EQ(Norm("/data", "a", 8), "/data/a");
  EXPECT_EQ(Norm("/data", "a", 7), "(fail)");
  EXPECT_EQ(Norm("/", "/", 2), "/");
  EXPECT_EQ(Norm("/", "/", 1), "(fail)");
  // Components are added one by one: each prefix must fit too.
  EXPECT_EQ(Norm("/data", "abcdefgh/..", 8), "(fail)");
  EXPECT_EQ(Norm("/data", "abcdefgh/..", 15), "/data");
  char out[1] = {'x'};
  EXPECT_FALSE(NormalizePath("/", "a", out, 0));
  EXPECT_EQ(out[0], 'x');  // nothing written into an empty buffer
}

TEST(NormalizePath, RandomPathsAgreeWithAModel) {
  // A model over a component list: every result is absolute, has no empty,
  // "." or ".." component, and equals the model's.
  const char* parts[] = {"a", "bb", ".", "..", "", "c.txt"};
  uint32_t seed = 12345;
  for (int round = 0; round < 2000; round++) {
    std::string path;
    std::vector<std::string> model;
    bool absolute = (seed & 1) != 0;
    int n = static_cast<int>(seed % 7);
    if (!absolute) {
      model = {"data", "x"};
    }
    path = absolute ? "/" : "./";
    for (int i = 0; i < n; i++) {
      seed = seed * 1103515245 + 12345;
      std::string p = parts[(seed >> 16) % 6];
      path += p + ((seed >> 8) % 2 != 0 ? "/" : "//");
      if (p == "..") {
        if (!model.empty())
          model.pop_back();
      } else if (!p.empty() && p != ".") {
        model.push_back(p);
      }
    }
    seed = seed * 1103515245 + 12345;
    if (path.empty()) {
      continue;
    }
    std::string want;
    for (const auto& c : model)
      want += "/" + c;
    if (want.empty())
      want = "/";
    EXPECT_EQ(Norm("/data/x", path.c_str()), want) << path;
  }
}

TEST(SplitMount, MountAndRest) {
  char mount[33];
  const char* rest = nullptr;
  ASSERT_TRUE(SplitMount("/data/a/b", mount, sizeof(mount), &rest));
  EXPECT_STREQ(mount, "data");
  EXPECT_STREQ(rest, "a/b");
  ASSERT_TRUE(SplitMount("/boot", mount, sizeof(mount), &rest));
  EXPECT_STREQ(mount, "boot");
  EXPECT_STREQ(rest, "");
  EXPECT_FALSE(SplitMount("/", mount, sizeof(mount), &rest));
  EXPECT_FALSE(SplitMount("data/a", mount, sizeof(mount), &rest));
  char small[5];
  EXPECT_TRUE(SplitMount("/data/x", small, sizeof(small), &rest));
  EXPECT_FALSE(SplitMount("/datas/x", small, sizeof(small), &rest));
}

TEST(JoinAndBase, Paths) {
  char out[16];
  ASSERT_TRUE(JoinPath("/data", "a.txt", out, sizeof(out)));
  EXPECT_STREQ(out, "/data/a.txt");
  ASSERT_TRUE(JoinPath("/", "data", out, sizeof(out)));
  EXPECT_STREQ(out, "/data");
  EXPECT_TRUE(JoinPath("/data", "abcdefghi", out, sizeof(out)));  // 15 + NUL
  EXPECT_FALSE(JoinPath("/data", "abcdefghij", out, sizeof(out)));
  EXPECT_STREQ(out, "");
  EXPECT_STREQ(BaseName("/data/notes/a.txt"), "a.txt");
  EXPECT_STREQ(BaseName("/data"), "data");
  EXPECT_STREQ(BaseName("/"), "");
}

TEST(Status, Words) {
  EXPECT_STREQ(ErrorString(Error::NOT_FOUND), "no such file or directory");
  EXPECT_STREQ(ErrorString(Error::IS_DIRECTORY), "is a directory");
  EXPECT_STREQ(ErrorString(Error::NOT_EMPTY), "directory not empty");
  EXPECT_STREQ(ErrorString(static_cast<Error>(200)), "unknown error");
  // Every error of the protocol has its own words.
  for (int a = 1; a <= 17; a++) {
    for (int b = a + 1; b <= 17; b++) {
      EXPECT_STRNE(ErrorString(static_cast<Error>(a)), ErrorString(static_cast<Error>(b)));
    }
  }
  char buf[200];
  EXPECT_STREQ(Status::Of(Error::NOT_FOUND).Describe(buf, sizeof(buf)),
               "no such file or directory");
  Status c = Status::Of(Error::CORRUPT, "cluster 7 of FAT out of range", 29);
  EXPECT_STREQ(c.Describe(buf, sizeof(buf)), "corrupt file system: cluster 7 of FAT out of range");
  EXPECT_STREQ(c.Describe(buf, 8), "corrupt");
  // A detail longer than the protocol's is cut.
  std::string longer(500, 'd');
  Status l = Status::Of(Error::IO, longer.data(), longer.size());
  EXPECT_EQ(strlen(l.detail), ::idl::fs::MAX_DETAIL);
  EXPECT_TRUE(Status().ok());
  EXPECT_FALSE(l.ok());
}

}  // namespace
}  // namespace mica::fs
