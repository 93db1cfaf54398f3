// Tests of the kernel's C library (built as mica_libc_<name>) against the
// host's C library.
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel/lib/libc/libc_names.h"

namespace {

// memcpy/memmove/memset/memcmp over every small length and a range of
// alignments, so both the byte paths and the word paths run.
constexpr size_t kBuf = 256;

std::vector<unsigned char> Pattern(size_t n, unsigned seed) {
  std::vector<unsigned char> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) {
    b = static_cast<unsigned char>(rng());
  }
  return v;
}

TEST(LibcMem, MemcpyMatchesHost) {
  auto src = Pattern(kBuf, 1);
  for (size_t soff = 0; soff < 16; soff++) {
    for (size_t doff = 0; doff < 16; doff++) {
      for (size_t n = 0; n < 100; n++) {
        auto expect = Pattern(kBuf, 2);
        auto got = expect;
        memcpy(expect.data() + doff, src.data() + soff, n);
        void* r = mica_libc_memcpy(got.data() + doff, src.data() + soff, n);
        ASSERT_EQ(r, got.data() + doff);
        ASSERT_EQ(expect, got) << "soff=" << soff << " doff=" << doff << " n=" << n;
      }
    }
  }
}

TEST(LibcMem, MemmoveOverlapping) {
  for (size_t src = 0; src < 40; src++) {
    for (size_t dst = 0; dst < 40; dst++) {
      for (size_t n = 0; n + (src > dst ? src : dst) <= 120; n += 3) {
        auto expect = Pattern(kBuf, 3);
        auto got = expect;
        memmove(expect.data() + dst, expect.data() + src, n);
        void* r = mica_libc_memmove(got.data() + dst, got.data() + src, n);
        ASSERT_EQ(r, got.data() + dst);
        ASSERT_EQ(expect, got) << "src=" << src << " dst=" << dst << " n=" << n;
      }
    }
  }
}

TEST(LibcMem, MemsetMatchesHost) {
  for (size_t off = 0; off < 16; off++) {
    for (size_t n = 0; n < 120; n++) {
      for (int c : {0, 0x5a, 0xff, 0x1234}) {
        auto expect = Pattern(kBuf, 4);
        auto got = expect;
        memset(expect.data() + off, c, n);
        void* r = mica_libc_memset(got.data() + off, c, n);
        ASSERT_EQ(r, got.data() + off);
        ASSERT_EQ(expect, got) << "off=" << off << " n=" << n << " c=" << c;
      }
    }
  }
}

int Sign(int x) {
  return (x > 0) - (x < 0);
}

TEST(LibcMem, MemcmpMatchesHost) {
  auto a = Pattern(kBuf, 5);
  for (size_t aoff = 0; aoff < 9; aoff++) {
    for (size_t boff = 0; boff < 9; boff++) {
      for (size_t n = 0; n < 64; n++) {
        std::vector<unsigned char> b(kBuf);
        memcpy(b.data() + boff, a.data() + aoff, n);
        ASSERT_EQ(mica_libc_memcmp(a.data() + aoff, b.data() + boff, n), 0);
        for (size_t diff = 0; diff < n; diff++) {
          for (int delta : {1, -1, 0x80}) {
            auto c = b;
            c[boff + diff] = static_cast<unsigned char>(c[boff + diff] + delta);
            ASSERT_EQ(Sign(mica_libc_memcmp(a.data() + aoff, c.data() + boff, n)),
                      Sign(memcmp(a.data() + aoff, c.data() + boff, n)))
                << "aoff=" << aoff << " boff=" << boff << " n=" << n << " diff=" << diff;
          }
        }
      }
    }
  }
}

TEST(LibcMem, Memchr) {
  const char s[] = "hello\0world";
  EXPECT_EQ(mica_libc_memchr(s, 'o', sizeof(s)), s + 4);
  EXPECT_EQ(mica_libc_memchr(s, 'w', sizeof(s)), s + 6);
  EXPECT_EQ(mica_libc_memchr(s, '\0', sizeof(s)), s + 5);
  EXPECT_EQ(mica_libc_memchr(s, 'w', 6), nullptr);
  EXPECT_EQ(mica_libc_memchr(s, 'h' + 256, 3), s);
}

const char* const kStrings[] = {"",     "a",    "ab",    "abc",         "abd",   "abcd", "b",
                                "\xff", "\x7f", "a\xff", "hello world", "hello", "hellp"};

TEST(LibcStr, StrlenStrnlen) {
  for (const char* s : kStrings) {
    EXPECT_EQ(mica_libc_strlen(s), strlen(s)) << s;
    for (size_t max = 0; max < 14; max++) {
      EXPECT_EQ(mica_libc_strnlen(s, max), strnlen(s, max)) << s << " " << max;
    }
  }
}

TEST(LibcStr, StrcmpStrncmp) {
  for (const char* a : kStrings) {
    for (const char* b : kStrings) {
      EXPECT_EQ(Sign(mica_libc_strcmp(a, b)), Sign(strcmp(a, b))) << a << " vs " << b;
      for (size_t n = 0; n < 14; n++) {
        EXPECT_EQ(Sign(mica_libc_strncmp(a, b, n)), Sign(strncmp(a, b, n)))
            << a << " vs " << b << " n=" << n;
      }
    }
  }
}

TEST(LibcStr, StrchrStrrchr) {
  const char* s = "abcabc";
  for (int c : {int{'a'}, int{'b'}, int{'c'}, int{'d'}, 0, 'a' + 256}) {
    EXPECT_EQ(mica_libc_strchr(s, c), strchr(s, static_cast<char>(c))) << c;
    EXPECT_EQ(mica_libc_strrchr(s, c), strrchr(s, static_cast<char>(c))) << c;
  }
  EXPECT_EQ(mica_libc_strchr(s, '\0'), s + 6);
  EXPECT_EQ(mica_libc_strrchr("", 'a'), nullptr);
}

TEST(LibcStr, Strlcpy) {
  char buf[8];
  memset(buf, 'x', sizeof(buf));
  EXPECT_EQ(mica_libc_strlcpy(buf, "hello", sizeof(buf)), 5u);
  EXPECT_STREQ(buf, "hello");
  EXPECT_EQ(mica_libc_strlcpy(buf, "hello world", sizeof(buf)), 11u);
  EXPECT_STREQ(buf, "hello w");
  memset(buf, 'x', sizeof(buf));
  EXPECT_EQ(mica_libc_strlcpy(buf, "abc", 0), 3u);
  EXPECT_EQ(buf[0], 'x');
  EXPECT_EQ(mica_libc_strlcpy(buf, "abc", 1), 3u);
  EXPECT_EQ(buf[0], '\0');
  EXPECT_EQ(buf[1], 'x');
}

TEST(LibcStdlib, StrtolFamilyMatchesHost) {
  const char* inputs[] = {"0",
                          "42",
                          "  -17xyz",
                          "+9",
                          "0x1F",
                          "0X1fg",
                          "0x",
                          "0xg",
                          "017",
                          "08",
                          "z",
                          "Zz",
                          "",
                          "   ",
                          "-",
                          "9223372036854775807",
                          "9223372036854775808",
                          "-9223372036854775808",
                          "-9223372036854775809",
                          "18446744073709551615",
                          "18446744073709551616",
                          "-1",
                          "-18446744073709551615",
                          "99999999999999999999999",
                          "\t\n 123"};
  for (const char* s : inputs) {
    for (int base : {0, 2, 8, 10, 16, 36}) {
      char* host_end;
      char* our_end;
      EXPECT_EQ(mica_libc_strtol(s, &our_end, base), strtol(s, &host_end, base))
          << "'" << s << "' base " << base;
      EXPECT_EQ(our_end, host_end) << "'" << s << "' base " << base;
      EXPECT_EQ(mica_libc_strtoll(s, &our_end, base), strtoll(s, &host_end, base));
      EXPECT_EQ(our_end, host_end);
      EXPECT_EQ(mica_libc_strtoul(s, &our_end, base), strtoul(s, &host_end, base))
          << "'" << s << "' base " << base;
      EXPECT_EQ(our_end, host_end);
      EXPECT_EQ(mica_libc_strtoull(s, &our_end, base), strtoull(s, &host_end, base));
      EXPECT_EQ(our_end, host_end);
    }
  }
  EXPECT_EQ(mica_libc_strtoul("123", nullptr, 10), 123u);
  char* end;
  EXPECT_EQ(mica_libc_strtol("12", &end, 1), 0);
  EXPECT_STREQ(end, "12");
}

TEST(LibcStdlib, Abs) {
  EXPECT_EQ(mica_libc_abs(-5), 5);
  EXPECT_EQ(mica_libc_abs(5), 5);
  EXPECT_EQ(mica_libc_labs(-5L), 5L);
  EXPECT_EQ(mica_libc_llabs(LLONG_MIN + 1), LLONG_MAX);
}

TEST(LibcStdio, SnprintfWrappers) {
  char buf[16];
  EXPECT_EQ(mica_libc_snprintf(buf, sizeof(buf), "%d-%s", 42, "x"), 4);
  EXPECT_STREQ(buf, "42-x");
  EXPECT_EQ(mica_libc_snprintf(buf, 4, "%s", "truncated"), 9);
  EXPECT_STREQ(buf, "tru");
}

}  // namespace
