// sdk/tools/cmc.py, the component manifest compiler: runs the tests of
// cmc_test.py (in one Python process, `--report`) and reports each as its
// own case, CmcPython.Passes/<Class>_<test>:
//  - BadFiles_test_<case>: every file of bad/ is refused with exactly the
//    message its first line expects (`// expect: LINE:COL: error: ...`),
//    exit status 1, and no output file;
//  - BadTrees_test_<case>: every directory of bad_tree/ (a root.cml and the
//    manifests of its tree) likewise (`// expect: FILE:LINE:COL: ...`);
//  - Layout_*, RoundTrip_*, Corruption_*, Limits_*, CommandLine_*: the
//    layout byte for byte, round trips through the independent reader
//    mcm_reader.py, corrupted outputs, limits, the command line.
#include <stdio.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace {

struct ToolRun {
  int status = -1;
  std::string output;  // stderr and stdout
};

ToolRun Shell(const std::string& cmd) {
  ToolRun r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) {
    return r;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    r.output.append(buf, n);
  }
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

const std::string kTests = "python3 '" CMC_TESTDATA "/cmc_test.py'";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> TestNames() {
  const ToolRun r = Shell(kTests + " --list");
  if (r.status != 0) {
    return {"LIST_FAILED"};  // fails below with the output
  }
  std::vector<std::string> names;
  for (const std::string& line : Lines(r.output)) {
    if (!line.empty()) {
      names.push_back(line);
    }
  }
  return names;
}

struct Outcome {
  bool pass = false;
  std::string detail;
};

// Every test's outcome, from one run of all of them (the first case to ask).
const std::map<std::string, Outcome>& Report(std::string* raw) {
  static std::string output;
  static const std::map<std::string, Outcome> report = [] {
    std::map<std::string, Outcome> m;
    const ToolRun r = Shell(kTests + " --report");
    output = r.output;
    Outcome* last = nullptr;
    for (const std::string& line : Lines(r.output)) {
      if (line.rfind("PASS ", 0) == 0 || line.rfind("FAIL ", 0) == 0) {
        last = &m[line.substr(5)];
        last->pass = line[0] == 'P';
      } else if (last != nullptr) {
        last->detail += line + "\n";
      }
    }
    return m;
  }();
  *raw = output;
  return report;
}

std::string TestName(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char c) { return !isalnum(static_cast<unsigned char>(c)); }, '_');
  return s;
}

class CmcPython : public ::testing::TestWithParam<std::string> {};

TEST_P(CmcPython, Passes) {
  ASSERT_NE(GetParam(), "LIST_FAILED") << Shell(kTests + " --list").output;
  std::string raw;
  const auto& report = Report(&raw);
  const auto it = report.find(GetParam());
  ASSERT_NE(it, report.end()) << "no result for " << GetParam() << "; the run printed:\n" << raw;
  EXPECT_TRUE(it->second.pass) << it->second.detail;
}

INSTANTIATE_TEST_SUITE_P(Cmc, CmcPython, ::testing::ValuesIn(TestNames()),
                         [](const auto& info) { return TestName(info.param); });

}  // namespace
