#include "kernel/lib/result.h"

#include <string.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "kernel/lib/status.h"

namespace {

using mica::Result;
using mica::Status;

Result<int> Half(int x) {
  if (x % 2 != 0) {
    return Status::kInvalidArgs;
  }
  return x / 2;
}

Result<int> Quarter(int x) {
  int h = TRY(Half(x));
  return TRY(Half(h));
}

Status CheckEven(int x) {
  TRY(Half(x));
  return Status::kOk;
}

Result<void> CheckAll(int a, int b) {
  TRY(CheckEven(a));
  TRY(Result<void>(CheckEven(b)));
  return {};
}

TEST(Result, ValueAndError) {
  Result<int> r = Half(10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 5);
  EXPECT_EQ(*r, 5);
  EXPECT_EQ(r.status(), Status::kOk);
  Result<int> e = Half(3);
  EXPECT_TRUE(e.is_error());
  EXPECT_EQ(e.status(), Status::kInvalidArgs);
  EXPECT_EQ(e.error(), Status::kInvalidArgs);
  EXPECT_EQ(e.value_or(-1), -1);
}

TEST(Result, TryPropagates) {
  EXPECT_EQ(Quarter(12).value(), 3);
  EXPECT_EQ(Quarter(6).status(), Status::kInvalidArgs);
  EXPECT_EQ(Quarter(5).status(), Status::kInvalidArgs);
  EXPECT_EQ(CheckEven(4), Status::kOk);
  EXPECT_EQ(CheckEven(3), Status::kInvalidArgs);
  EXPECT_TRUE(CheckAll(2, 4).ok());
  EXPECT_EQ(CheckAll(2, 5).status(), Status::kInvalidArgs);
}

// Move-only values move through Result and TRY.
Result<std::unique_ptr<int>> MakeBox(int v) {
  if (v < 0) {
    return Status::kOutOfRange;
  }
  return std::make_unique<int>(v);
}

Result<int> Unbox(int v) {
  std::unique_ptr<int> box = TRY(MakeBox(v));
  return *box + 1;
}

TEST(Result, MoveOnlyValues) {
  EXPECT_EQ(Unbox(41).value(), 42);
  EXPECT_EQ(Unbox(-1).status(), Status::kOutOfRange);
  Result<std::unique_ptr<int>> a = MakeBox(3);
  Result<std::unique_ptr<int>> b = std::move(a);
  EXPECT_EQ(*b.value(), 3);
}

// Values with destructors are destroyed exactly once.
TEST(Result, CopyAssignDestroy) {
  auto counter = std::make_shared<int>(0);
  {
    Result<std::shared_ptr<int>> a(counter);
    EXPECT_EQ(counter.use_count(), 2);
    Result<std::shared_ptr<int>> b = a;
    EXPECT_EQ(counter.use_count(), 3);
    b = Result<std::shared_ptr<int>>(Status::kNoMemory);
    EXPECT_EQ(counter.use_count(), 2);
    b = a;
    EXPECT_EQ(counter.use_count(), 3);
    Result<std::string> s(std::string("text"));
    EXPECT_EQ(s->size(), 4u);
  }
  EXPECT_EQ(counter.use_count(), 1);
}

TEST(Status, Strings) {
  EXPECT_STREQ(mica::StatusString(Status::kOk), "Ok");
  EXPECT_STREQ(mica::StatusString(Status::kNoMemory), "NoMemory");
  EXPECT_STREQ(mica::StatusString(Status::kBufferTooSmall), "BufferTooSmall");
  EXPECT_STREQ(mica::StatusString(Status::kIoError), "IoError");
  EXPECT_STREQ(mica::StatusString(static_cast<Status>(-999)), "Unknown");
  // Every named code has a distinct name.
  const int codes[] = {0,   -1,  -2,  -3,  -4,  -10, -11, -12, -13, -14, -15, -20,
                       -21, -22, -23, -24, -25, -26, -27, -28, -30, -40, -41, -42};
  for (int a : codes) {
    EXPECT_STRNE(mica::StatusString(static_cast<Status>(a)), "Unknown") << a;
    for (int b : codes) {
      if (a != b) {
        EXPECT_STRNE(mica::StatusString(static_cast<Status>(a)),
                     mica::StatusString(static_cast<Status>(b)));
      }
    }
  }
}

TEST(ResultDeathTest, ValueOfErrorAsserts) {
  EXPECT_DEATH(
      {
        Result<int> r = Half(1);
        (void)r.value();
      },
      "value\\(\\) of a Result holding an error");
}

TEST(ResultDeathTest, OkWithoutValueAsserts) {
  EXPECT_DEATH({ Result<int> r(Status::kOk); }, "built from kOk");
}

}  // namespace
