// timer_bind (docs/syscalls.md, "Timers").
#include <string.h>

#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define MS ((mica_time_t)1000000)

static mica_handle_t make_timer(void) {
  mica_handle_t t = MICA_HANDLE_INVALID;
  ct_note_status(__FILE_NAME__, __LINE__, "mica_timer_create", mica_timer_create(0, &t));
  return t;
}

static mica_handle_t make_port(void) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ct_note_status(__FILE_NAME__, __LINE__, "mica_port_create", mica_port_create(0, &port));
  return port;
}

TEST(timer_bind, expiry_queues_a_timer_packet) {
  mica_handle_t timer = make_timer(), port = make_port();
  ASSERT_OK(mica_timer_bind(timer, port, 77, 0));
  mica_time_t deadline = ct_now() + 5 * MS;
  ASSERT_OK(mica_timer_set(timer, deadline, 0));
  mica_port_packet_t pkt;
  ASSERT_OK(mica_port_wait(port, ct_now() + 2000 * MS, &pkt));
  EXPECT_EQ(pkt.key, 77u);
  EXPECT_EQ(pkt.type, MICA_PKT_TYPE_TIMER);
  EXPECT_EQ(pkt.status, MICA_OK);
  EXPECT_EQ(pkt.timer.deadline, deadline);
  EXPECT_GE(pkt.timer.fired, deadline);
  EXPECT_LE(pkt.timer.fired, ct_now());
  // The timer is signaled as well.
  EXPECT_EQ(ct_signals(timer) & MICA_TIMER_SIGNALED, MICA_TIMER_SIGNALED);
  EXPECT_OK(mica_handle_close(timer));
  EXPECT_OK(mica_handle_close(port));
}

TEST(timer_bind, every_expiry_queues_one_packet) {
  mica_handle_t timer = make_timer(), port = make_port();
  ASSERT_OK(mica_timer_bind(timer, port, 5, 0));
  mica_port_packet_t pkt;
  for (int i = 0; i < 3; i++) {
    mica_time_t deadline = ct_now() + 2 * MS;
    ASSERT_OK(mica_timer_set(timer, deadline, 0));
    ASSERT_OK(mica_port_wait(port, ct_now() + 2000 * MS, &pkt));
    EXPECT_EQ(pkt.type, MICA_PKT_TYPE_TIMER);
    EXPECT_EQ(pkt.timer.deadline, deadline);
  }
  EXPECT_STATUS(mica_port_wait(port, ct_now() + 20 * MS, &pkt), MICA_ERR_TIMED_OUT);
  // A deadline already past fires at once.
  ASSERT_OK(mica_timer_set(timer, 0, 0));
  ASSERT_OK(mica_port_wait(port, ct_now() + 2000 * MS, &pkt));
  EXPECT_EQ(pkt.key, 5u);
  EXPECT_OK(mica_handle_close(timer));
  EXPECT_OK(mica_handle_close(port));
}

TEST(timer_bind, canceled_timer_queues_nothing) {
  mica_handle_t timer = make_timer(), port = make_port();
  ASSERT_OK(mica_timer_bind(timer, port, 1, 0));
  ASSERT_OK(mica_timer_set(timer, ct_now() + 30 * MS, 0));
  ASSERT_OK(mica_timer_cancel(timer));
  mica_port_packet_t pkt;
  EXPECT_STATUS(mica_port_wait(port, ct_now() + 80 * MS, &pkt), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(timer));
  EXPECT_OK(mica_handle_close(port));
}

TEST(timer_bind, closing_the_timer_drops_its_packet) {
  mica_handle_t timer = make_timer(), port = make_port();
  ASSERT_OK(mica_timer_bind(timer, port, 1, 0));
  ASSERT_OK(mica_timer_set(timer, 0, 0));  // fires now: the packet is queued
  EXPECT_OK(mica_handle_close(timer));
  mica_port_packet_t pkt;
  EXPECT_STATUS(mica_port_wait(port, ct_now() + 20 * MS, &pkt), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_handle_close(port));
}

TEST(timer_bind, the_timer_outlives_its_port_handle) {
  mica_handle_t timer = make_timer(), port = make_port();
  ASSERT_OK(mica_timer_bind(timer, port, 1, 0));
  EXPECT_OK(mica_handle_close(port));
  ASSERT_OK(mica_timer_set(timer, ct_now() + 2 * MS, 0));
  mica_signals_t seen = 0;
  EXPECT_OK(mica_object_wait_one(timer, MICA_TIMER_SIGNALED, ct_now() + 2000 * MS, &seen));
  ASSERT_OK(mica_timer_set(timer, 0, 0));
  EXPECT_OK(mica_handle_close(timer));
}

TEST(timer_bind, bound_only_once) {
  mica_handle_t timer = make_timer(), port = make_port(), port2 = make_port();
  ASSERT_OK(mica_timer_bind(timer, port, 1, 0));
  EXPECT_STATUS(mica_timer_bind(timer, port, 1, 0), MICA_ERR_ALREADY_BOUND);
  EXPECT_STATUS(mica_timer_bind(timer, port2, 2, 0), MICA_ERR_ALREADY_BOUND);
  EXPECT_OK(mica_handle_close(timer));
  EXPECT_OK(mica_handle_close(port));
  EXPECT_OK(mica_handle_close(port2));
}

TEST(timer_bind, argument_and_handle_errors) {
  mica_handle_t timer = make_timer(), port = make_port(), ev CT_AUTO_CLOSE = ct_event();
  EXPECT_STATUS(mica_timer_bind(timer, port, 1, 1), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_timer_bind(timer, port, 1, 0x80000000u), MICA_ERR_INVALID_ARGS);
  EXPECT_STATUS(mica_timer_bind(MICA_HANDLE_INVALID, port, 1, 0), MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(mica_timer_bind(timer, MICA_HANDLE_INVALID, 1, 0), MICA_ERR_BAD_HANDLE);
  EXPECT_STATUS(mica_timer_bind(ev, port, 1, 0), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_timer_bind(timer, ev, 1, 0), MICA_ERR_WRONG_TYPE);
  mica_handle_t ro_timer CT_AUTO_CLOSE = ct_dup(timer, MICA_RIGHTS_BASIC);
  mica_handle_t ro_port CT_AUTO_CLOSE = ct_dup(port, MICA_RIGHTS_BASIC | MICA_RIGHT_READ);
  EXPECT_STATUS(mica_timer_bind(ro_timer, port, 1, 0), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_timer_bind(timer, ro_port, 1, 0), MICA_ERR_ACCESS_DENIED);
  // Nothing was bound by the refused calls.
  EXPECT_OK(mica_timer_bind(timer, port, 1, 0));
  EXPECT_OK(mica_handle_close(timer));
  EXPECT_OK(mica_handle_close(port));
}

TEST(timer_bind, timers_share_a_port) {
  mica_handle_t t1 = make_timer(), t2 = make_timer(), port = make_port();
  ASSERT_OK(mica_timer_bind(t1, port, 1, 0));
  ASSERT_OK(mica_timer_bind(t2, port, 2, 0));
  mica_time_t now = ct_now();
  ASSERT_OK(mica_timer_set(t2, now + 2 * MS, 0));
  ASSERT_OK(mica_timer_set(t1, now + 30 * MS, 0));
  mica_port_packet_t pkt;
  ASSERT_OK(mica_port_wait(port, ct_now() + 2000 * MS, &pkt));
  EXPECT_EQ(pkt.key, 2u);
  ASSERT_OK(mica_port_wait(port, ct_now() + 2000 * MS, &pkt));
  EXPECT_EQ(pkt.key, 1u);
  EXPECT_GE(pkt.timer.fired, now + 30 * MS);
  EXPECT_OK(mica_handle_close(t1));
  EXPECT_OK(mica_handle_close(t2));
  EXPECT_OK(mica_handle_close(port));
}
