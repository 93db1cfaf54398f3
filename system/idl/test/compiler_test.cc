// Runs the IDL compiler (idlc.py --check, once for all files) on every file
// of system/idl/test/bad/ and checks that each fails with exactly the error
// its first line names (`// error: LINE:COL: message`), printed as
// FILE:LINE:COL: message; and on every file of good/ and every protocol
// file of system/idl/, which must compile. One test case per file.
#include <dirent.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

std::vector<std::string> IdlFiles(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 4 && n.compare(n.size() - 4, 4, ".idl") == 0) {
        names.push_back(dir + "/" + n);
      }
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> BadFiles() {
  return IdlFiles(IDL_DIR "/test/bad");
}

std::vector<std::string> GoodFiles() {
  std::vector<std::string> all = IdlFiles(IDL_DIR "/test/good");
  for (const std::string& f : IdlFiles(IDL_DIR)) {
    all.push_back(f);
  }
  all.push_back(IDL_DIR "/test/idltest.idl");
  return all;
}

// Runs idlc --check on `paths`: exit status and combined output.
int RunCompiler(const std::vector<std::string>& paths, std::string* output) {
  std::string cmd = std::string("python3 ") + IDLC + " --check";
  for (const std::string& p : paths) {
    cmd += " '" + p + "'";
  }
  cmd += " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return -1;
  }
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    output->append(buf, n);
  }
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The compiler's output for every file, run once: file -> its error line.
struct Results {
  int status = -1;
  std::map<std::string, std::string> errors;
  std::string raw;
};

const Results& AllResults() {
  static Results* results = [] {
    auto* r = new Results;
    std::vector<std::string> files = BadFiles();
    for (const std::string& f : GoodFiles()) {
      files.push_back(f);
    }
    r->status = RunCompiler(files, &r->raw);
    size_t start = 0;
    while (start < r->raw.size()) {
      size_t end = r->raw.find('\n', start);
      std::string line = r->raw.substr(start, end - start);
      start = end == std::string::npos ? r->raw.size() : end + 1;
      for (const std::string& f : files) {
        if (line.compare(0, f.size() + 1, f + ":") == 0) {
          r->errors[f] += line + "\n";
        }
      }
    }
    return r;
  }();
  return *results;
}

std::string FirstLine(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string base = info.param.substr(info.param.find_last_of('/') + 1);
  base = base.substr(0, base.size() - 4);
  for (char& c : base) {
    if (!isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return base;
}

class IdlBad : public ::testing::TestWithParam<std::string> {};

TEST_P(IdlBad, FailsWithItsError) {
  const std::string& path = GetParam();
  std::string first = FirstLine(path);
  const std::string prefix = "// error: ";
  ASSERT_EQ(first.compare(0, prefix.size(), prefix), 0) << path << " lacks `// error: ...`";
  std::string expected = path + ":" + first.substr(prefix.size());
  const Results& r = AllResults();
  EXPECT_EQ(r.status, 1) << r.raw;
  auto it = r.errors.find(path);
  ASSERT_NE(it, r.errors.end()) << "no error reported for " << path << ":\n" << r.raw;
  EXPECT_EQ(it->second, expected + "\n");
}

INSTANTIATE_TEST_SUITE_P(Errors, IdlBad, ::testing::ValuesIn(BadFiles()), TestName);

class IdlGood : public ::testing::TestWithParam<std::string> {};

TEST_P(IdlGood, Compiles) {
  const Results& r = AllResults();
  EXPECT_EQ(r.errors.count(GetParam()), 0u) << r.errors.at(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Files, IdlGood, ::testing::ValuesIn(GoodFiles()), TestName);

TEST(IdlCompiler, EveryErrorClassHasANegativeTest) {
  EXPECT_GE(BadFiles().size(), 30u);
}

}  // namespace
