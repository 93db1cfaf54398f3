// object_get_child: a handle to a job's process or child job, or a
// process's thread, found by koid (docs/syscalls.md).
#include <string.h>

#include "system/core/core-tests/task_util.h"
#include "system/core/core-tests/test.h"

static mica_koid_t koid_of(mica_handle_t h) {
  mica_info_handle_basic_t info;
  memset(&info, 0, sizeof(info));
  if (mica_object_get_info(h, MICA_INFO_HANDLE_BASIC, &info, sizeof(info), NULL, NULL) != MICA_OK) {
    return 0;
  }
  return info.koid;
}

static mica_info_handle_basic_t basic(mica_handle_t h) {
  mica_info_handle_basic_t info;
  memset(&info, 0, sizeof(info));
  (void)mica_object_get_info(h, MICA_INFO_HANDLE_BASIC, &info, sizeof(info), NULL, NULL);
  return info;
}

TEST(get_child, processes_and_jobs_of_a_job) {
  mica_handle_t job CT_AUTO_KILL = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_job_create(mica_rt_job_default(), 0, &job));
  mica_handle_t sub CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_job_create(job, 0, &sub));
  mica_handle_t proc CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  mica_handle_t vmar CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_process_create(job, "ct-child", 8, 0, &proc, &vmar));
  mica_handle_t deep CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  mica_handle_t deep_vmar CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_process_create(sub, "ct-deep", 7, 0, &deep, &deep_vmar));

  // The process, by the koid JOB_PROCESSES lists.
  mica_koid_t koids[4];
  size_t actual = 0, avail = 0;
  ASSERT_OK(
      mica_object_get_info(job, MICA_INFO_JOB_PROCESSES, koids, sizeof(koids), &actual, &avail));
  ASSERT_EQ(actual, 1u);
  EXPECT_EQ(koids[0], koid_of(proc));
  mica_handle_t got CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_object_get_child(job, koids[0], MICA_RIGHT_SAME_RIGHTS, &got));
  mica_info_handle_basic_t b = basic(got);
  EXPECT_EQ(b.koid, koids[0]);
  EXPECT_EQ(b.type, MICA_OBJ_TYPE_PROCESS);
  EXPECT_EQ(b.rights, MICA_DEFAULT_PROCESS_RIGHTS);
  char name[MICA_MAX_NAME_LEN];
  ASSERT_OK(mica_object_get_property(got, MICA_PROP_NAME, name, sizeof(name)));
  EXPECT_EQ(strcmp(name, "ct-child"), 0);

  // The child job, by the koid JOB_CHILDREN lists.
  ASSERT_OK(
      mica_object_get_info(job, MICA_INFO_JOB_CHILDREN, koids, sizeof(koids), &actual, &avail));
  ASSERT_EQ(actual, 1u);
  EXPECT_EQ(koids[0], koid_of(sub));
  mica_handle_t got_job CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(
      mica_object_get_child(job, koids[0], MICA_RIGHT_INSPECT | MICA_RIGHT_ENUMERATE, &got_job));
  b = basic(got_job);
  EXPECT_EQ(b.koid, koid_of(sub));
  EXPECT_EQ(b.type, MICA_OBJ_TYPE_JOB);
  EXPECT_EQ(b.rights, MICA_RIGHT_INSPECT | MICA_RIGHT_ENUMERATE);
  // Through it, the grandchild; never from the grandparent directly.
  mica_handle_t got_deep CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  EXPECT_OK(mica_object_get_child(got_job, koid_of(deep), MICA_RIGHT_INSPECT, &got_deep));
  EXPECT_EQ(koid_of(got_deep), koid_of(deep));
  mica_handle_t none = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_object_get_child(job, koid_of(deep), MICA_RIGHT_SAME_RIGHTS, &none),
                MICA_ERR_NOT_FOUND);
  EXPECT_STATUS(mica_object_get_child(job, koid_of(job), MICA_RIGHT_SAME_RIGHTS, &none),
                MICA_ERR_NOT_FOUND);
  EXPECT_STATUS(mica_object_get_child(job, 0, MICA_RIGHT_SAME_RIGHTS, &none), MICA_ERR_NOT_FOUND);
  EXPECT_EQ(none, MICA_HANDLE_INVALID);

  // Killing through a found handle kills the process.
  mica_handle_t killer CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(
      mica_object_get_child(job, koid_of(proc), MICA_RIGHT_DESTROY | MICA_RIGHT_WAIT, &killer));
  EXPECT_OK(mica_task_kill(killer));
  EXPECT_OK(mica_object_wait_one(proc, MICA_TASK_TERMINATED, ct_patience(), NULL));
}

TEST(get_child, rights_never_grow) {
  mica_handle_t job CT_AUTO_KILL = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_job_create(mica_rt_job_default(), 0, &job));
  mica_handle_t proc CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  mica_handle_t vmar CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_process_create(job, "ct-rights", 9, 0, &proc, &vmar));
  mica_koid_t pk = koid_of(proc);
  mica_handle_t weak CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_duplicate(job, MICA_RIGHT_ENUMERATE | MICA_RIGHT_INSPECT, &weak));
  mica_handle_t got CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_object_get_child(weak, pk, MICA_RIGHT_SAME_RIGHTS, &got));
  EXPECT_EQ(basic(got).rights, MICA_RIGHT_ENUMERATE | MICA_RIGHT_INSPECT);
  mica_handle_t none = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_object_get_child(weak, pk, MICA_RIGHT_DESTROY, &none), MICA_ERR_ACCESS_DENIED);
  // Never more than the child's default rights (a process has no MANAGE_JOB).
  EXPECT_STATUS(mica_object_get_child(job, pk, MICA_RIGHT_MANAGE_JOB, &none),
                MICA_ERR_ACCESS_DENIED);
  // No ENUMERATE on the parent: refused.
  mica_handle_t blind CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_handle_duplicate(job, MICA_RIGHT_INSPECT, &blind));
  EXPECT_STATUS(mica_object_get_child(blind, pk, MICA_RIGHT_SAME_RIGHTS, &none),
                MICA_ERR_ACCESS_DENIED);
  // Not a job or process.
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();
  EXPECT_STATUS_EITHER(mica_object_get_child(ev, pk, MICA_RIGHT_SAME_RIGHTS, &none),
                       MICA_ERR_WRONG_TYPE, MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_object_get_child(MICA_HANDLE_INVALID, pk, MICA_RIGHT_SAME_RIGHTS, &none),
                MICA_ERR_BAD_HANDLE);
  EXPECT_EQ(none, MICA_HANDLE_INVALID);
}

static _Noreturn void wait_then_exit(uint64_t ev, uint64_t b) {
  (void)b;
  mica_object_wait_one((mica_handle_t)ev, MICA_EVENT_SIGNALED, MICA_TIME_INFINITE, NULL);
  mica_thread_exit();
}

TEST(get_child, threads_of_a_process) {
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();
  ASSERT_NE(ev, MICA_HANDLE_INVALID);
  mica_handle_t t CT_AUTO_KILL = ct_raw_thread_create("ct-child-thread");
  ASSERT_NE(t, MICA_HANDLE_INVALID);
  ASSERT_OK(ct_raw_thread_start(t, wait_then_exit, 0, ev, 0));
  EXPECT_TRUE(ct_wait_blocked(t));
  mica_koid_t tk = koid_of(t);
  mica_handle_t got CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_object_get_child(mica_rt_process_self(), tk, MICA_RIGHT_SAME_RIGHTS, &got));
  mica_info_handle_basic_t b = basic(got);
  EXPECT_EQ(b.koid, tk);
  EXPECT_EQ(b.type, MICA_OBJ_TYPE_THREAD);
  mica_info_thread_t info;
  ASSERT_OK(mica_object_get_info(got, MICA_INFO_THREAD, &info, sizeof(info), NULL, NULL));
  EXPECT_EQ(info.state, MICA_THREAD_STATE_BLOCKED);
  // Ended: no longer found.
  ASSERT_OK(mica_object_signal(ev, 0, MICA_EVENT_SIGNALED));
  EXPECT_OK(ct_wait_terminated(t));
  mica_handle_t none = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_object_get_child(mica_rt_process_self(), tk, MICA_RIGHT_SAME_RIGHTS, &none),
                MICA_ERR_NOT_FOUND);
}
