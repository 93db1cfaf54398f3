// The MCM1 reader (lib/manifest.h): a full manifest read back field by
// field, then one test per rejection rule, and whole classes of damage
// (every truncation, every single byte changed) against an oracle.
#include "system/core/component_manager/lib/manifest.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "system/core/component_manager/lib/test/builder.h"

namespace {

using cm_test::Builder;
using cm_test::Payload;

std::string S(const cm::Str& s) {
  return std::string(s.data, s.size);
}

cm::Status Parse(const std::vector<uint8_t>& bytes, cm::Manifest* m, std::string* why = nullptr) {
  // An exact-size heap copy (ASan catches any read past the end), kept
  // until the next Parse: the manifest points into it.
  static std::vector<uint8_t> copy;
  copy = bytes;
  copy.shrink_to_fit();
  cm::Error err;
  cm::Status s = cm::ParseManifest(copy.data(), copy.size(), m, &err);
  if (why != nullptr) {
    *why = err.message;
  }
  EXPECT_EQ(s, err.status);
  return s;
}

// Rejected, with a message containing `fragment`.
void ExpectReject(const std::vector<uint8_t>& bytes, const std::string& fragment) {
  auto* m = new cm::Manifest;
  std::string why;
  EXPECT_EQ(Parse(bytes, m, &why), cm::Status::kMalformed);
  EXPECT_NE(why.find(fragment), std::string::npos) << "message: " << why;
  delete m;
}

Builder Full() {
  Builder b;
  b.Program("bin/shell", {"--prompt", "x y"})
      .Child("log", "meta/log.cm", 1, 0)
      .Child("shell", "meta/shell.cm", 0, 2)
      .Collection("run", 1)
      .Capability("log.Reader")
      .Capability("data", 2)
      .Use("log.Sink")
      .Use("component.Realm", 4, "/svc/realm")
      .Offer("log.Sink", 3, "log", "shell")
      .Offer("log.Sink", 3, "log", "run", "log.Sink2")
      .Offer("component.Realm", 1, "", "shell")
      .Offer("log.Reader", 2, "", "shell")
      .Expose("log.Reader", 3, "log")
      .Expose("data", 2, "", "data2", 2);
  return b;
}

TEST(CmManifest, FullManifestReadsBack) {
  auto* m = new cm::Manifest;
  std::string why;
  ASSERT_EQ(Parse(Full().Finish(), m, &why), cm::Status::kOk) << why;
  ASSERT_TRUE(m->has_program);
  EXPECT_EQ(S(m->program.binary), "bin/shell");
  ASSERT_EQ(m->program.argc, 2);
  cm::Str a;
  ASSERT_TRUE(m->Arg(0, &a));
  EXPECT_EQ(S(a), "--prompt");
  ASSERT_TRUE(m->Arg(1, &a));
  EXPECT_EQ(S(a), "x y");
  EXPECT_FALSE(m->Arg(2, &a));
  ASSERT_EQ(m->child_count, 2u);
  EXPECT_EQ(S(m->children[0].name), "log");
  EXPECT_EQ(S(m->children[0].manifest), "meta/log.cm");
  EXPECT_EQ(m->children[0].startup, cm::Startup::kEager);
  EXPECT_EQ(m->children[0].on_terminate, cm::OnTerminate::kRestart);
  EXPECT_EQ(m->children[1].startup, cm::Startup::kLazy);
  EXPECT_EQ(m->children[1].on_terminate, cm::OnTerminate::kReboot);
  ASSERT_EQ(m->collection_count, 1u);
  EXPECT_EQ(S(m->collections[0].name), "run");
  EXPECT_EQ(m->collections[0].on_terminate, cm::OnTerminate::kIgnore);
  ASSERT_EQ(m->capability_count, 2u);
  EXPECT_EQ(m->capabilities[1].kind, cm::CapKind::kDirectory);
  ASSERT_EQ(m->use_count, 2u);
  EXPECT_EQ(S(m->uses[0].path), "/svc/log.Sink");
  EXPECT_EQ(m->uses[1].from.kind, cm::RefKind::kFramework);
  EXPECT_EQ(S(m->uses[1].path), "/svc/realm");
  ASSERT_EQ(m->offer_count, 4u);
  EXPECT_EQ(m->offers[0].from.kind, cm::RefKind::kChild);
  EXPECT_EQ(S(m->offers[0].from.name), "log");
  EXPECT_EQ(S(m->offers[0].to), "shell");
  EXPECT_EQ(S(m->offers[0].as), "log.Sink");  // empty `as` defaults to the name
  EXPECT_EQ(S(m->offers[1].as), "log.Sink2");
  EXPECT_EQ(m->offers[2].from.kind, cm::RefKind::kParent);
  EXPECT_EQ(m->offers[3].from.kind, cm::RefKind::kSelf);
  ASSERT_EQ(m->expose_count, 2u);
  EXPECT_EQ(S(m->exposes[0].as), "log.Reader");
  EXPECT_EQ(S(m->exposes[1].as), "data2");
  EXPECT_EQ(m->exposes[1].kind, cm::CapKind::kDirectory);
  EXPECT_NE(m->FindChild(m->children[1].name), nullptr);
  EXPECT_NE(m->FindCollection(m->collections[0].name), nullptr);
  EXPECT_EQ(m->FindChild(m->collections[0].name), nullptr);
  delete m;
}

TEST(CmManifest, EmptyManifestIsValid) {
  cm::Manifest* m = new cm::Manifest;
  EXPECT_EQ(Parse(Builder().Finish(), m), cm::Status::kOk);
  EXPECT_FALSE(m->has_program);
  delete m;
}

TEST(CmManifest, Header) {
  ExpectReject({}, "shorter than");
  ExpectReject(std::vector<uint8_t>(11, 0), "shorter than");
  ExpectReject(Full().Finish(0x324d434d), "bad magic");
  ExpectReject(Full().Finish(0x314d434d, 2), "version 2");
  ExpectReject(Full().Finish(0x314d434d, 0), "version 0");
  auto good = Full().Finish();
  auto b = Full();
  ExpectReject(b.FinishWith(0x314d434d, 1, 14, static_cast<uint32_t>(good.size() + 4)),
               "total_size");
  ExpectReject(b.FinishWith(0x314d434d, 1, 14, static_cast<uint32_t>(good.size() - 4)),
               "total_size");
}

TEST(CmManifest, RecordCountMismatch) {
  auto b = Full();
  auto good = b.Finish();
  // Fewer records announced than present: trailing bytes.
  ExpectReject(b.FinishWith(0x314d434d, 1, 13, static_cast<uint32_t>(good.size())),
               "trailing bytes");
  // More announced: the next record runs past the end.
  ExpectReject(b.FinishWith(0x314d434d, 1, 15, static_cast<uint32_t>(good.size())),
               "runs past the end");
}

TEST(CmManifest, TrailingBytes) {
  auto bytes = Full().Finish();
  for (int extra : {1, 4, 8}) {
    auto more = bytes;
    more.insert(more.end(), extra, 0);
    uint32_t total = static_cast<uint32_t>(more.size());
    memcpy(more.data() + 8, &total, 4);
    ExpectReject(more, "trailing bytes");
  }
}

TEST(CmManifest, RecordPastTheEnd) {
  // A payload length larger than what is left.
  Builder b;
  b.Record(4, Payload().U8(1).Str("a"));
  auto bytes = b.Finish();
  bytes[14] = 200;  // payload_len
  ExpectReject(bytes, "runs past the end");
}

TEST(CmManifest, UnknownKind) {
  for (uint16_t kind : {0, 8, 9, 0xffff}) {
    ExpectReject(Builder().Record(kind, Payload().U8(1)).Finish(), "unknown record kind");
  }
}

TEST(CmManifest, OutOfOrder) {
  ExpectReject(Builder().Capability("a").Child("c", "meta/c.cm").Finish(), "out of order");
  ExpectReject(Builder().Expose("a", 2, "").Use("a").Finish(), "out of order");
  ExpectReject(Builder().Child("c", "meta/c.cm").Program("bin/x").Finish(), "out of order");
  // Same kind repeated is in order.
  cm::Manifest* m = new cm::Manifest;
  EXPECT_EQ(Parse(Builder().Capability("a").Capability("b").Finish(), m), cm::Status::kOk);
  delete m;
}

TEST(CmManifest, TwoPrograms) {
  ExpectReject(Builder().Program("bin/a").Program("bin/b").Finish(), "more than 1 program");
}

TEST(CmManifest, TooManyOfAKind) {
  Builder ok, bad;
  for (int i = 0; i < 64; i++) {
    ok.Capability("c" + std::to_string(i));
    bad.Capability("c" + std::to_string(i));
  }
  bad.Capability("c64");
  cm::Manifest* m = new cm::Manifest;
  EXPECT_EQ(Parse(ok.Finish(), m), cm::Status::kOk);
  EXPECT_EQ(m->capability_count, 64u);
  delete m;
  ExpectReject(bad.Finish(), "more than 64 capability");
  Builder kids;
  for (int i = 0; i < 65; i++) {
    kids.Child("k" + std::to_string(i), "meta/k.cm");
  }
  ExpectReject(kids.Finish(), "more than 64 child");
}

TEST(CmManifest, StringLimits) {
  std::string name100(100, 'a');
  std::string name101(101, 'a');
  cm::Manifest* m = new cm::Manifest;
  EXPECT_EQ(Parse(Builder().Capability(name100).Finish(), m), cm::Status::kOk);
  delete m;
  ExpectReject(Builder().Capability(name101).Finish(), "invalid name");
  ExpectReject(Builder().Capability("").Finish(), "invalid name");
  // Over 255: rejected as a string before any name rule.
  ExpectReject(Builder().Program("bin/x", {std::string(256, 'a')}).Finish(), "string of 256");
  m = new cm::Manifest;
  EXPECT_EQ(Parse(Builder().Program("bin/x", {std::string(255, 'a')}).Finish(), m),
            cm::Status::kOk);
  delete m;
  // A string longer than its record.
  ExpectReject(Builder().Record(4, Payload().U8(1).U16(10).U8('a')).Finish(),
               "string runs past the record");
}

TEST(CmManifest, NotUtf8) {
  for (const char* b :
       {"\x80", "a\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\xff"}) {
    ExpectReject(Builder().Program("bin/x", {b}).Finish(), "not UTF-8");
  }
  ExpectReject(Builder().Program("bin/x", {std::string("a\0b", 3)}).Finish(), "not UTF-8");
  cm::Manifest* m = new cm::Manifest;
  EXPECT_EQ(Parse(Builder().Program("bin/x", {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"}).Finish(), m),
            cm::Status::kOk);
  delete m;
}

TEST(CmManifest, Names) {
  for (const char* n : {"A", "log.Sink", "a_b-c.9"}) {
    cm::Manifest* m = new cm::Manifest;
    EXPECT_EQ(Parse(Builder().Capability(n).Finish(), m), cm::Status::kOk) << n;
    delete m;
  }
  for (const char* n : {"a b", "a/b", "a:b", "\xc3\xa9"}) {
    ExpectReject(Builder().Capability(n).Finish(), "invalid name");
  }
  // Child and collection names: lower case, no '.', at most 32.
  for (const char* n : {"Log", "a.b", "", "abcdefghijabcdefghijabcdefghijabc"}) {
    ExpectReject(Builder().Child(n, "meta/a.cm").Finish(), "invalid child name");
    ExpectReject(Builder().Collection(n).Finish(), "invalid child name");
  }
  ExpectReject(Builder().Offer("a", 2, "", "Bad").Finish(), "invalid child name");
  ExpectReject(Builder().Offer("a", 2, "", "a", "b c").Finish(), "invalid name");
  ExpectReject(Builder().Expose("a", 2, "", "b/c").Finish(), "invalid name");
}

TEST(CmManifest, DuplicateChildNames) {
  ExpectReject(Builder().Child("a", "meta/a.cm").Child("a", "meta/b.cm").Finish(), "duplicate");
  ExpectReject(Builder().Child("a", "meta/a.cm").Collection("a").Finish(), "duplicate");
  ExpectReject(Builder().Collection("a").Collection("a").Finish(), "duplicate");
}

TEST(CmManifest, Paths) {
  for (const char* p : {"/bin/x", "", "bin//x", "bin/./x", "../x", "bin/x/", "bin x"}) {
    ExpectReject(Builder().Program(p).Finish(), "invalid bootfs path");
    ExpectReject(Builder().Child("a", p).Finish(), "invalid bootfs path");
  }
  std::string longest = "bin/" + std::string(99, 'x');  // 103 bytes: a bootfs name's limit
  cm::Manifest* m = new cm::Manifest;
  EXPECT_EQ(Parse(Builder().Program(longest).Finish(), m), cm::Status::kOk);
  delete m;
  ExpectReject(Builder().Program(longest + "x").Finish(), "invalid bootfs path");
  for (const char* p : {"svc/a", "/", "//a", "/svc/../a", "/svc/a/", "/svc/a b"}) {
    ExpectReject(Builder().Use("a", 1, p).Finish(), "invalid namespace path");
  }
}

TEST(CmManifest, UnknownEnums) {
  ExpectReject(Builder().Child("a", "meta/a.cm", 2, 0).Finish(), "unknown startup 2");
  ExpectReject(Builder().Child("a", "meta/a.cm", 0, 3).Finish(), "unknown on_terminate 3");
  ExpectReject(Builder().Collection("a", 3).Finish(), "unknown on_terminate 3");
  for (uint8_t k : {0, 3, 255}) {
    ExpectReject(Builder().Capability("a", k).Finish(), "unknown capability kind");
    ExpectReject(Builder().Use("a", 1, "", k).Finish(), "unknown capability kind");
  }
  for (uint8_t k : {0, 5, 255}) {
    ExpectReject(Builder().Offer("a", k, "", "b").Finish(), "unknown reference kind");
  }
}

TEST(CmManifest, ReferenceKindsPerRecord) {
  // use: parent or framework only.
  ExpectReject(Builder().Use("a", 2).Finish(), "not allowed");
  ExpectReject(Builder().Record(5, Payload().U8(1).Str("a").Ref(3, "c").Str("/svc/a")).Finish(),
               "not allowed");
  // offer: not from framework.
  ExpectReject(Builder().Offer("a", 4, "", "b").Finish(), "not allowed");
  // expose: self or child only.
  ExpectReject(Builder().Expose("a", 1, "").Finish(), "not allowed");
  ExpectReject(Builder().Expose("a", 4, "").Finish(), "not allowed");
  // A name only with a child reference, and a valid one there.
  ExpectReject(Builder().Offer("a", 2, "x", "b").Finish(), "non-child reference");
  ExpectReject(Builder().Offer("a", 3, "", "b").Finish(), "invalid child name");
}

TEST(CmManifest, PayloadMustBeConsumed) {
  ExpectReject(Builder().Record(4, Payload().U8(1).Str("a").U8(0)).Finish(), "unread bytes");
  ExpectReject(Builder().Record(3, Payload().Str("a")).Finish(), "past the record");
  ExpectReject(Builder().Record(1, Payload().Str("bin/x").U16(1)).Finish(), "past the record");
  ExpectReject(Builder().Record(1, Payload().Str("bin/x").U16(65)).Finish(), "65 arguments");
}

TEST(CmManifest, NonzeroPadding) {
  auto bytes = Builder().Capability("a").Finish();  // payload 4 bytes: 1+2+1, padded to 8
  ASSERT_EQ(bytes.size(), 12u + 4u + 4u);
  bytes[12 + 4 + 1 + 2 + 1 - 1] = 'a';                // the name itself: fine
  auto padded = Builder().Capability("ab").Finish();  // payload 5, 3 bytes of padding
  for (size_t i = padded.size() - 3; i < padded.size(); i++) {
    auto bad = padded;
    bad[i] = 1;
    ExpectReject(bad, "nonzero padding");
  }
}

// Every strict prefix (with total_size kept or fixed up) is rejected.
TEST(CmManifest, EveryTruncationRejected) {
  auto bytes = Full().Finish();
  for (size_t n = 0; n < bytes.size(); n++) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
    cm::Manifest* m = new cm::Manifest;
    EXPECT_EQ(Parse(cut, m), cm::Status::kMalformed) << n;
    if (n >= 12) {
      uint32_t total = static_cast<uint32_t>(n);
      memcpy(cut.data() + 8, &total, 4);
      EXPECT_EQ(Parse(cut, m), cm::Status::kMalformed) << "fixed-up " << n;
    }
    delete m;
  }
}

// Every single-byte change is either rejected or yields a manifest whose
// strings all lie inside the buffer and satisfy the rules again.
TEST(CmManifest, EverySingleByteChangeRejectedOrValid) {
  auto bytes = Full().Finish();
  size_t accepted = 0;
  for (size_t i = 0; i < bytes.size(); i++) {
    for (int v : {0x00, 0x01, 0x02, 0x03, 0x05, 0x08, 0x2e, 0x2f, 0x41, 0x7f, 0x80, 0xff}) {
      if (bytes[i] == v) {
        continue;
      }
      auto bad = bytes;
      bad[i] = static_cast<uint8_t>(v);
      cm::Manifest* m = new cm::Manifest;
      if (Parse(bad, m) == cm::Status::kOk) {
        accepted++;
        for (uint32_t k = 0; k < m->capability_count; k++) {
          EXPECT_TRUE(cm::ValidName(m->capabilities[k].name.data, m->capabilities[k].name.size));
        }
        for (uint32_t k = 0; k < m->child_count; k++) {
          EXPECT_TRUE(cm::ValidChildName(m->children[k].name.data, m->children[k].name.size));
        }
        for (uint32_t k = 0; k < m->offer_count; k++) {
          EXPECT_TRUE(cm::ValidName(m->offers[k].as.data, m->offers[k].as.size));
        }
      }
      delete m;
    }
  }
  // Changing a name's letter to another valid letter is accepted: the test
  // exercised both outcomes.
  EXPECT_GT(accepted, 0u);
}

TEST(CmManifest, Utf8Helper) {
  EXPECT_TRUE(cm::ValidUtf8("", 0));
  EXPECT_TRUE(cm::ValidUtf8("\xf4\x8f\xbf\xbf", 4));   // U+10FFFF
  EXPECT_FALSE(cm::ValidUtf8("\xf0\x8f\xbf\xbf", 4));  // overlong
  EXPECT_FALSE(cm::ValidUtf8("\xe0\x9f\xbf", 3));      // overlong
  EXPECT_TRUE(cm::ValidUtf8("\xed\x9f\xbf", 3));       // U+D7FF
  EXPECT_FALSE(cm::ValidUtf8("\xc1\xbf", 2));          // overlong
  EXPECT_FALSE(cm::ValidUtf8("\xc2", 1));              // truncated
  EXPECT_FALSE(cm::ValidUtf8("\xe2\x28\xa1", 3));      // bad continuation
}

}  // namespace
