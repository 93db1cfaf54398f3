// Helpers of the IDL host tests (wire_test_util.h).
#include "wire_test_util.h"

namespace idl_test {

using idl::idltest::Color;
using idl::idltest::Everything;
using idl::idltest::Flags;

Message CloneWithFreshHandles(const Message& m) {
  Message c;
  c.bytes = m.bytes;
  c.status = m.status;
  for (mica_handle_t h : m.handles) {
    mica_obj_type_t type = MICA_OBJ_TYPE_NONE;
    mica_rights_t rights = 0;
    EXPECT_EQ(FakeInfo(h, &type, &rights), MICA_OK);
    c.handles.push_back(NewHandle(type, rights));
  }
  return c;
}

void CloseAll(Message& m) {
  mica::idl::CloseHandles(m.handles.data(), static_cast<uint32_t>(m.handles.size()));
}

Everything FullEverything() {
  Everything v;
  v.b = true;
  v.i8 = -5;
  v.u16 = 0xBEEF;
  v.i32 = -123456;
  v.u64 = 0x0123456789ABCDEFull;
  v.color = Color::BLUE;
  v.flags = Flags::A | Flags::C;
  v.name.Set("hello");
  v.nick.Emplace().Set("nick");
  v.points.Push({1, -1});
  v.points.Push({2, -2});
  for (uint8_t i = 0; i < 5; ++i) {
    v.bytes.Push(static_cast<uint8_t>(0xA0 + i));
  }
  v.words.Emplace().Push(0xDEADBEEF);
  v.names.Push({});
  v.names[0].Set("one");
  v.names.Push({});
  v.names[1].Set("two2");
  v.inner.flag = true;
  v.inner.wide = 77;
  v.inner.label.Emplace().Set("lbl");
  v.maybe.Emplace().wide = 99;
  v.vmo.reset(NewHandle(MICA_OBJ_TYPE_VMO, MICA_RIGHT_READ | MICA_RIGHT_MAP | MICA_RIGHT_WRITE));
  v.events.Push(mica::Event(NewHandle(MICA_OBJ_TYPE_EVENT, MICA_RIGHT_WAIT)));
  v.events.Push(mica::Event(NewHandle(MICA_OBJ_TYPE_EVENT, MICA_RIGHT_SIGNAL)));
  for (int row = 0; row < 2; ++row) {
    for (int col = 0; col < 3; ++col) {
      v.matrix[static_cast<uint32_t>(row)][static_cast<uint32_t>(col)] =
          static_cast<int16_t>(row * 10 - col);
    }
  }
  v.corners[0] = {-7, 7};
  v.corners[1] = {8, -8};
  v.tags[0].Set("ab");
  v.tags[1].Set("\xC3\xA9");
  v.switches[0] = true;
  v.switches[2] = true;
  v.spare[0].reset(NewHandle(MICA_OBJ_TYPE_EVENT, MICA_RIGHT_WAIT));
  v.spare[1].reset(NewHandle(MICA_OBJ_TYPE_EVENT, MICA_RIGHT_WAIT));
  return v;
}

void ExpectFullEverything(const Everything& v) {
  EXPECT_TRUE(v.b);
  EXPECT_EQ(v.i8, -5);
  EXPECT_EQ(v.u16, 0xBEEF);
  EXPECT_EQ(v.i32, -123456);
  EXPECT_EQ(v.u64, 0x0123456789ABCDEFull);
  EXPECT_EQ(v.color, Color::BLUE);
  EXPECT_EQ(v.flags, Flags::A | Flags::C);
  EXPECT_TRUE(v.name.Equals("hello"));
  ASSERT_TRUE(v.nick.has_value);
  EXPECT_TRUE(v.nick.value.Equals("nick"));
  ASSERT_EQ(v.points.count, 2u);
  EXPECT_EQ(v.points[1].x, 2);
  EXPECT_EQ(v.points[1].y, -2);
  ASSERT_EQ(v.bytes.count, 5u);
  EXPECT_EQ(v.bytes[4], 0xA4);
  ASSERT_TRUE(v.words.has_value);
  ASSERT_EQ(v.words.value.count, 1u);
  EXPECT_EQ(v.words.value[0], 0xDEADBEEF);
  ASSERT_EQ(v.names.count, 2u);
  EXPECT_TRUE(v.names[0].Equals("one"));
  EXPECT_TRUE(v.names[1].Equals("two2"));
  EXPECT_TRUE(v.inner.flag);
  EXPECT_EQ(v.inner.wide, 77u);
  ASSERT_TRUE(v.inner.label.has_value);
  EXPECT_TRUE(v.inner.label.value.Equals("lbl"));
  ASSERT_TRUE(v.maybe.has_value);
  EXPECT_EQ(v.maybe.value.wide, 99u);
  EXPECT_FALSE(v.maybe.value.label.has_value);
  EXPECT_TRUE(v.vmo.is_valid());
  ASSERT_EQ(v.events.count, 2u);
  EXPECT_TRUE(v.events[0].is_valid());
  EXPECT_TRUE(v.events[1].is_valid());
  EXPECT_EQ(v.matrix[1][2], 8);
  EXPECT_EQ(v.matrix[0][1], -1);
  EXPECT_EQ(v.corners[0].x, -7);
  EXPECT_EQ(v.corners[1].y, -8);
  EXPECT_TRUE(v.tags[0].Equals("ab"));
  EXPECT_TRUE(v.tags[1].Equals("\xC3\xA9"));
  EXPECT_TRUE(v.switches[0] && !v.switches[1] && v.switches[2]);
  EXPECT_TRUE(v.spare[0].is_valid());
  EXPECT_TRUE(v.spare[1].is_valid());
}

}  // namespace idl_test
