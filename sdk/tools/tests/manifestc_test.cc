// sdk/tools/manifestc.py, run as the build runs it: every file in
// tests/manifests/bad is refused with the `FILE:LINE: message` its first
// line expects (`# expect: LINE: substring`, optional `# args: ...`) and
// writes no output; the files in good/ compile, and the C++ reader
// (dm::ParseManifest) reads back exactly what they say.
#include <stdio.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "system/core/driver_manager/lib/manifest.h"

namespace {

namespace fs = std::filesystem;

struct ToolRun {
  int status = -1;
  std::string output;  // stderr and stdout
};

ToolRun Manifestc(const std::string& args) {
  ToolRun r;
  const std::string cmd = "python3 '" MANIFESTC "' " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return r;
  }
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    r.output.append(buf, n);
  }
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::vector<std::string> BadCases() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(MANIFEST_TESTDATA) / "bad")) {
    if (e.path().extension() == ".manifest") {
      names.push_back(e.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string TempOutput(const std::string& name) {
  return (fs::temp_directory_path() / ("manifestc-test-" + name + "-" + std::to_string(getpid())))
      .string();
}

class ManifestcRejects : public ::testing::TestWithParam<std::string> {};

TEST_P(ManifestcRejects, WithFileAndLine) {
  const std::string path = std::string(MANIFEST_TESTDATA) + "/bad/" + GetParam() + ".manifest";
  std::ifstream in(path);
  std::string expect_line, args_line;
  std::getline(in, expect_line);
  std::getline(in, args_line);
  const std::string tag = "# expect: ";
  ASSERT_EQ(expect_line.rfind(tag, 0), 0u) << path << " lacks '# expect: LINE: text'";
  const std::string expect = expect_line.substr(tag.size());
  const size_t colon = expect.find(": ");
  ASSERT_NE(colon, std::string::npos);
  const std::string line = expect.substr(0, colon);
  const std::string text = expect.substr(colon + 2);
  std::string extra;
  if (args_line.rfind("# args: ", 0) == 0) {
    extra = args_line.substr(8);
  }
  const std::string out = TempOutput(GetParam());
  const ToolRun r = Manifestc(extra + " '" + path + "' -o '" + out + "'");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_EQ(r.output.rfind(path + ":" + line + ": ", 0), 0u) << r.output;
  EXPECT_NE(r.output.find(text), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

INSTANTIATE_TEST_SUITE_P(Bad, ManifestcRejects, ::testing::ValuesIn(BadCases()),
                         [](const auto& info) { return info.param; });

// Compiles `name` from good/ and parses the result with the C++ reader.
std::vector<uint8_t> CompileGood(const std::string& name) {
  const std::string out = TempOutput(name);
  const ToolRun r =
      Manifestc("'" MANIFEST_TESTDATA "/good/" + name + ".manifest' -o '" + out + "'");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "");
  std::ifstream in(out, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  fs::remove(out);
  return bytes;
}

TEST(Manifestc, FullManifestReadsBack) {
  const std::vector<uint8_t> bytes = CompileGood("full");
  dm::Manifest m;
  dm::Error err;
  ASSERT_EQ(dm::ParseManifest(bytes.data(), bytes.size(), &m, &err), dm::Status::kOk)
      << err.message;
  EXPECT_STREQ(m.name(), "virtio-blk");
  EXPECT_STREQ(m.binary(), "bin/virtio-blk");
  EXPECT_STREQ(m.argument(), "queue-depth=4");
  ASSERT_EQ(m.bind_count(), 3u);
  EXPECT_STREQ(m.bind(0).compatible, "virtio,device");
  ASSERT_EQ(m.bind(0).condition_count, 3u);
  const dm::Condition c0 = m.condition(m.bind(0).first_condition);
  EXPECT_STREQ(c0.property, "virtio,device-id");
  EXPECT_EQ(c0.kind, dm::ConditionKind::kU32);
  EXPECT_EQ(c0.u32, 2u);
  const dm::Condition c1 = m.condition(m.bind(0).first_condition + 1);
  EXPECT_EQ(c1.kind, dm::ConditionKind::kString);
  EXPECT_STREQ(c1.string, "mmio");
  EXPECT_EQ(m.condition(m.bind(0).first_condition + 2).kind, dm::ConditionKind::kPresent);
  EXPECT_STREQ(m.bind(1).compatible, "mica,fake-block");
  EXPECT_EQ(m.bind(1).condition_count, 0u);
  EXPECT_EQ(m.condition(m.bind(2).first_condition).u32, 0x10u);
  EXPECT_EQ(m.restart().max_restarts, 3u);
  EXPECT_EQ(m.restart().window_ns, 60'000'000'000u);
  EXPECT_EQ(m.restart().backoff_initial_ns, 5'000'000u);
  EXPECT_EQ(m.restart().backoff_max_ns, 500'000'000u);
  EXPECT_EQ(m.restart().stable_ns, 20'000'000'000u);
  EXPECT_EQ(m.liveness_ns(), 250'000'000u);
  EXPECT_TRUE(m.grants_console());
  EXPECT_TRUE(m.grants_power());
}

TEST(Manifestc, MinimalManifestGetsTheDocumentedDefaults) {
  const std::vector<uint8_t> bytes = CompileGood("minimal");
  dm::Manifest m;
  dm::Error err;
  ASSERT_EQ(dm::ParseManifest(bytes.data(), bytes.size(), &m, &err), dm::Status::kOk)
      << err.message;
  EXPECT_STREQ(m.name(), "pl011");
  EXPECT_EQ(m.argument(), nullptr);
  ASSERT_EQ(m.bind_count(), 1u);
  EXPECT_STREQ(m.bind(0).compatible, "arm,pl011");
  const dm::RestartPolicy defaults;  // manifest.h's defaults are the documented ones
  EXPECT_EQ(m.restart().max_restarts, defaults.max_restarts);
  EXPECT_EQ(m.restart().window_ns, defaults.window_ns);
  EXPECT_EQ(m.restart().backoff_initial_ns, defaults.backoff_initial_ns);
  EXPECT_EQ(m.restart().backoff_max_ns, defaults.backoff_max_ns);
  EXPECT_EQ(m.restart().stable_ns, defaults.stable_ns);
  EXPECT_EQ(m.liveness_ns(), 0u);
  EXPECT_FALSE(m.grants_console());
  EXPECT_FALSE(m.grants_power());
}

TEST(Manifestc, MissingInputIsAnError) {
  const ToolRun r = Manifestc("/nonexistent/x.manifest -o " + TempOutput("missing"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.output.rfind("/nonexistent/x.manifest: ", 0), 0u) << r.output;
}

}  // namespace
