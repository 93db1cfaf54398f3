// object_get_info (HANDLE_VALID, HANDLE_BASIC) and object_get_property /
// object_set_property (MICA_PROP_NAME) (docs/syscalls.md, "Objects").
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

// ---- object_get_info -------------------------------------------------------

TEST(get_info, handle_valid) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_object_get_info(ev, MICA_INFO_HANDLE_VALID, NULL, 0, NULL, NULL));
  ASSERT_OK(mica_handle_close(ev));
  EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_HANDLE_VALID, NULL, 0, NULL, NULL),
                MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(
      mica_object_get_info(MICA_HANDLE_INVALID, MICA_INFO_HANDLE_VALID, NULL, 0, NULL, NULL),
      MICA_ERR_BAD_HANDLE);
}

TEST(get_info, basic_event) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_info_handle_basic_t info;
  memset(&info, 0xcc, sizeof(info));
  size_t actual = 99, avail = 99;
  ASSERT_OK(mica_object_get_info(ev, MICA_INFO_HANDLE_BASIC, &info, sizeof(info), &actual, &avail));
  EXPECT_EQ(actual, 1);
  EXPECT_EQ(avail, 1);
  EXPECT_NE(info.koid, MICA_KOID_INVALID);
  EXPECT_EQ(info.related_koid, 0);
  EXPECT_EQ(info.rights, MICA_DEFAULT_EVENT_RIGHTS);
  EXPECT_EQ(info.type, MICA_OBJ_TYPE_EVENT);
  EXPECT_OK(mica_handle_close(ev));
}

// Each channel endpoint names the other as its related object.
TEST(get_info, basic_channel_related_koids) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_info_handle_basic_t ia = ct_basic(a), ib = ct_basic(b);
  EXPECT_EQ(ia.type, MICA_OBJ_TYPE_CHANNEL);
  EXPECT_EQ(ib.type, MICA_OBJ_TYPE_CHANNEL);
  EXPECT_EQ(ia.rights, MICA_DEFAULT_CHANNEL_RIGHTS);
  EXPECT_EQ(ib.rights, MICA_DEFAULT_CHANNEL_RIGHTS);
  EXPECT_NE(ia.koid, ib.koid);
  EXPECT_EQ(ia.related_koid, ib.koid);
  EXPECT_EQ(ib.related_koid, ia.koid);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(get_info, basic_eventpair_related_koids) {
  mica_handle_t a, b;
  ct_eventpair(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_info_handle_basic_t ia = ct_basic(a), ib = ct_basic(b);
  EXPECT_EQ(ia.type, MICA_OBJ_TYPE_EVENTPAIR);
  EXPECT_EQ(ia.rights, MICA_DEFAULT_EVENTPAIR_RIGHTS);
  EXPECT_EQ(ib.rights, MICA_DEFAULT_EVENTPAIR_RIGHTS);
  EXPECT_EQ(ia.related_koid, ib.koid);
  EXPECT_EQ(ib.related_koid, ia.koid);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// Koids are never reused: every new object has a koid no earlier one had.
TEST(get_info, koids_unique) {
  enum { kCount = 64 };
  mica_koid_t koids[kCount];
  for (int i = 0; i < kCount; i++) {
    mica_handle_t ev = ct_event();
    ASSERT_NE(ev, MICA_HANDLE_INVALID);
    koids[i] = ct_basic(ev).koid;
    ASSERT_OK(mica_handle_close(ev));  // freed before the next is made
    EXPECT_NE(koids[i], MICA_KOID_INVALID);
    for (int j = 0; j < i; j++) {
      EXPECT_NE(koids[i], koids[j]);
    }
  }
}

// HANDLE_VALID and HANDLE_BASIC need no rights.
TEST(get_info, basic_needs_no_rights) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t bare = ct_dup(ev, MICA_RIGHT_NONE);
  ASSERT_NE(bare, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_object_get_info(bare, MICA_INFO_HANDLE_VALID, NULL, 0, NULL, NULL));
  mica_info_handle_basic_t info;
  EXPECT_OK(mica_object_get_info(bare, MICA_INFO_HANDLE_BASIC, &info, sizeof(info), NULL, NULL));
  EXPECT_EQ(info.rights, MICA_RIGHT_NONE);
  EXPECT_EQ(info.type, MICA_OBJ_TYPE_EVENT);
  EXPECT_OK(mica_handle_close(bare));
  EXPECT_OK(mica_handle_close(ev));
}

// A buffer smaller than the record: BUFFER_TOO_SMALL, `avail` written.
TEST(get_info, basic_buffer_too_small) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  uint8_t buf[sizeof(mica_info_handle_basic_t)];
  size_t avail = 99;
  EXPECT_STATUS(
      mica_object_get_info(ev, MICA_INFO_HANDLE_BASIC, buf, sizeof(buf) - 1, NULL, &avail),
      MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(avail, 1);
  avail = 99;
  EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_HANDLE_BASIC, NULL, 0, NULL, &avail),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(avail, 1);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(get_info, basic_larger_buffer_ok) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  uint8_t buf[64];
  size_t actual = 0;
  EXPECT_OK(mica_object_get_info(ev, MICA_INFO_HANDLE_BASIC, buf, sizeof(buf), &actual, NULL));
  EXPECT_EQ(actual, 1);
  mica_info_handle_basic_t info;
  memcpy(&info, buf, sizeof(info));
  EXPECT_EQ(info.type, MICA_OBJ_TYPE_EVENT);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(get_info, basic_misaligned_buffer) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  _Alignas(8) uint8_t buf[sizeof(mica_info_handle_basic_t) + 8];
  _Alignas(8) uint8_t sizes[24];
  ASSERT_OK(mica_object_get_info(ev, MICA_INFO_HANDLE_BASIC, buf + 1,
                                 sizeof(mica_info_handle_basic_t), (size_t*)(sizes + 1),
                                 (size_t*)(sizes + 13)));
  mica_info_handle_basic_t info;
  memcpy(&info, buf + 1, sizeof(info));
  EXPECT_EQ(info.type, MICA_OBJ_TYPE_EVENT);
  EXPECT_EQ(info.koid, ct_basic(ev).koid);
  size_t actual, avail;
  memcpy(&actual, sizes + 1, sizeof(actual));
  memcpy(&avail, sizes + 13, sizeof(avail));
  EXPECT_EQ(actual, 1);
  EXPECT_EQ(avail, 1);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(get_info, basic_bad_handle) {
  mica_info_handle_basic_t info;
  EXPECT_STATUS(mica_object_get_info(MICA_HANDLE_INVALID, MICA_INFO_HANDLE_BASIC, &info,
                                     sizeof(info), NULL, NULL),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t ev = ct_event();
  ASSERT_OK(mica_handle_close(ev));
  EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_HANDLE_BASIC, &info, sizeof(info), NULL, NULL),
                MICA_ERR_BAD_HANDLE);
}

TEST(get_info, basic_bad_buffer) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_HANDLE_BASIC, (void*)ct_bad_ptrs[i].addr,
                                       sizeof(mica_info_handle_basic_t), NULL, NULL),
                  MICA_ERR_INVALID_ARGS);
  }
  for (size_t i = 0; i < CT_READONLY_PTR_COUNT; i++) {
    ct_set_context(ct_readonly_ptrs[i].name);
    EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_HANDLE_BASIC, (void*)ct_readonly_ptrs[i].addr,
                                       sizeof(mica_info_handle_basic_t), NULL, NULL),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  // A buffer whose end runs into unmapped memory.
  void* tail = (void*)ct_last_bytes_of_image(sizeof(mica_info_handle_basic_t) - 1);
  EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_HANDLE_BASIC, tail,
                                     sizeof(mica_info_handle_basic_t), NULL, NULL),
                MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(get_info, basic_bad_actual_and_avail) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_info_handle_basic_t info;
  size_t ok = 0;
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    if (ct_bad_ptrs[i].addr == 0) {
      continue;  // NULL is allowed: nothing is written
    }
    ct_set_context(ct_bad_ptrs[i].name);
    size_t* bad = (size_t*)ct_bad_ptrs[i].addr;
    EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_HANDLE_BASIC, &info, sizeof(info), bad, &ok),
                  MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_HANDLE_BASIC, &info, sizeof(info), &ok, bad),
                  MICA_ERR_INVALID_ARGS);
  }
  for (size_t i = 0; i < CT_READONLY_PTR_COUNT; i++) {
    ct_set_context(ct_readonly_ptrs[i].name);
    size_t* ro = (size_t*)ct_readonly_ptrs[i].addr;
    EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_HANDLE_BASIC, &info, sizeof(info), ro, &ok),
                  MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_HANDLE_BASIC, &info, sizeof(info), &ok, ro),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(ev));
}

// The runtime's startup handles: the bootstrap channel and the debug log.
TEST(get_info, startup_handles) {
  mica_handle_t boot = mica_rt_bootstrap_channel();
  ASSERT_NE(boot, MICA_HANDLE_INVALID);
  mica_info_handle_basic_t info = ct_basic(boot);
  EXPECT_EQ(info.type, MICA_OBJ_TYPE_CHANNEL);
  EXPECT_EQ(info.rights, MICA_DEFAULT_CHANNEL_RIGHTS);
  EXPECT_NE(info.related_koid, 0);
  mica_handle_t log = mica_rt_debuglog();
  ASSERT_NE(log, MICA_HANDLE_INVALID);
  info = ct_basic(log);
  EXPECT_EQ(info.type, MICA_OBJ_TYPE_DEBUGLOG);
  // stdout writes through it.
  EXPECT_EQ(info.rights & MICA_RIGHT_WRITE, MICA_RIGHT_WRITE);
}

// ---- Properties: MICA_PROP_NAME ------------------------------------------

static bool name_is(mica_handle_t h, const char* want) {
  char name[MICA_MAX_NAME_LEN];
  memset(name, 0x7f, sizeof(name));
  if (mica_object_get_property(h, MICA_PROP_NAME, name, sizeof(name)) != MICA_OK) {
    return false;
  }
  // NUL-terminated and NUL-padded to MICA_MAX_NAME_LEN bytes.
  size_t n = strlen(want);
  if (memcmp(name, want, n) != 0) {
    return false;
  }
  for (size_t i = n; i < sizeof(name); i++) {
    if (name[i] != 0) {
      return false;
    }
  }
  return true;
}

TEST(property, new_object_has_empty_name) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_TRUE(name_is(ev, ""));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(property, name_round_trip) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_object_set_property(ev, MICA_PROP_NAME, "core-tests", 10));
  EXPECT_TRUE(name_is(ev, "core-tests"));
  // A shorter name replaces it entirely (no leftover bytes).
  EXPECT_OK(mica_object_set_property(ev, MICA_PROP_NAME, "ab", 2));
  EXPECT_TRUE(name_is(ev, "ab"));
  EXPECT_OK(mica_handle_close(ev));
}

// At most MICA_MAX_NAME_LEN - 1 bytes are kept.
TEST(property, name_truncated) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  const char* longer = "0123456789abcdefghijklmnopqrstuvwxyz";  // 36 bytes
  EXPECT_OK(mica_object_set_property(ev, MICA_PROP_NAME, longer, strlen(longer)));
  EXPECT_TRUE(name_is(ev, "0123456789abcdefghijklmnopqrstu"));  // 31 bytes
  // Exactly MICA_MAX_NAME_LEN - 1 bytes fit.
  EXPECT_OK(mica_object_set_property(ev, MICA_PROP_NAME, longer + 5, MICA_MAX_NAME_LEN - 1));
  EXPECT_TRUE(name_is(ev, "56789abcdefghijklmnopqrstuvwxyz"));
  EXPECT_OK(mica_handle_close(ev));
}

// The name stops at the first NUL.
TEST(property, name_stops_at_nul) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_object_set_property(ev, MICA_PROP_NAME, "ab\0cd", 5));
  EXPECT_TRUE(name_is(ev, "ab"));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(property, name_empty_value) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_set_property(ev, MICA_PROP_NAME, "x", 1));
  // value_size 0: the buffer is not accessed and may be NULL.
  EXPECT_OK(mica_object_set_property(ev, MICA_PROP_NAME, NULL, 0));
  EXPECT_TRUE(name_is(ev, ""));
  EXPECT_OK(mica_handle_close(ev));
}

// The name belongs to the object: every handle sees it, the peer of a
// pair has its own.
TEST(property, name_is_per_object) {
  mica_handle_t a, b;
  ct_eventpair(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  mica_handle_t dup = ct_dup(a, MICA_RIGHT_SAME_RIGHTS);
  ASSERT_NE(dup, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_object_set_property(a, MICA_PROP_NAME, "left", 4));
  EXPECT_TRUE(name_is(dup, "left"));
  EXPECT_TRUE(name_is(b, ""));
  EXPECT_OK(mica_object_set_property(b, MICA_PROP_NAME, "right", 5));
  EXPECT_TRUE(name_is(a, "left"));
  EXPECT_OK(mica_handle_close(dup));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

TEST(property, name_on_channel) {
  mica_handle_t a, b;
  ct_channel(&a, &b);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_object_set_property(a, MICA_PROP_NAME, "chan", 4));
  EXPECT_TRUE(name_is(a, "chan"));
  EXPECT_TRUE(name_is(b, ""));
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
}

// The value may be any readable memory, read-only included.
TEST(property, set_from_read_only_memory) {
  static const char kName[] = "rodata-name";
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_OK(mica_object_set_property(ev, MICA_PROP_NAME, kName, sizeof(kName)));
  EXPECT_TRUE(name_is(ev, "rodata-name"));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(property, get_buffer_too_small) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  char name[MICA_MAX_NAME_LEN];
  EXPECT_STATUS(mica_object_get_property(ev, MICA_PROP_NAME, name, MICA_MAX_NAME_LEN - 1),
                MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_STATUS(mica_object_get_property(ev, MICA_PROP_NAME, NULL, 0), MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(property, get_larger_buffer_ok) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_object_set_property(ev, MICA_PROP_NAME, "big", 3));
  char name[2 * MICA_MAX_NAME_LEN];
  EXPECT_OK(mica_object_get_property(ev, MICA_PROP_NAME, name, sizeof(name)));
  EXPECT_EQ(strcmp(name, "big"), 0);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(property, get_bad_buffer) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(
        mica_object_get_property(ev, MICA_PROP_NAME, (void*)ct_bad_ptrs[i].addr, MICA_MAX_NAME_LEN),
        MICA_ERR_INVALID_ARGS);
  }
  for (size_t i = 0; i < CT_READONLY_PTR_COUNT; i++) {
    ct_set_context(ct_readonly_ptrs[i].name);
    EXPECT_STATUS(mica_object_get_property(ev, MICA_PROP_NAME, (void*)ct_readonly_ptrs[i].addr,
                                           MICA_MAX_NAME_LEN),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_STATUS(mica_object_get_property(ev, MICA_PROP_NAME,
                                         (void*)ct_last_bytes_of_image(MICA_MAX_NAME_LEN - 1),
                                         MICA_MAX_NAME_LEN),
                MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(property, set_bad_buffer) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  for (size_t i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_object_set_property(ev, MICA_PROP_NAME, (const void*)ct_bad_ptrs[i].addr, 8),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(property, unknown_property_invalid_args) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  char value[64] = {0};
  static const uint32_t kUnknown[] = {0, MICA_PROP_JOB_MEMORY_LIMIT + 1, 100, 0xffffffffu};
  for (size_t i = 0; i < sizeof(kUnknown) / sizeof(kUnknown[0]); i++) {
    EXPECT_STATUS(mica_object_get_property(ev, kUnknown[i], value, sizeof(value)),
                  MICA_ERR_INVALID_ARGS);
    EXPECT_STATUS(mica_object_set_property(ev, kUnknown[i], value, 4), MICA_ERR_INVALID_ARGS);
  }
  EXPECT_OK(mica_handle_close(ev));
}

TEST(property, rights_required) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t get_only = ct_dup(ev, MICA_RIGHT_GET_PROPERTY);
  mica_handle_t set_only = ct_dup(ev, MICA_RIGHT_SET_PROPERTY);
  ASSERT_NE(get_only, MICA_HANDLE_INVALID);
  ASSERT_NE(set_only, MICA_HANDLE_INVALID);
  char name[MICA_MAX_NAME_LEN];
  EXPECT_STATUS(mica_object_set_property(get_only, MICA_PROP_NAME, "no", 2),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_object_get_property(set_only, MICA_PROP_NAME, name, sizeof(name)),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_object_set_property(set_only, MICA_PROP_NAME, "yes", 3));
  EXPECT_TRUE(name_is(get_only, "yes"));
  // The debug log handle has neither right.
  EXPECT_STATUS(mica_object_get_property(mica_rt_debuglog(), MICA_PROP_NAME, name, sizeof(name)),
                MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(get_only));
  EXPECT_OK(mica_handle_close(set_only));
  EXPECT_OK(mica_handle_close(ev));
}

TEST(property, bad_handle) {
  char name[MICA_MAX_NAME_LEN];
  EXPECT_STATUS(mica_object_get_property(MICA_HANDLE_INVALID, MICA_PROP_NAME, name, sizeof(name)),
                MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(mica_object_set_property(MICA_HANDLE_INVALID, MICA_PROP_NAME, "a", 1),
                MICA_ERR_BAD_HANDLE);
  mica_handle_t ev = ct_event();
  ASSERT_OK(mica_handle_close(ev));
  EXPECT_STATUS(mica_object_get_property(ev, MICA_PROP_NAME, name, sizeof(name)),
                MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(mica_object_set_property(ev, MICA_PROP_NAME, "a", 1), MICA_ERR_BAD_HANDLE);
}

// ---- object_get_info: other topics -------------------------------------------

TEST(get_info, unknown_topic_invalid_args) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  uint8_t buf[64];
  EXPECT_STATUS(mica_object_get_info(ev, 0, buf, sizeof(buf), NULL, NULL), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_BTI + 1, buf, sizeof(buf), NULL, NULL),
                MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_object_get_info(ev, 0xffffffffu, buf, sizeof(buf), NULL, NULL),
                MICA_ERR_INVALID_ARGS);
  EXPECT_OK(mica_handle_close(ev));
}

static uint32_t handle_count(mica_handle_t h) {
  mica_info_handle_count_t info = {0, 0};
  if (mica_object_get_info(h, MICA_INFO_HANDLE_COUNT, &info, sizeof(info), NULL, NULL) != MICA_OK) {
    return 0xffffffffu;
  }
  return info.handle_count;
}

TEST(get_info, handle_count) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  EXPECT_EQ(handle_count(ev), 1);
  mica_handle_t d1 = ct_dup(ev, MICA_RIGHT_SAME_RIGHTS);
  mica_handle_t d2 = ct_dup(ev, MICA_RIGHT_SAME_RIGHTS);
  EXPECT_EQ(handle_count(ev), 3);
  EXPECT_EQ(handle_count(d2), 3);
  EXPECT_OK(mica_handle_close(d1));
  EXPECT_EQ(handle_count(ev), 2);
  // Replacing keeps the count.
  mica_handle_t r = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_replace(d2, MICA_RIGHT_SAME_RIGHTS, &r));
  EXPECT_EQ(handle_count(ev), 2);
  EXPECT_OK(mica_handle_close(r));
  EXPECT_EQ(handle_count(ev), 1);
  EXPECT_OK(mica_handle_close(ev));
}

TEST(get_info, handle_count_errors) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_info_handle_count_t info;
  size_t avail = 0;
  EXPECT_STATUS(
      mica_object_get_info(ev, MICA_INFO_HANDLE_COUNT, &info, sizeof(info) - 1, NULL, &avail),
      MICA_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(avail, 1);
  mica_handle_t blind = ct_dup(ev, MICA_DEFAULT_EVENT_RIGHTS & ~MICA_RIGHT_INSPECT);
  ASSERT_NE(blind, MICA_HANDLE_INVALID);
  EXPECT_STATUS(
      mica_object_get_info(blind, MICA_INFO_HANDLE_COUNT, &info, sizeof(info), NULL, NULL),
      MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_handle_close(blind));
  EXPECT_OK(mica_handle_close(ev));
}

// The running process: started, not exited.
TEST(get_info, process_self) {
  mica_handle_t self = mica_rt_process_self();
  ASSERT_NE(self, MICA_HANDLE_INVALID);
  EXPECT_EQ(ct_basic(self).type, MICA_OBJ_TYPE_PROCESS);
  mica_info_process_t info;
  size_t actual = 0, avail = 0;
  ASSERT_OK(mica_object_get_info(self, MICA_INFO_PROCESS, &info, sizeof(info), &actual, &avail));
  EXPECT_EQ(actual, 1);
  EXPECT_EQ(avail, 1);
  EXPECT_EQ(info.flags & MICA_INFO_PROCESS_FLAG_STARTED, MICA_INFO_PROCESS_FLAG_STARTED);
  EXPECT_EQ(info.flags & (MICA_INFO_PROCESS_FLAG_EXITED | MICA_INFO_PROCESS_FLAG_KILLED |
                          MICA_INFO_PROCESS_FLAG_FAULTED),
            0);
  EXPECT_GT(info.start_time, 0);
  EXPECT_LE(info.start_time, ct_now());
}

// The job the program was started in lists this process.
TEST(get_info, job_processes_lists_self) {
  mica_handle_t job = mica_rt_job_default();
  ASSERT_NE(job, MICA_HANDLE_INVALID);
  EXPECT_EQ(ct_basic(job).type, MICA_OBJ_TYPE_JOB);
  mica_koid_t self = ct_basic(mica_rt_process_self()).koid;
  mica_koid_t koids[64];
  size_t actual = 0, avail = 0;
  ASSERT_OK(
      mica_object_get_info(job, MICA_INFO_JOB_PROCESSES, koids, sizeof(koids), &actual, &avail));
  EXPECT_GE(avail, 1);
  EXPECT_LE(actual, avail);
  bool found = false;
  for (size_t i = 0; i < actual; i++) {
    found = found || koids[i] == self;
  }
  EXPECT_TRUE(found);
  // A list topic with no room: success, nothing written, the count given.
  actual = 99;
  EXPECT_OK(mica_object_get_info(job, MICA_INFO_JOB_PROCESSES, NULL, 0, &actual, &avail));
  EXPECT_EQ(actual, 0);
  EXPECT_GE(avail, 1);
}

TEST(get_info, topic_for_another_type) {
  mica_handle_t ev = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  uint8_t buf[64];
  // Events carry INSPECT: only the type is wrong.
  EXPECT_STATUS(mica_object_get_info(ev, MICA_INFO_PROCESS, buf, sizeof(buf), NULL, NULL),
                MICA_ERR_WRONG_TYPE);
  // Events lack ENUMERATE: two errors apply.
  EXPECT_STATUS_EITHER(
      mica_object_get_info(ev, MICA_INFO_JOB_CHILDREN, buf, sizeof(buf), NULL, NULL),
      MICA_ERR_WRONG_TYPE, MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_object_get_info(mica_rt_process_self(), MICA_INFO_JOB_PROCESSES, buf,
                                     sizeof(buf), NULL, NULL),
                MICA_ERR_WRONG_TYPE);
  EXPECT_OK(mica_handle_close(ev));
}
