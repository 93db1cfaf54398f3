// Tests of gen_syscalls.py's parser: a well-formed definition generates the
// expected declarations, and each kind of malformed definition is rejected
// with exit status 1 and a `file:line:` message naming the problem (which is
// what fails the build).
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Result {
  int exit_code;
  std::string output;
};

class GeneratorTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("mica_gen_test_" + std::to_string(::getpid()) + "_" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result Run(const std::string& defs) {
    std::ofstream(dir_ / "defs.mica") << defs;
    std::string cmd = "python3 " MICA_PUBLIC_DIR "/gen_syscalls.py --defs '" +
                      (dir_ / "defs.mica").string() +
                      "' --status-h " MICA_PUBLIC_DIR "/mica/status.h --types-h " MICA_PUBLIC_DIR
                      "/mica/types.h --out-dir '" +
                      (dir_ / "out").string() + "' 2>&1";
    Result r{-1, ""};
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) {
      return r;
    }
    char buf[512];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
      r.output.append(buf, n);
    }
    int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  std::string Generated(const char* name) {
    std::ifstream in(dir_ / "out" / name);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fs::path dir_;
};

// One documented call, with the given declaration and doc tags.
std::string OneCall(const std::string& decl, const std::string& tags) {
  return "section Things\n/// Does a thing.\n///\n" + tags + decl + "\n";
}

TEST_F(GeneratorTest, WellFormedDefinitionGeneratesEveryOutput) {
  Result r =
      Run("//! # Title\n"
          "section Things\n"
          "/// Makes a thing.\n"
          "///\n"
          "/// @param options Must be 0.\n"
          "/// @param out Receives the thing.\n"
          "/// @status MICA_ERR_INVALID_ARGS `options` is not 0.\n"
          "syscall 1 thing_create(options: uint32, out: out_handle);\n"
          "/// Reads things.\n"
          "///\n"
          "/// @param h The thing.\n"
          "/// @param buf Receives them.\n"
          "/// @param n Capacity.\n"
          "syscall 2 thing_read(h: handle<channel|port, READ|WAIT>,\n"
          "                     buf: out_array<mica_wait_item_t>(n), n: size) blocking;\n");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string h = Generated("mica/syscalls.h");
  EXPECT_NE(h.find("#define MICA_SYS_THING_CREATE 1\n"), std::string::npos);
  EXPECT_NE(h.find("mica_status_t mica_thing_create(uint32_t options, mica_handle_t* out);"),
            std::string::npos);
  EXPECT_NE(h.find("mica_status_t mica_thing_read(mica_handle_t h, mica_wait_item_t* buf, "
                   "size_t n);"),
            std::string::npos);
  // Statuses derived from the handle type are documented.
  EXPECT_NE(h.find("MICA_ERR_WRONG_TYPE: `h` is not a handle of type MICA_OBJ_TYPE_CHANNEL or "
                   "MICA_OBJ_TYPE_PORT."),
            std::string::npos);
  EXPECT_NE(h.find("MICA_ERR_ACCESS_DENIED: `h` lacks MICA_RIGHT_READ and MICA_RIGHT_WAIT."),
            std::string::npos);
  std::string decls = Generated("kernel/syscall_decls.h");
  EXPECT_NE(decls.find("mica::Status sys_thing_read(mica_handle_t h, "
                       "user_out_ptr<mica_wait_item_t> buf, size_t n);"),
            std::string::npos);
  std::string table = Generated("kernel/syscall_table.inc");
  // The entry turns the handler's mica::Status into the ABI's status.
  EXPECT_NE(table.find("return ToAbi(sys_thing_read("), std::string::npos) << table;
  // Only the 32-bit arguments (`options`, `h`) are checked.
  size_t first = table.find("if (a0 >> 32) {");
  ASSERT_NE(first, std::string::npos) << table;
  EXPECT_NE(table.find("if (a0 >> 32) {", first + 1), std::string::npos) << table;
  EXPECT_EQ(table.find("a1) >> 32"), std::string::npos) << table;
  EXPECT_EQ(table.find("a1 >> 32"), std::string::npos) << table;
  std::string stubs = Generated("syscall_stubs.S");
  EXPECT_NE(stubs.find(".section .text.mica_thing_read,\"ax\",%progbits"), std::string::npos);
  std::string md = Generated("syscalls.md");
  EXPECT_EQ(md.rfind("<!-- Generated", 0), 0u);
  EXPECT_NE(md.find("### mica_thing_read"), std::string::npos);
}

struct BadCase {
  const char* name;
  std::string defs;
  const char* message;  // expected in the output, after "defs.mica:<line>: "
};

class GeneratorRejects : public GeneratorTest, public testing::WithParamInterface<BadCase> {};

TEST_P(GeneratorRejects, MalformedDefinition) {
  const BadCase& c = GetParam();
  Result r = Run(c.defs);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("defs.mica:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

const std::string kGoodParam = "/// @param a An argument.\n";

INSTANTIATE_TEST_SUITE_P(
    Parser, GeneratorRejects,
    testing::Values(
        BadCase{"DuplicateNumber",
                OneCall("syscall 1 a(a: uint32);\n/// B.\nsyscall 1 b();", kGoodParam),
                "number 1 already used by `a`"},
        BadCase{"DuplicateName",
                OneCall("syscall 1 a(a: uint32);\n/// B.\nsyscall 2 a();", kGoodParam),
                "syscall `a` defined twice"},
        BadCase{"NumberGap", OneCall("syscall 2 a(a: uint32);", kGoodParam),
                "without gaps; 1 is missing"},
        BadCase{"UnknownType", OneCall("syscall 1 a(a: float);", kGoodParam),
                "unknown type `float`"},
        BadCase{"UndefinedElementType", OneCall("syscall 1 a(a: in_ptr<mica_nope_t>);", kGoodParam),
                "`mica_nope_t` is not defined in mica/types.h"},
        BadCase{"NonMicaElementType", OneCall("syscall 1 a(a: in_ptr<char>);", kGoodParam),
                "neither a scalar type nor a mica_*_t type"},
        BadCase{"MissingParamDoc", OneCall("syscall 1 a(a: uint32, b: uint64);", kGoodParam),
                "parameter `b` of `a` has no @param"},
        BadCase{"ParamDocForNothing", OneCall("syscall 1 a();", kGoodParam),
                "@param `a` is not a parameter"},
        BadCase{"UnknownStatus",
                OneCall("syscall 1 a(a: uint32);", kGoodParam + "/// @status MICA_ERR_NOPE x\n"),
                "`MICA_ERR_NOPE` is not a status code"},
        BadCase{"StatusWithoutCondition",
                OneCall("syscall 1 a(a: uint32);", kGoodParam + "/// @status MICA_ERR_IO\n"),
                "has no condition"},
        BadCase{"OkListedAsStatus",
                OneCall("syscall 1 a(a: uint32);", kGoodParam + "/// @status MICA_OK fine\n"),
                "MICA_OK is implied"},
        BadCase{"CountIsNotAParameter", OneCall("syscall 1 a(a: in_bytes(n));", kGoodParam),
                "counts with `n`, which is not a parameter"},
        BadCase{
            "CountOfWrongType",
            OneCall("syscall 1 a(a: in_bytes(n), n: int64);", kGoodParam + "/// @param n Size.\n"),
            "count `n` of `a` must be one of"},
        BadCase{"TooManyParameters",
                OneCall("syscall 1 a(a: uint32, b: uint32, c: uint32, d: uint32, e: uint32, "
                        "f: uint32, g: uint32, h: uint32, i: uint32);",
                        ""),
                "at most 8 fit x0..x7"},
        BadCase{"UnknownRight", OneCall("syscall 1 a(a: handle<port, FLY>);", kGoodParam),
                "unknown right `FLY`"},
        BadCase{"UnknownObjectType", OneCall("syscall 1 a(a: handle<teapot, READ>);", kGoodParam),
                "unknown object type `teapot`"},
        BadCase{"OptionalScalar", OneCall("syscall 1 a(a: uint32?);", kGoodParam),
                "applies to handles and pointers"},
        BadCase{"UnknownAttribute", OneCall("syscall 1 a(a: uint32) fast;", kGoodParam),
                "unknown attribute `fast`"},
        BadCase{"NoreturnWithStatus",
                OneCall("syscall 1 a(a: uint32) noreturn;",
                        kGoodParam + "/// @status MICA_ERR_IO broken\n"),
                "is noreturn and cannot list statuses"},
        BadCase{"NoDocComment", "section S\nsyscall 1 a();\n", "`a` has no doc comment"},
        BadCase{"NoSection", "/// A.\nsyscall 1 a();\n", "syscall before any `section`"},
        BadCase{"MissingSemicolon", OneCall("syscall 1 a(a: uint32)", kGoodParam),
                "declaration without `;`"},
        BadCase{"MalformedDeclaration", OneCall("syscall one a();", ""), "malformed declaration"},
        BadCase{"DuplicateParameter", OneCall("syscall 1 a(a: uint32, a: uint64);", kGoodParam),
                "parameter `a` given twice"},
        BadCase{"UnknownTag", OneCall("syscall 1 a();", "/// @returns 0\n"),
                "unknown doc tag @returns"},
        BadCase{"DanglingDoc", "section S\n/// Orphan.\n\n", "doc comment not followed"},
        BadCase{"StrayText", "section S\nfunction a();\n", "expected `syscall`"}),
    [](const testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

// Messages carry the line of the offending declaration.
TEST_F(GeneratorTest, ErrorsNameTheLine) {
  Result r = Run("section S\n/// A.\nsyscall 1 a();\n/// B.\nsyscall 1 b();\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("defs.mica:5: number 1 already used"), std::string::npos) << r.output;
}

}  // namespace
