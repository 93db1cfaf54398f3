// interrupt_create, interrupt_bind, interrupt_ack and interrupt_wait
// (docs/syscalls.md, "Interrupts and resources"), with real interrupts: the
// test maps the GIC distributor (found in the devicetree the kernel passes
// as MICA_BOOTSTRAP_VMO_DTB) and makes the highest SPI pending through
// GICD_ISPENDR<n>, a line no device of the machines it runs on uses.
#include <mica/rt/runtime.h>
#include <mica/rt/thread.h>
#include <string.h>

#include "system/core/core-tests/dt.h"
#include "system/core/core-tests/test.h"
#include "system/core/core-tests/util.h"

#define PAGE ((uint64_t)MICA_PAGE_SIZE)
#define MS ((mica_time_t)1000000)
#define GICD_TYPER 0x004
#define GICD_ISPENDR 0x200

typedef struct {
  mica_handle_t vmo;
  mica_vaddr_t regs;  // the distributor's first page, mapped
  uint32_t spi;       // the line the tests use
} gicd_t;

static bool gicd_open(gicd_t* g) {
  uint64_t base, size;
  memset(g, 0, sizeof(*g));
  if (!ct_dt_gic_distributor(&base, &size)) {
    return false;
  }
  mica_status_t s = mica_vmo_create_physical(mica_rt_root_resource(), base, PAGE, &g->vmo);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_vmo_create_physical", s);
    return false;
  }
  s = mica_vmar_map(mica_rt_vmar_root(), MICA_VM_PERM_READ | MICA_VM_PERM_WRITE, 0, g->vmo, 0, PAGE,
                    &g->regs);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_vmar_map", s);
    mica_handle_close(g->vmo);
    return false;
  }
  uint32_t typer = *(volatile uint32_t*)(g->regs + GICD_TYPER);
  uint32_t lines = ((typer & 0x1f) + 1) * 32;
  if (lines > 1020) {
    lines = 1020;
  }
  g->spi = lines - 1;
  return true;
}

static void gicd_close(gicd_t* g) {
  if (g->regs != 0) {
    mica_vmar_unmap(mica_rt_vmar_root(), g->regs, PAGE);
    mica_handle_close(g->vmo);
    g->regs = 0;
  }
}

// Every test's gicd_t and interrupt handles are released however the test
// returns (an ASSERT included), so that the line is free for the next test.
#define GICD_AUTO_CLOSE __attribute__((cleanup(gicd_close)))

typedef struct {
  mica_handle_t irq;
  mica_status_t status;
  mica_time_t ts;
} waiter_t;
static void waiter_close(waiter_t* w);
#define WAITER_AUTO_CLOSE __attribute__((cleanup(waiter_close)))

// Makes the line pending, as a device raising it would.
static void gicd_fire(const gicd_t* g) {
  *(volatile uint32_t*)(g->regs + GICD_ISPENDR + (g->spi / 32) * 4) = 1u << (g->spi % 32);
  __asm__ volatile("dsb sy" ::: "memory");
}

static mica_handle_t make_interrupt(uint32_t vector) {
  mica_handle_t h = MICA_HANDLE_INVALID;
  mica_status_t s = mica_interrupt_create(mica_rt_root_resource(), vector, MICA_INTERRUPT_EDGE, &h);
  if (s != MICA_OK) {
    ct_note_status(__FILE_NAME__, __LINE__, "mica_interrupt_create", s);
    return MICA_HANDLE_INVALID;
  }
  return h;
}

static mica_handle_t make_port(void) {
  mica_handle_t port = MICA_HANDLE_INVALID;
  ct_note_status(__FILE_NAME__, __LINE__, "mica_port_create", mica_port_create(0, &port));
  return port;
}

TEST(interrupt, create_gives_an_interrupt_object) {
  gicd_t g GICD_AUTO_CLOSE;
  ASSERT_TRUE(gicd_open(&g));
  mica_handle_t irq CT_AUTO_CLOSE = make_interrupt(g.spi);
  ASSERT_NE(irq, MICA_HANDLE_INVALID);
  mica_info_handle_basic_t b = ct_basic(irq);
  EXPECT_EQ(b.type, MICA_OBJ_TYPE_INTERRUPT);
  EXPECT_EQ(b.rights, MICA_DEFAULT_INTERRUPT_RIGHTS);
  EXPECT_OK(mica_handle_close(irq));
  // Level-triggered and through an IRQ resource covering just the line.
  mica_handle_t res = MICA_HANDLE_INVALID;
  ASSERT_OK(
      mica_resource_create(mica_rt_root_resource(), MICA_RSRC_KIND_IRQ, g.spi, 1, "l", 1, &res));
  ASSERT_OK(mica_interrupt_create(res, g.spi, 0, &irq));
  EXPECT_OK(mica_handle_close(irq));
  ASSERT_OK(mica_interrupt_create(res, g.spi, MICA_INTERRUPT_ACTIVE_LOW, &irq));
  EXPECT_OK(mica_handle_close(irq));
  EXPECT_OK(mica_handle_close(res));
  gicd_close(&g);
}

TEST(interrupt, create_errors) {
  gicd_t g GICD_AUTO_CLOSE;
  ASSERT_TRUE(gicd_open(&g));
  mica_handle_t root = mica_rt_root_resource();
  mica_handle_t out = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_interrupt_create(root, g.spi, 4, &out), MICA_ERR_INVALID_ARGS);
  // SGIs and PPIs (the kernel's IPIs and timer), lines past the controller.
  EXPECT_STATUS(mica_interrupt_create(root, 0, 0, &out), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_interrupt_create(root, 27, 0, &out), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_interrupt_create(root, g.spi + 1, 0, &out), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_interrupt_create(root, 1020, 0, &out), MICA_ERR_OUT_OF_RANGE);
  EXPECT_STATUS(mica_interrupt_create(root, UINT32_MAX, 0, &out), MICA_ERR_OUT_OF_RANGE);
  mica_handle_t mmio CT_AUTO_CLOSE = MICA_HANDLE_INVALID, other CT_AUTO_CLOSE = MICA_HANDLE_INVALID;
  ASSERT_OK(mica_resource_create(root, MICA_RSRC_KIND_MMIO, 0, PAGE, "m", 1, &mmio));
  ASSERT_OK(mica_resource_create(root, MICA_RSRC_KIND_IRQ, g.spi - 4, 4, "o", 1, &other));
  EXPECT_STATUS(mica_interrupt_create(mmio, g.spi, 0, &out), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_interrupt_create(other, g.spi, 0, &out), MICA_ERR_ACCESS_DENIED);
  mica_handle_t weak CT_AUTO_CLOSE = ct_dup(root, MICA_RIGHT_DUPLICATE | MICA_RIGHT_INSPECT);
  EXPECT_STATUS(mica_interrupt_create(weak, g.spi, 0, &out), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_interrupt_create(MICA_HANDLE_INVALID, g.spi, 0, &out), MICA_ERR_BAD_HANDLE);
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();
  EXPECT_STATUS(mica_interrupt_create(ev, g.spi, 0, &out), MICA_ERR_WRONG_TYPE);
  for (int i = 0; i < CT_BAD_PTR_COUNT; i++) {
    ct_set_context(ct_bad_ptrs[i].name);
    EXPECT_STATUS(mica_interrupt_create(root, g.spi, 0, (mica_handle_t*)ct_bad_ptrs[i].addr),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  // The refused creations left the line free.
  mica_handle_t irq CT_AUTO_CLOSE = make_interrupt(g.spi);
  EXPECT_NE(irq, MICA_HANDLE_INVALID);
  mica_handle_close(irq);
  gicd_close(&g);
}

TEST(interrupt, one_owner_per_line) {
  gicd_t g GICD_AUTO_CLOSE;
  ASSERT_TRUE(gicd_open(&g));
  mica_handle_t irq CT_AUTO_CLOSE = make_interrupt(g.spi);
  ASSERT_NE(irq, MICA_HANDLE_INVALID);
  mica_handle_t out = MICA_HANDLE_INVALID;
  EXPECT_STATUS(mica_interrupt_create(mica_rt_root_resource(), g.spi, 0, &out),
                MICA_ERR_ALREADY_EXISTS);
  // A duplicate handle keeps the line owned; the last close frees it.
  mica_handle_t dup = ct_dup(irq, MICA_RIGHT_SAME_RIGHTS);
  EXPECT_OK(mica_handle_close(irq));
  EXPECT_STATUS(mica_interrupt_create(mica_rt_root_resource(), g.spi, 0, &out),
                MICA_ERR_ALREADY_EXISTS);
  EXPECT_OK(mica_handle_close(dup));
  irq = make_interrupt(g.spi);
  EXPECT_NE(irq, MICA_HANDLE_INVALID);
  mica_handle_close(irq);
  gicd_close(&g);
}

TEST(interrupt, bound_firing_queues_a_packet_until_ack) {
  gicd_t g GICD_AUTO_CLOSE;
  ASSERT_TRUE(gicd_open(&g));
  mica_handle_t irq CT_AUTO_CLOSE = make_interrupt(g.spi);
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_NE(irq, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_interrupt_bind(irq, port, 0x1234, 0));
  mica_time_t before = ct_now();
  gicd_fire(&g);
  mica_port_packet_t pkt;
  ASSERT_OK(mica_port_wait(port, ct_now() + 2000 * MS, &pkt));
  EXPECT_EQ(pkt.key, 0x1234u);
  EXPECT_EQ(pkt.type, MICA_PKT_TYPE_INTERRUPT);
  EXPECT_EQ(pkt.status, MICA_OK);
  EXPECT_GE(pkt.interrupt.timestamp, before);
  EXPECT_LE(pkt.interrupt.timestamp, ct_now());
  // Masked until acknowledged: a second firing waits.
  gicd_fire(&g);
  EXPECT_STATUS(mica_port_wait(port, ct_now() + 50 * MS, &pkt), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_interrupt_ack(irq));
  ASSERT_OK(mica_port_wait(port, ct_now() + 2000 * MS, &pkt));
  EXPECT_EQ(pkt.type, MICA_PKT_TYPE_INTERRUPT);
  // And again after the next ack.
  EXPECT_OK(mica_interrupt_ack(irq));
  gicd_fire(&g);
  ASSERT_OK(mica_port_wait(port, ct_now() + 2000 * MS, &pkt));
  EXPECT_EQ(pkt.key, 0x1234u);
  EXPECT_OK(mica_handle_close(irq));
  EXPECT_OK(mica_handle_close(port));
  gicd_close(&g);
}

TEST(interrupt, close_drops_the_queued_packet_and_masks) {
  gicd_t g GICD_AUTO_CLOSE;
  ASSERT_TRUE(gicd_open(&g));
  mica_handle_t irq CT_AUTO_CLOSE = make_interrupt(g.spi);
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_interrupt_bind(irq, port, 1, 0));
  gicd_fire(&g);
  mica_nanosleep(ct_now() + 100 * MS);  // let the packet be queued
  EXPECT_OK(mica_handle_close(irq));
  mica_port_packet_t pkt;
  EXPECT_STATUS(mica_port_wait(port, ct_now() + 20 * MS, &pkt), MICA_ERR_TIMED_OUT);
  // The line is masked and free: firing it now reaches nobody, and a new
  // owner sees none of it (creation clears what was pending).
  gicd_fire(&g);
  irq = make_interrupt(g.spi);
  ASSERT_NE(irq, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_interrupt_bind(irq, port, 2, 0));
  EXPECT_STATUS(mica_port_wait(port, ct_now() + 50 * MS, &pkt), MICA_ERR_TIMED_OUT);
  gicd_fire(&g);
  ASSERT_OK(mica_port_wait(port, ct_now() + 2000 * MS, &pkt));
  EXPECT_EQ(pkt.key, 2u);
  EXPECT_OK(mica_handle_close(irq));
  EXPECT_OK(mica_handle_close(port));
  gicd_close(&g);
}

TEST(interrupt, bind_and_ack_errors) {
  gicd_t g GICD_AUTO_CLOSE;
  ASSERT_TRUE(gicd_open(&g));
  mica_handle_t irq CT_AUTO_CLOSE = make_interrupt(g.spi);
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_NE(irq, MICA_HANDLE_INVALID);
  EXPECT_STATUS(mica_interrupt_ack(irq), MICA_ERR_BAD_STATE);  // not bound
  EXPECT_STATUS(mica_interrupt_bind(irq, port, 0, 1), MICA_ERR_INVALID_ARGS);
  mica_handle_t ev CT_AUTO_CLOSE = ct_event();
  EXPECT_STATUS(mica_interrupt_bind(irq, ev, 0, 0), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_interrupt_bind(ev, port, 0, 0), MICA_ERR_WRONG_TYPE);
  EXPECT_STATUS(mica_interrupt_bind(MICA_HANDLE_INVALID, port, 0, 0), MICA_ERR_BAD_HANDLE);
  mica_handle_t ro_port CT_AUTO_CLOSE = ct_dup(port, MICA_RIGHTS_BASIC | MICA_RIGHT_READ);
  EXPECT_STATUS(mica_interrupt_bind(irq, ro_port, 0, 0), MICA_ERR_ACCESS_DENIED);
  mica_handle_t no_read = ct_dup(irq, MICA_RIGHTS_BASIC | MICA_RIGHT_WRITE);
  EXPECT_STATUS(mica_interrupt_bind(no_read, port, 0, 0), MICA_ERR_ACCESS_DENIED);
  EXPECT_OK(mica_interrupt_bind(irq, port, 0, 0));
  EXPECT_STATUS(mica_interrupt_bind(irq, port, 0, 0), MICA_ERR_ALREADY_BOUND);
  mica_time_t ts;
  EXPECT_STATUS(mica_interrupt_wait(irq, &ts), MICA_ERR_BAD_STATE);  // bound
  mica_handle_t no_write = ct_dup(irq, MICA_RIGHTS_BASIC | MICA_RIGHT_READ);
  EXPECT_STATUS(mica_interrupt_ack(no_write), MICA_ERR_ACCESS_DENIED);
  mica_handle_t no_wait = ct_dup(irq, MICA_RIGHT_DUPLICATE | MICA_RIGHTS_IO);
  EXPECT_STATUS(mica_interrupt_wait(no_wait, &ts), MICA_ERR_ACCESS_DENIED);
  EXPECT_STATUS(mica_interrupt_ack(ev), MICA_ERR_WRONG_TYPE);
  EXPECT_OK(mica_interrupt_ack(irq));
  // Duplicates of irq keep the line owned: closed before irq, by hand.
  mica_handle_close(no_write);
  mica_handle_close(no_wait);
  mica_handle_close(no_read);
  EXPECT_OK(mica_handle_close(irq));
  EXPECT_OK(mica_handle_close(port));
  gicd_close(&g);
}

TEST(interrupt, wait_returns_when_the_line_fires) {
  gicd_t g GICD_AUTO_CLOSE;
  ASSERT_TRUE(gicd_open(&g));
  mica_handle_t irq CT_AUTO_CLOSE = make_interrupt(g.spi);
  ASSERT_NE(irq, MICA_HANDLE_INVALID);
  for (int round = 0; round < 3; round++) {
    // Pending while masked: the wait unmasks the line and takes it at once.
    mica_time_t before = ct_now();
    gicd_fire(&g);
    mica_time_t ts = 0;
    EXPECT_OK(mica_interrupt_wait(irq, &ts));
    EXPECT_GE(ts, before);
    EXPECT_LE(ts, ct_now());
  }
  gicd_fire(&g);
  EXPECT_OK(mica_interrupt_wait(irq, NULL));  // the timestamp is optional
  for (int i = 0; i < CT_BAD_PTR_COUNT; i++) {
    if (ct_bad_ptrs[i].addr == 0) {
      continue;  // NULL: no timestamp wanted
    }
    ct_set_context(ct_bad_ptrs[i].name);
    gicd_fire(&g);
    EXPECT_STATUS(mica_interrupt_wait(irq, (mica_time_t*)ct_bad_ptrs[i].addr),
                  MICA_ERR_INVALID_ARGS);
  }
  ct_set_context(NULL);
  EXPECT_OK(mica_handle_close(irq));
  gicd_close(&g);
}

static void waiter_close(waiter_t* w) {
  ct_close_on_return(&w->irq);
}

static int wait_thread(void* p) {
  waiter_t* w = p;
  w->status = mica_interrupt_wait(w->irq, &w->ts);
  return 0;
}

// Lets the waiter thread block in interrupt_wait first.
static void let_it_block(void) {
  mica_nanosleep(ct_now() + 200 * MS);
}

TEST(interrupt, second_waiter_and_bind_while_waiting_are_bad_state) {
  gicd_t g GICD_AUTO_CLOSE;
  ASSERT_TRUE(gicd_open(&g));
  waiter_t w WAITER_AUTO_CLOSE = {.irq = make_interrupt(g.spi), .status = 1};
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_NE(w.irq, MICA_HANDLE_INVALID);
  mica_rt_thread_t* t = NULL;
  ASSERT_OK(mica_rt_thread_create(&t, wait_thread, &w, "irq-waiter", 0));
  let_it_block();
  // bind first: it never blocks, and BAD_STATE proves the thread waits, so
  // the second interrupt_wait cannot block either.
  mica_status_t bound = mica_interrupt_bind(w.irq, port, 0, 0);
  EXPECT_STATUS(bound, MICA_ERR_BAD_STATE);
  if (bound == MICA_ERR_BAD_STATE) {
    mica_time_t ts;
    EXPECT_STATUS(mica_interrupt_wait(w.irq, &ts), MICA_ERR_BAD_STATE);
  }
  gicd_fire(&g);
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_OK(w.status);
  EXPECT_GT(w.ts, 0);
  EXPECT_OK(mica_interrupt_bind(w.irq, port, 0, 0));  // nobody waits now
  EXPECT_OK(mica_handle_close(w.irq));
  EXPECT_OK(mica_handle_close(port));
  gicd_close(&g);
}

TEST(interrupt, close_cancels_a_wait) {
  gicd_t g GICD_AUTO_CLOSE;
  ASSERT_TRUE(gicd_open(&g));
  waiter_t w WAITER_AUTO_CLOSE = {.irq = make_interrupt(g.spi), .status = 1};
  ASSERT_NE(w.irq, MICA_HANDLE_INVALID);
  mica_rt_thread_t* t = NULL;
  ASSERT_OK(mica_rt_thread_create(&t, wait_thread, &w, "irq-waiter", 0));
  let_it_block();
  EXPECT_OK(mica_handle_close(w.irq));
  EXPECT_OK(mica_rt_thread_join(t, NULL));
  EXPECT_STATUS(w.status, MICA_ERR_CANCELED);
  // The line is free again.
  mica_handle_t irq CT_AUTO_CLOSE = make_interrupt(g.spi);
  EXPECT_NE(irq, MICA_HANDLE_INVALID);
  mica_handle_close(irq);
  gicd_close(&g);
}

TEST(interrupt, lines_are_independent) {
  gicd_t g GICD_AUTO_CLOSE;
  ASSERT_TRUE(gicd_open(&g));
  gicd_t g2 = g;
  g2.spi = g.spi - 1;
  mica_handle_t a CT_AUTO_CLOSE = make_interrupt(g.spi);
  mica_handle_t b CT_AUTO_CLOSE = make_interrupt(g2.spi);
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_NE(a, MICA_HANDLE_INVALID);
  ASSERT_NE(b, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_interrupt_bind(a, port, 0xa, 0));
  ASSERT_OK(mica_interrupt_bind(b, port, 0xb, 0));
  gicd_fire(&g2);
  mica_port_packet_t pkt;
  ASSERT_OK(mica_port_wait(port, ct_now() + 2000 * MS, &pkt));
  EXPECT_EQ(pkt.key, 0xbu);
  gicd_fire(&g);
  ASSERT_OK(mica_port_wait(port, ct_now() + 2000 * MS, &pkt));
  EXPECT_EQ(pkt.key, 0xau);
  // b is masked until acknowledged; a's ack does not unmask it.
  EXPECT_OK(mica_interrupt_ack(a));
  gicd_fire(&g2);
  EXPECT_STATUS(mica_port_wait(port, ct_now() + 50 * MS, &pkt), MICA_ERR_TIMED_OUT);
  EXPECT_OK(mica_interrupt_ack(b));
  ASSERT_OK(mica_port_wait(port, ct_now() + 2000 * MS, &pkt));
  EXPECT_EQ(pkt.key, 0xbu);
  EXPECT_OK(mica_handle_close(a));
  EXPECT_OK(mica_handle_close(b));
  EXPECT_OK(mica_handle_close(port));
  gicd_close(&g);
}

TEST(interrupt, port_handle_closed_while_bound) {
  gicd_t g GICD_AUTO_CLOSE;
  ASSERT_TRUE(gicd_open(&g));
  mica_handle_t irq CT_AUTO_CLOSE = make_interrupt(g.spi);
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_NE(irq, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_interrupt_bind(irq, port, 1, 0));
  EXPECT_OK(mica_handle_close(port));
  // Firings now reach a port nobody can read; nothing breaks.
  for (int i = 0; i < 3; i++) {
    gicd_fire(&g);
    mica_nanosleep(ct_now() + 10 * MS);
    EXPECT_OK(mica_interrupt_ack(irq));
  }
  EXPECT_OK(mica_handle_close(irq));
  gicd_close(&g);
}

TEST(interrupt, many_firings) {
  gicd_t g GICD_AUTO_CLOSE;
  ASSERT_TRUE(gicd_open(&g));
  mica_handle_t irq CT_AUTO_CLOSE = make_interrupt(g.spi);
  ASSERT_NE(irq, MICA_HANDLE_INVALID);
  int waited = 0;
  for (int i = 0; i < 100; i++) {
    gicd_fire(&g);
    waited += mica_interrupt_wait(irq, NULL) == MICA_OK;
  }
  EXPECT_EQ(waited, 100);
  mica_handle_t port = make_port();
  ASSERT_NE(port, MICA_HANDLE_INVALID);
  ASSERT_OK(mica_interrupt_bind(irq, port, 9, 0));
  int packets = 0;
  for (int i = 0; i < 100; i++) {
    gicd_fire(&g);
    mica_port_packet_t pkt;
    packets += mica_port_wait(port, ct_now() + 2000 * MS, &pkt) == MICA_OK && pkt.key == 9;
    EXPECT_OK(mica_interrupt_ack(irq));
  }
  EXPECT_EQ(packets, 100);
  EXPECT_OK(mica_handle_close(irq));
  EXPECT_OK(mica_handle_close(port));
  gicd_close(&g);
}
