// Tests of the kernel's printf formatter against the host's snprintf.
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel/lib/printf.h"

// The tests build formats at run time.
#pragma clang diagnostic ignored "-Wformat-nonliteral"
#pragma clang diagnostic ignored "-Wformat-security"

namespace {

template <typename... Args>
void ExpectSameAsHost(const std::string& fmt, Args... args) {
  char expect[600];
  char got[600];
  int e = snprintf(expect, sizeof(expect), fmt.c_str(), args...);
  int g = mica::SNPrintf(got, sizeof(got), fmt.c_str(), args...);
  ASSERT_EQ(g, e) << "format '" << fmt << "'";
  ASSERT_STREQ(got, expect) << "format '" << fmt << "'";
}

TEST(Printf, Literals) {
  ExpectSameAsHost("");
  ExpectSameAsHost("hello");
  ExpectSameAsHost("100%%");
  ExpectSameAsHost("%%%%x%%");
}

// Every combination of flags, width and precision for the integer
// conversions with every length modifier, on boundary values.
std::vector<std::string> IntegerSpecs(const char* conversions, const char* flags_allowed) {
  std::vector<std::string> specs;
  const std::string flag_chars = flags_allowed;
  const char* widths[] = {"", "1", "5", "23"};
  const char* precisions[] = {"", ".", ".0", ".1", ".4", ".25"};
  for (unsigned mask = 0; mask < (1u << flag_chars.size()); mask++) {
    std::string flags;
    for (size_t i = 0; i < flag_chars.size(); i++) {
      if (mask & (1u << i)) {
        flags += flag_chars[i];
      }
    }
    for (const char* w : widths) {
      for (const char* p : precisions) {
        for (const char* c = conversions; *c; c++) {
          specs.push_back(std::string("%") + flags + w + p + "@" + *c);
        }
      }
    }
  }
  return specs;
}

std::string WithLength(const std::string& spec, const char* length) {
  std::string s = spec;
  s.replace(s.find('@'), 1, length);
  return "[" + s + "]";
}

TEST(Printf, SignedIntegers) {
  const auto specs = IntegerSpecs("di", "-0 +");
  const long long values[] = {0, 1, -1, 7, -42, 123456, INT_MAX, INT_MIN, LLONG_MAX, LLONG_MIN};
  for (const auto& spec : specs) {
    for (long long v : values) {
      ExpectSameAsHost(WithLength(spec, ""), static_cast<int>(v));
      ExpectSameAsHost(WithLength(spec, "hh"), static_cast<int>(static_cast<signed char>(v)));
      ExpectSameAsHost(WithLength(spec, "h"), static_cast<int>(static_cast<short>(v)));
      ExpectSameAsHost(WithLength(spec, "l"), static_cast<long>(v));
      ExpectSameAsHost(WithLength(spec, "ll"), v);
      ExpectSameAsHost(WithLength(spec, "z"), static_cast<ssize_t>(v));
      ExpectSameAsHost(WithLength(spec, "t"), static_cast<ptrdiff_t>(v));
      ExpectSameAsHost(WithLength(spec, "j"), static_cast<intmax_t>(v));
    }
  }
}

TEST(Printf, UnsignedIntegers) {
  const auto specs = IntegerSpecs("uxXo", "-0#");
  const unsigned long long values[] = {
      0, 1, 7, 8, 0xff, 0x100, 0xdeadbeef, UINT_MAX, 0x7fffffffffffffffull, ULLONG_MAX};
  for (const auto& spec : specs) {
    for (unsigned long long v : values) {
      ExpectSameAsHost(WithLength(spec, ""), static_cast<unsigned>(v));
      ExpectSameAsHost(WithLength(spec, "hh"),
                       static_cast<unsigned>(static_cast<unsigned char>(v)));
      ExpectSameAsHost(WithLength(spec, "h"),
                       static_cast<unsigned>(static_cast<unsigned short>(v)));
      ExpectSameAsHost(WithLength(spec, "l"), static_cast<unsigned long>(v));
      ExpectSameAsHost(WithLength(spec, "ll"), v);
      ExpectSameAsHost(WithLength(spec, "z"), static_cast<size_t>(v));
      ExpectSameAsHost(WithLength(spec, "j"), static_cast<uintmax_t>(v));
    }
  }
}

TEST(Printf, PlusAndSpaceAreIgnoredForUnsigned) {
  char buf[32];
  // Held in a variable: clang rightly warns about these flags on literals.
  const char* fmt = "%+u % x";
  EXPECT_EQ(mica::SNPrintf(buf, sizeof(buf), fmt, 5u, 10u), 3);
  EXPECT_STREQ(buf, "5 a");
}

TEST(Printf, CharsAndStrings) {
  const char* strings[] = {"", "a", "hello", "a longer string of text"};
  const char* widths[] = {"", "1", "6", "30"};
  const char* precisions[] = {"", ".", ".0", ".3", ".40"};
  for (const char* flags : {"", "-"}) {
    for (const char* w : widths) {
      ExpectSameAsHost(std::string("[%") + flags + w + "c]", 'x');
      ExpectSameAsHost(std::string("[%") + flags + w + "c]", 0x141);  // converted to char
      for (const char* p : precisions) {
        for (const char* s : strings) {
          ExpectSameAsHost(std::string("[%") + flags + w + p + "s]", s);
        }
      }
    }
  }
}

TEST(Printf, NullString) {
  char buf[32];
  EXPECT_EQ(mica::SNPrintf(buf, sizeof(buf), "%s", static_cast<const char*>(nullptr)), 6);
  EXPECT_STREQ(buf, "(null)");
  EXPECT_EQ(mica::SNPrintf(buf, sizeof(buf), "[%8s]", static_cast<const char*>(nullptr)), 10);
  EXPECT_STREQ(buf, "[  (null)]");
  // Precision truncates "(null)" like any other string.
  EXPECT_EQ(mica::SNPrintf(buf, sizeof(buf), "%.3s", static_cast<const char*>(nullptr)), 3);
  EXPECT_STREQ(buf, "(nu");
}

TEST(Printf, Pointers) {
  int x;
  void* ptrs[] = {nullptr, &x, reinterpret_cast<void*>(0x1000),
                  reinterpret_cast<void*>(UINTPTR_MAX)};
  for (void* p : ptrs) {
    for (const char* spec : {"%p", "[%20p]", "[%-20p]", "[%3p]"}) {
      ExpectSameAsHost(spec, p);
    }
  }
}

TEST(Printf, StarWidthAndPrecision) {
  for (int width : {-12, -1, 0, 1, 7, 30}) {
    for (int precision : {-5, -1, 0, 1, 3, 12}) {
      ExpectSameAsHost("[%*.*d]", width, precision, -1234);
      ExpectSameAsHost("[%*.*x]", width, precision, 0xabcu);
      ExpectSameAsHost("[%-*.*s]", width, precision, "string");
      ExpectSameAsHost("[%0*d]", width, 99);
    }
  }
}

TEST(Printf, MixedRandomized) {
  std::mt19937_64 rng(12345);
  const char* flag_sets[] = {"", "-", "0", "+", " ", "#", "-+", "0 ", "-#", "0#"};
  for (int i = 0; i < 20000; i++) {
    std::string spec = "<%";
    int conv = static_cast<int>(rng() % 6);
    const char* flags = flag_sets[rng() % 10];
    bool is_signed = conv < 2;
    for (const char* f = flags; *f; f++) {
      // '#' is undefined for d/i; '+'/' ' are only meaningful for signed.
      if (*f == '#' && is_signed) {
        continue;
      }
      spec += *f;
    }
    if (rng() % 2) {
      spec += std::to_string(rng() % 30);
    }
    if (rng() % 2) {
      spec += "." + std::to_string(rng() % 30);
    }
    spec += "ll";
    spec += "dixXou"[conv];
    spec += ">";
    uint64_t v = rng() >> (rng() % 64);
    if (is_signed && (rng() % 2)) {
      ExpectSameAsHost(spec + "%s", -static_cast<long long>(v), "tail");
    } else {
      ExpectSameAsHost(spec + "%s", static_cast<unsigned long long>(v), "tail");
    }
  }
}

TEST(Printf, UnknownAndTruncatedConversions) {
  char buf[64];
  // Formats held in variables: clang rejects them as literals.
  for (const char* fmt : {"a%yb", "x%-5", "end%", "%lq"}) {
    EXPECT_EQ(mica::SNPrintf(buf, sizeof(buf), fmt), static_cast<int>(strlen(fmt))) << fmt;
    EXPECT_STREQ(buf, fmt);
  }
}

TEST(Printf, TruncationAndReturnValue) {
  char buf[8];
  memset(buf, 'z', sizeof(buf));
  EXPECT_EQ(mica::SNPrintf(buf, sizeof(buf), "%s-%d", "abcdef", 12345), 12);
  EXPECT_STREQ(buf, "abcdef-");
  memset(buf, 'z', sizeof(buf));
  EXPECT_EQ(mica::SNPrintf(buf, 1, "%d", 5), 1);
  EXPECT_EQ(buf[0], '\0');
  EXPECT_EQ(buf[1], 'z');
  EXPECT_EQ(mica::SNPrintf(nullptr, 0, "%d%s", 123, "abc"), 6);
  // Long padding goes out in several pieces.
  char big[300];
  EXPECT_EQ(mica::SNPrintf(big, sizeof(big), "%200d|%-70s|", 1, "x"), 272);
  char expect[300];
  snprintf(expect, sizeof(expect), "%200d|%-70s|", 1, "x");
  EXPECT_STREQ(big, expect);
}

// The callback interface: output arrives in pieces, in order.
struct Collector {
  std::string text;
  int calls = 0;
  static void Out(void* ctx, const char* s, size_t n) {
    auto* c = static_cast<Collector*>(ctx);
    c->text.append(s, n);
    c->calls++;
  }
};

TEST(Printf, FormatCallback) {
  Collector c;
  int n = mica::Format(&Collector::Out, &c, "cpu%u: %s at %#lx%c", 3u, "fault", 0xffff0000ul, '!');
  EXPECT_EQ(n, static_cast<int>(c.text.size()));
  EXPECT_EQ(c.text, "cpu3: fault at 0xffff0000!");
  EXPECT_GT(c.calls, 1);
  Collector empty;
  EXPECT_EQ(mica::Format(&Collector::Out, &empty, ""), 0);
  EXPECT_EQ(empty.calls, 0);
}

}  // namespace
