// Shared between the C and C++ halves of runtime-test.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

enum rt_result { RT_OK, RT_FAILED, RT_SKIPPED };

void rt_report(const char* name, enum rt_result result, const char* why);

// runtime_test_cxx.cc: a namespace-scope object with a constructor was
// built before main; new/delete (plain, array, over-aligned) work.
int rt_cxx_static_ok(void);
int rt_cxx_new_delete_ok(void);

#ifdef __cplusplus
}
#endif
