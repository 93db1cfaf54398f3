// The file commands (file_commands.h) against the in-memory FakeFs: every
// command's output and its error lines.
#include "system/core/shell/lib/file_commands.h"

#include <gtest/gtest.h>
#include <string.h>

#include <string>

#include "system/core/shell/lib/args.h"
#include "system/core/shell/lib/test/fake_fs.h"

namespace shell {
namespace {

using test::FakeFs;

class StringOutput : public Printer {
 public:
  void Write(const char* bytes, size_t n) override { text.append(bytes, n); }
  std::string Take() { return std::exchange(text, {}); }
  std::string text;
};

class FileCommandsTest : public ::testing::Test {
 protected:
  FileCommandsTest() {
    env.fs = &fs;
    env.out = &out;
    env.err = &err;
  }

  // Runs `line` as the shell would (its words; the table's argument
  // counts); what it printed on out, and err in *errors.
  std::string Run(const char* line, std::string* errors = nullptr) {
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", line);
    char* argv[17] = {};
    size_t argc = Split(copy, argv, 16);
    size_t count = 0;
    const FileCommand* table = FileCommands(&count);
    bool found = false;
    for (size_t i = 0; i < count; i++) {
      if (strcmp(table[i].name, argv[0]) == 0) {
        found = true;
        int args = static_cast<int>(argc) - 1;
        EXPECT_GE(args, table[i].min_args) << line;
        EXPECT_LE(args, table[i].max_args) << line;
        table[i].run(env, static_cast<int>(argc), argv);
      }
    }
    EXPECT_TRUE(found) << line;
    std::string e = err.Take();
    if (errors != nullptr) {
      *errors = e;
    } else {
      EXPECT_EQ(e, "") << line;
    }
    return out.Take();
  }
  // Runs `line`, which must print nothing on out, and gives its errors.
  std::string Errors(const char* line) {
    std::string e;
    EXPECT_EQ(Run(line, &e), "") << line;
    return e;
  }

  FakeFs fs;
  StringOutput out, err;
  FileEnv env;
};

TEST_F(FileCommandsTest, TheTableIsWhole) {
  size_t count = 0;
  const FileCommand* table = FileCommands(&count);
  const char* want[] = {"ls", "cd",    "pwd",   "cat", "write", "cp",     "mv",
                        "rm", "mkdir", "rmdir", "df",  "sync",  "hexdump"};
  ASSERT_EQ(count, sizeof(want) / sizeof(want[0]));
  for (size_t i = 0; i < count; i++) {
    EXPECT_STREQ(table[i].name, want[i]);
    EXPECT_LE(table[i].min_args, table[i].max_args);
    EXPECT_LE(table[i].max_args, 15);  // Shell::kMaxArgs - 1
    EXPECT_NE(table[i].help[0], '\0');
  }
}

TEST_F(FileCommandsTest, LsNames) {
  fs.AddFile("/data/b.txt", "hello\n");
  fs.AddDir("/data/notes");
  fs.AddFile("/data/notes/a.txt", "x");
  EXPECT_EQ(Run("ls"), "b.txt\nnotes/\n");  // the cwd, /data
  EXPECT_EQ(Run("ls /data/notes"), "a.txt\n");
  EXPECT_EQ(Run("ls notes/../notes/./"), "a.txt\n");
  EXPECT_EQ(Run("ls b.txt"), "b.txt\n");  // a file: itself, as named
  EXPECT_EQ(Run("ls /data/notes /data"), "/data/notes:\na.txt\n/data:\nb.txt\nnotes/\n");
}

TEST_F(FileCommandsTest, LsLong) {
  fs.AddFile("/data/b.txt", "hello\n", 1'765'162'800);  // 2025-12-08 03:00:00 UTC
  fs.AddDir("/data/notes", 0);                          // no time recorded
  EXPECT_EQ(Run("ls -l"),
            "-          6 2025-12-08 03:00:00 b.txt\n"
            "d          0 -                   notes/\n");
  EXPECT_EQ(Run("ls -l /data/b.txt"), "-          6 2025-12-08 03:00:00 /data/b.txt\n");
}

TEST_F(FileCommandsTest, LsRootShowsTheMounts) {
  EXPECT_EQ(Run("ls /"), "data/\nboot/\nbad/\n");
  EXPECT_EQ(Run("ls /data/.."), "data/\nboot/\nbad/\n");
}

TEST_F(FileCommandsTest, LsErrors) {
  fs.AddFile("/data/f", "");
  EXPECT_EQ(Errors("ls /data/missing"), "ls: /data/missing: no such file or directory\n");
  EXPECT_EQ(Errors("ls /data/f/x"), "ls: /data/f/x: not a directory\n");
  EXPECT_EQ(Errors("ls /nowhere"), "ls: /nowhere: no such file or directory\n");
  EXPECT_EQ(Errors("ls -x"), "ls: unknown option -x (ls [-l] [path...])\n");
  // The corrupt volume: the service's detail is kept.
  EXPECT_EQ(Errors("ls /bad"),
            std::string("ls: /bad: corrupt file system: ") + test::kCorruptDetail + "\n");
  // One bad path among good ones: the others are listed.
  std::string e;
  EXPECT_EQ(Run("ls /data/missing /data", &e), "/data:\nf\n");
  EXPECT_EQ(e, "ls: /data/missing: no such file or directory\n");
}

TEST_F(FileCommandsTest, CdAndPwd) {
  fs.AddDir("/data/notes");
  fs.AddFile("/data/f", "");
  EXPECT_EQ(Run("pwd"), "/data\n");
  EXPECT_EQ(Run("cd notes"), "");
  EXPECT_EQ(Run("pwd"), "/data/notes\n");
  EXPECT_EQ(Run("cd .."), "");
  EXPECT_EQ(Run("pwd"), "/data\n");
  EXPECT_EQ(Run("cd /"), "");
  EXPECT_EQ(Run("pwd"), "/\n");
  EXPECT_EQ(Run("ls"), "data/\nboot/\nbad/\n");
  EXPECT_EQ(Run("cd"), "");  // default: /data
  EXPECT_EQ(Run("pwd"), "/data\n");
  EXPECT_EQ(Errors("cd f"), "cd: /data/f: not a directory\n");
  EXPECT_EQ(Errors("cd /data/none"), "cd: /data/none: no such file or directory\n");
  EXPECT_EQ(Run("pwd"), "/data\n");  // unchanged by the errors
  // A path that would pass MAX_PATH (4095 bytes).
  std::string deep = "/data/" + std::string(4080, 'a');
  snprintf(env.cwd, sizeof(env.cwd), "%s", deep.c_str());
  EXPECT_EQ(Errors("cd bbbbbbbbbbbb"), "cd: bbbbbbbbbbbb: path too long\n");
  EXPECT_EQ(env.cwd, deep);
}

TEST_F(FileCommandsTest, Cat) {
  fs.AddFile("/data/a.txt", "one\ntwo\n");
  fs.AddFile("/data/b.txt", "no newline");
  EXPECT_EQ(Run("cat a.txt"), "one\ntwo\n");
  // The console gets a newline after text without one; a file does not.
  EXPECT_EQ(Run("cat b.txt a.txt"), "no newline\none\ntwo\n");
  env.to_console = false;
  EXPECT_EQ(Run("cat b.txt"), "no newline");
  env.to_console = true;
  // Larger than a chunk (4 KiB): every byte, in order.
  std::string big;
  for (int i = 0; i < 10000; i++)
    big += static_cast<char>('a' + i % 26);
  fs.AddFile("/data/big", big + "\n");
  EXPECT_EQ(Run("cat big"), big + "\n");
}

TEST_F(FileCommandsTest, CatErrors) {
  fs.AddDir("/data/d");
  fs.AddFile("/data/a", "A\n");
  EXPECT_EQ(Errors("cat /data/d"), "cat: /data/d: is a directory\n");
  EXPECT_EQ(Errors("cat /data/x.txt"), "cat: /data/x.txt: no such file or directory\n");
  EXPECT_EQ(Errors("cat /bad/f"),
            std::string("cat: /bad/f: corrupt file system: ") + test::kCorruptDetail + "\n");
  std::string e;
  EXPECT_EQ(Run("cat nope a", &e), "A\n");
  EXPECT_EQ(e, "cat: /data/nope: no such file or directory\n");
}

TEST_F(FileCommandsTest, Write) {
  EXPECT_EQ(Run("write notes.txt hello,   world"), "");
  EXPECT_EQ(fs.node("/data/notes.txt").data, "hello, world\n");
  EXPECT_EQ(Run("write notes.txt again"), "");  // truncates
  EXPECT_EQ(fs.node("/data/notes.txt").data, "again\n");
  EXPECT_EQ(Run("cat notes.txt"), "again\n");
}

TEST_F(FileCommandsTest, WriteErrors) {
  fs.AddDir("/data/d");
  EXPECT_EQ(Errors("write /data/d text"), "write: /data/d: is a directory\n");
  EXPECT_EQ(Errors("write /data/none/f text"), "write: /data/none/f: no such file or directory\n");
  EXPECT_EQ(Errors("write /boot/f text"), "write: /boot/f: read-only\n");
  fs.space = 3;
  EXPECT_EQ(Errors("write /data/f abcdef"), "write: /data/f: no space left on the volume\n");
  EXPECT_EQ(fs.node("/data/f").data, "abc");
}

TEST_F(FileCommandsTest, Cp) {
  std::string big(9000, 'q');
  fs.AddFile("/data/a", big);
  fs.AddDir("/data/d");
  EXPECT_EQ(Run("cp a b"), "");
  EXPECT_EQ(fs.node("/data/b").data, big);
  EXPECT_EQ(Run("cp a d"), "");  // into the directory, by its name
  EXPECT_EQ(fs.node("/data/d/a").data, big);
  fs.AddFile("/data/c", "old contents that are longer");
  EXPECT_EQ(Run("cp /data/d/a c"), "");  // replaces
  EXPECT_EQ(fs.node("/data/c").data, big);
}

TEST_F(FileCommandsTest, CpErrors) {
  fs.AddFile("/data/a", "A");
  fs.AddDir("/data/d");
  EXPECT_EQ(Errors("cp none b"), "cp: /data/none: no such file or directory\n");
  EXPECT_EQ(Errors("cp d e"), "cp: /data/d: is a directory\n");
  EXPECT_EQ(Errors("cp a ./a"), "cp: /data/a and /data/a are the same file\n");
  EXPECT_EQ(Errors("cp a /data/none/b"), "cp: /data/none/b: no such file or directory\n");
  EXPECT_EQ(Errors("cp a /boot"), "cp: /boot/a: read-only\n");
  EXPECT_EQ(fs.node("/data/a").data, "A");
}

TEST_F(FileCommandsTest, Mv) {
  fs.AddFile("/data/a", "A");
  fs.AddDir("/data/d");
  fs.AddFile("/data/d/in", "I");
  EXPECT_EQ(Run("mv a b"), "");
  EXPECT_FALSE(fs.Has("/data/a"));
  EXPECT_EQ(fs.node("/data/b").data, "A");
  EXPECT_EQ(Run("mv b d"), "");  // into the directory
  EXPECT_EQ(fs.node("/data/d/b").data, "A");
  EXPECT_EQ(Run("mv d e"), "");  // a directory, with what is in it
  EXPECT_EQ(fs.node("/data/e/in").data, "I");
  EXPECT_FALSE(fs.Has("/data/d"));
}

TEST_F(FileCommandsTest, MvErrors) {
  fs.AddFile("/data/a", "A");
  fs.AddDir("/data/d");
  EXPECT_EQ(Errors("mv none b"), "mv: /data/none: no such file or directory\n");
  EXPECT_EQ(Errors("mv d d/sub"), "mv: /data/d to /data/d/sub: busy\n");
  EXPECT_EQ(Errors("mv a /boot/a"),
            "mv: /data/a to /boot/a: not supported: a rename across volumes\n");
  EXPECT_EQ(Errors("mv a /data/none/b"),
            "mv: /data/a to /data/none/b: no such file or directory\n");
}

TEST_F(FileCommandsTest, RmMkdirRmdir) {
  fs.AddFile("/data/a", "");
  fs.AddFile("/data/b", "");
  EXPECT_EQ(Run("rm a b"), "");
  EXPECT_FALSE(fs.Has("/data/a"));
  EXPECT_FALSE(fs.Has("/data/b"));
  EXPECT_EQ(Run("mkdir x x/y z"), "");
  EXPECT_TRUE(fs.node("/data/x/y").dir);
  EXPECT_TRUE(fs.node("/data/z").dir);
  EXPECT_EQ(Run("rmdir x/y x z"), "");
  EXPECT_FALSE(fs.Has("/data/x"));
  EXPECT_FALSE(fs.Has("/data/z"));
}

TEST_F(FileCommandsTest, RmMkdirRmdirErrors) {
  fs.AddDir("/data/d");
  fs.AddFile("/data/d/f", "");
  EXPECT_EQ(Errors("rm /data/x.txt"), "rm: /data/x.txt: no such file or directory\n");
  EXPECT_EQ(Errors("rm d"), "rm: /data/d: is a directory\n");
  EXPECT_EQ(Errors("rm /data"), "rm: /data: busy: a mount point\n");
  EXPECT_EQ(Errors("rm /boot/x"), "rm: /boot/x: read-only\n");
  EXPECT_EQ(Errors("mkdir d"), "mkdir: /data/d: file exists\n");
  EXPECT_EQ(Errors("mkdir a/b"), "mkdir: /data/a/b: no such file or directory\n");
  EXPECT_EQ(Errors("rmdir d"), "rmdir: /data/d: directory not empty\n");
  EXPECT_EQ(Errors("rmdir d/f"), "rmdir: /data/d/f: not a directory\n");
  EXPECT_EQ(Errors("rmdir none"), "rmdir: /data/none: no such file or directory\n");
  // Each path on its own: the good ones are done.
  std::string e;
  EXPECT_EQ(Run("rm none d/f", &e), "");
  EXPECT_EQ(e, "rm: /data/none: no such file or directory\n");
  EXPECT_FALSE(fs.Has("/data/d/f"));
}

TEST_F(FileCommandsTest, Df) {
  fs.AddFile("/data/a", std::string(5000, 'x'));  // two 4 KiB clusters
  EXPECT_EQ(Run("df"),
            "MOUNT    DEVICE       PART TYPE    SIZE(KiB)  USED(KiB)  FREE(KiB)\n"
            "/data    block/0         0 fat32       65536          8      65528\n"
            "/boot    block/1         1 fat16       32768          0      32768\n"
            "-        block/1         2 ?           16384          -          -\n"
            "-        block/2         0 FAILED: bad boot sector: no 55 AA signature\n"
            "df: 4 volumes\n");
  fs.mounts_page = 1;  // the same, a row per page
  std::string paged = Run("df");
  fs.mounts_page = 16;
  EXPECT_EQ(paged, Run("df"));
  fs.mounts_down = true;
  std::string e;
  Run("df", &e);
  EXPECT_EQ(e, std::string("df: the mount table: not mounted: ") + test::kServiceDown + "\n");
}

TEST_F(FileCommandsTest, Sync) {
  EXPECT_EQ(Run("sync"), "");
  EXPECT_EQ(fs.syncs("data"), 1);
  EXPECT_EQ(fs.syncs("boot"), 1);
  EXPECT_EQ(fs.syncs("bad"), 1);  // its root answers
  EXPECT_EQ(Run("sync /data/."), "");
  EXPECT_EQ(fs.syncs("data"), 2);
  EXPECT_EQ(Errors("sync /nowhere"), "sync: /nowhere: no such file or directory\n");
}

TEST_F(FileCommandsTest, HexDumpIsHexdumpC) {
  // Expected text from `hexdump -C` (util-linux 2.38) of the same bytes.
  fs.AddFile("/data/h", std::string("Hello, world!\n\x01\xff", 16));
  EXPECT_EQ(Run("hexdump h"),
            "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 01 ff  |Hello, world!...|\n"
            "00000010\n");
  std::string z = std::string(32, '\0') + "ab" + std::string(30, '\0') + "x";
  fs.AddFile("/data/z", z);
  EXPECT_EQ(Run("hexdump z"),
            "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
            "*\n"
            "00000020  61 62 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |ab..............|\n"
            "00000030  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
            "00000040  78                                                |x|\n"
            "00000041\n");
  fs.AddFile("/data/zeros", std::string(64, '\0'));
  EXPECT_EQ(Run("hexdump zeros"),
            "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
            "*\n"
            "00000040\n");
  fs.AddFile("/data/empty", "");
  EXPECT_EQ(Run("hexdump empty"), "");
  // Across chunk boundaries (4 KiB): the star run goes on.
  fs.AddFile("/data/big", std::string(10000, 'A'));
  EXPECT_EQ(Run("hexdump big"),
            "00000000  41 41 41 41 41 41 41 41  41 41 41 41 41 41 41 41  |AAAAAAAAAAAAAAAA|\n"
            "*\n"
            "00002710\n");
  EXPECT_EQ(Errors("hexdump /data"), "hexdump: /data: is a directory\n");
  EXPECT_EQ(Errors("hexdump none"), "hexdump: /data/none: no such file or directory\n");
}

TEST_F(FileCommandsTest, RedirectTruncatesOrAppends) {
  fs.AddFile("/data/log", "old\n");
  std::unique_ptr<OpenedFile> f = OpenForRedirect(env, "echo", "log", false);
  ASSERT_TRUE(f);
  FileOutput o(f.get());
  o.Print("%s\n", "first");
  EXPECT_EQ(fs.node("/data/log").data, "");  // buffered, truncated
  EXPECT_TRUE(o.Finish().ok());
  EXPECT_EQ(fs.node("/data/log").data, "first\n");
  f = OpenForRedirect(env, "echo", "/data/log", true);
  ASSERT_TRUE(f);
  FileOutput o2(f.get());
  std::string big(10000, 'b');  // more than the buffer: written as it fills
  o2.Write(big.data(), big.size());
  EXPECT_TRUE(o2.Finish().ok());
  EXPECT_EQ(fs.node("/data/log").data, "first\n" + big);
  // A new file.
  f = OpenForRedirect(env, "ls", "new", false);
  ASSERT_TRUE(f);
  EXPECT_TRUE(fs.Has("/data/new"));
}

TEST_F(FileCommandsTest, RedirectErrors) {
  fs.AddDir("/data/d");
  EXPECT_FALSE(OpenForRedirect(env, "echo", "d", false));
  EXPECT_EQ(err.Take(), "echo: /data/d: is a directory\n");
  EXPECT_FALSE(OpenForRedirect(env, "echo", "/boot/x", true));
  EXPECT_EQ(err.Take(), "echo: /boot/x: read-only\n");
  fs.space = 5;
  std::unique_ptr<OpenedFile> f = OpenForRedirect(env, "echo", "full", false);
  ASSERT_TRUE(f);
  FileOutput o(f.get());
  o.Print("0123456789");
  Status st = o.Finish();
  EXPECT_EQ(st.error, mica::fs::Error::NO_SPACE);
  EXPECT_EQ(fs.node("/data/full").data, "01234");
}

TEST(FormatHexLine, Widths) {
  char line[kHexLineMax];
  uint8_t b[16];
  for (int i = 0; i < 16; i++)
    b[i] = static_cast<uint8_t>(0x7a + i);  // z { | } ~ DEL ...
  size_t n = FormatHexLine(0xfffffff0, b, 16, line);
  EXPECT_EQ(std::string(line, n),
            "fffffff0  7a 7b 7c 7d 7e 7f 80 81  82 83 84 85 86 87 88 89  |z{|}~...........|\n");
  for (size_t k = 0; k <= 16; k++) {
    n = FormatHexLine(0, b, k, line);
    EXPECT_EQ(n, 10 + 49 + 2 + k + 2) << k;  // the ASCII column as long as the bytes
    EXPECT_EQ(line[60], '|');
  }
}

}  // namespace
}  // namespace shell
