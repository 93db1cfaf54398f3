#include "kernel/object/core/message_queue.h"

#include <string.h>

#include <deque>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernel/lib/ref_counted.h"
#include "kernel/object/core/handle_table.h"
#include "kernel/object/core/test/test_allocator.h"

namespace mica::core {
namespace {

using test::TestHeap;

int g_alive = 0;

struct Obj : RefCounted<Obj> {
  explicit Obj(int id) : id(id) { ++g_alive; }
  ~Obj() { --g_alive; }
  int id;
};

using H = HandleEntry<Obj>;
using Msg = Message<H>;
using Ptr = MessagePtr<H>;
using Queue = MessageQueue<H>;

class MessageQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { g_alive = 0; }
  void TearDown() override {
    EXPECT_EQ(g_alive, 0) << "handles leaked";
    TestHeap::ExpectNoLeaks();
  }

  // A message whose bytes are `tag` repeated (the first 4 bytes are the
  // txid if given) and whose handles name objects tag*100 + i.
  Ptr Make(uint32_t bytes, uint32_t handles, uint8_t tag, int64_t txid = -1) {
    auto r = Msg::Create(TestHeap::allocator(), bytes, handles);
    EXPECT_TRUE(r.ok());
    Ptr m = Move(r.value());
    memset(m->data(), tag, bytes);
    if (txid >= 0) {
      m->set_txid(static_cast<uint32_t>(txid));
    }
    for (uint32_t i = 0; i < handles; ++i) {
      m->handles()[i] = H{AdoptRef(new Obj(tag * 100 + static_cast<int>(i))), 1, 3};
    }
    return m;
  }
};

TEST_F(MessageQueueTest, CreateSizesAndLayout) {
  for (auto [bytes, handles] : {std::pair<uint32_t, uint32_t>{0, 0},
                                {1, 0},
                                {0, 1},
                                {3, 5},
                                {kMaxMessageBytes, kMaxMessageHandles}}) {
    auto r = Msg::Create(TestHeap::allocator(), bytes, handles);
    ASSERT_TRUE(r.ok());
    Ptr m = Move(r.value());
    EXPECT_EQ(m->data_size(), bytes);
    EXPECT_EQ(m->handle_count(), handles);
    EXPECT_EQ(m->footprint(), Msg::FootprintFor(bytes, handles));
    EXPECT_EQ(TestHeap::live_bytes(), m->footprint()) << "one allocation, sized to fit";
    EXPECT_EQ(reinterpret_cast<uintptr_t>(m->handles()) % alignof(H), 0u);
    // Every byte and handle is usable (ASan checks the bounds).
    memset(m->data(), 0x5a, bytes);
    for (uint32_t i = 0; i < handles; ++i) {
      EXPECT_FALSE(m->handles()[i].object);
      m->handles()[i].rights = i;
    }
    EXPECT_EQ(m->has_txid(), bytes >= 4);
  }
  EXPECT_EQ(TestHeap::live(), 0u);
}

TEST_F(MessageQueueTest, CreateRejectsOversizedAndReportsNoMemory) {
  auto a = Msg::Create(TestHeap::allocator(), kMaxMessageBytes + 1, 0);
  EXPECT_EQ(a.status(), Status::kOutOfRange);
  auto b = Msg::Create(TestHeap::allocator(), 0, kMaxMessageHandles + 1);
  EXPECT_EQ(b.status(), Status::kOutOfRange);
  TestHeap::FailAfter(0);
  auto c = Msg::Create(TestHeap::allocator(), 10, 1);
  EXPECT_EQ(c.status(), Status::kNoMemory);
  TestHeap::FailAfter(-1);
}

// The recycling pair: TakeBlock hands back the memory of a message without
// handles from the allocator named, and CreateIn builds the next message in
// it; anything else is left alone.
TEST_F(MessageQueueTest, TakeBlockAndCreateInRecycleMemory) {
  Ptr m = Make(64, 0, 1);
  Msg* first = m.get();
  size_t allocs = TestHeap::total_allocs();
  static const Allocator kOther = {[](size_t, size_t) -> void* { return nullptr; }, [](void*) {}};
  EXPECT_EQ(m.TakeBlock(&kOther), nullptr) << "another allocator's block is not taken";
  ASSERT_TRUE(m);
  void* block = m.TakeBlock(TestHeap::allocator());
  EXPECT_EQ(block, static_cast<void*>(first));
  EXPECT_FALSE(m);
  EXPECT_EQ(TestHeap::live(), 1u) << "the block is not freed";
  EXPECT_EQ(m.TakeBlock(TestHeap::allocator()), nullptr) << "an empty pointer gives nothing";

  Ptr again = Msg::CreateIn(block, TestHeap::allocator(), 32, 0);
  EXPECT_EQ(again.get(), first);
  EXPECT_EQ(again->data_size(), 32u);
  EXPECT_EQ(again->handle_count(), 0u);
  memset(again->data(), 7, 32);
  EXPECT_EQ(TestHeap::total_allocs(), allocs) << "no new allocation";

  Ptr with_handles = Make(8, 2, 3);
  EXPECT_EQ(with_handles.TakeBlock(TestHeap::allocator()), nullptr)
      << "a message with handles is destroyed, not recycled";
  EXPECT_EQ(with_handles->handle_count(), 2u);
  EXPECT_EQ(g_alive, 2);
  with_handles.reset();
  again.reset();  // frees the recycled block through its allocator
  EXPECT_EQ(TestHeap::live(), 0u);
}

TEST_F(MessageQueueTest, TxidIsFirstFourBytesLittleEndian) {
  Ptr m = Make(8, 0, 0);
  m->set_txid(0x11223344);
  EXPECT_EQ(m->data()[0], 0x44);
  EXPECT_EQ(m->data()[3], 0x11);
  EXPECT_EQ(m->txid(), 0x11223344u);
  uint32_t native;
  memcpy(&native, m->data(), 4);
  EXPECT_EQ(native, 0x11223344u) << "host and AArch64 are both little endian";
  Ptr short_msg = Make(3, 0, 9);
  EXPECT_FALSE(short_msg->has_txid());
  EXPECT_EQ(short_msg->txid(), 0u);
}

TEST_F(MessageQueueTest, FifoOrderAndContents) {
  Queue q;
  EXPECT_TRUE(q.empty());
  for (uint8_t i = 0; i < 10; ++i) {
    Ptr m = Make(100 + i, i % 3, i);
    ASSERT_EQ(q.Write(&m), Status::kOk);
    EXPECT_FALSE(m);
  }
  EXPECT_EQ(q.count(), 10u);
  for (uint8_t i = 0; i < 10; ++i) {
    uint32_t bytes, handles;
    ASSERT_EQ(q.PeekSizes(&bytes, &handles), Status::kOk);
    EXPECT_EQ(bytes, 100u + i);
    Ptr m;
    ASSERT_EQ(q.Read(kMaxMessageBytes, kMaxMessageHandles, &m, &bytes, &handles), Status::kOk);
    EXPECT_EQ(bytes, 100u + i);
    EXPECT_EQ(handles, i % 3u);
    EXPECT_FALSE(m->queued());
    for (uint32_t b = 0; b < bytes; ++b) {
      ASSERT_EQ(m->data()[b], i);
    }
    for (uint32_t h = 0; h < handles; ++h) {
      EXPECT_EQ(m->handles()[h].object->id, i * 100 + static_cast<int>(h));
    }
  }
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  Ptr none;
  uint32_t bytes = 7, handles = 7;
  EXPECT_EQ(q.Read(10, 10, &none, &bytes, &handles), Status::kShouldWait);
  EXPECT_EQ(q.PeekSizes(&bytes, &handles), Status::kShouldWait);
  EXPECT_FALSE(none);
}

TEST_F(MessageQueueTest, PutBackGoesToTheFront) {
  Queue q;
  for (uint8_t i = 0; i < 3; ++i) {
    Ptr m = Make(8, 1, i);
    ASSERT_EQ(q.Write(&m), Status::kOk);
  }
  size_t bytes_before = q.bytes();
  Ptr first;
  ASSERT_EQ(q.Read(8, 1, &first, nullptr, nullptr), Status::kOk);
  q.PutBack(&first);
  EXPECT_FALSE(first);
  EXPECT_EQ(q.count(), 3u);
  EXPECT_EQ(q.bytes(), bytes_before);
  for (uint8_t i = 0; i < 3; ++i) {
    Ptr m;
    ASSERT_EQ(q.Read(8, 1, &m, nullptr, nullptr), Status::kOk);
    EXPECT_EQ(m->data()[0], i) << "FIFO order kept";
    EXPECT_EQ(m->handles()[0].object->id, i * 100);
  }
}

// A message put back after writers filled its room is kept anyway: the
// queue is over its bound by that one message, refuses writes, and is back
// to normal once it is read.
TEST_F(MessageQueueTest, PutBackOverTheBound) {
  Queue q(MessageQueueLimits{2, MessageQueueLimits::kDefaultMaxBytes});
  Ptr a = Make(8, 0, 1), b = Make(8, 0, 2);
  ASSERT_EQ(q.Write(&a), Status::kOk);
  ASSERT_EQ(q.Write(&b), Status::kOk);
  Ptr r;
  ASSERT_EQ(q.Read(8, 0, &r, nullptr, nullptr), Status::kOk);
  Ptr c = Make(8, 0, 3);
  ASSERT_EQ(q.Write(&c), Status::kOk);  // the room the read left
  q.PutBack(&r);
  EXPECT_EQ(q.count(), 3u);
  EXPECT_TRUE(q.full());
  Ptr d = Make(8, 0, 4);
  EXPECT_EQ(q.Write(&d), Status::kShouldWait);
  for (uint8_t want : {1, 2}) {
    Ptr m;
    ASSERT_EQ(q.Read(8, 0, &m, nullptr, nullptr), Status::kOk);
    EXPECT_EQ(m->data()[0], want);
  }
  EXPECT_FALSE(q.full());
  EXPECT_EQ(q.Write(&d), Status::kOk);
}

TEST_F(MessageQueueTest, MessageCountBound) {
  Queue q(MessageQueueLimits{4, MessageQueueLimits::kDefaultMaxBytes});
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(q.full());
    Ptr m = Make(8, 1, static_cast<uint8_t>(i));
    ASSERT_EQ(q.Write(&m), Status::kOk);
  }
  EXPECT_TRUE(q.full());
  Ptr m = Make(8, 1, 4);
  EXPECT_EQ(q.Write(&m), Status::kShouldWait);
  ASSERT_TRUE(m) << "a refused message stays with the writer";
  EXPECT_EQ(m->handles()[0].object->id, 400);
  Ptr r;
  ASSERT_EQ(q.Read(8, 1, &r, nullptr, nullptr), Status::kOk);
  EXPECT_EQ(q.Write(&m), Status::kOk);
  EXPECT_EQ(q.count(), 4u);
}

TEST_F(MessageQueueTest, ByteBound) {
  const size_t big = Msg::FootprintFor(kMaxMessageBytes, 0);
  const size_t tiny_size = Msg::FootprintFor(0, 0);
  Queue q(MessageQueueLimits{256, 3 * big + tiny_size + tiny_size / 2});
  for (int i = 0; i < 3; ++i) {
    Ptr m = Make(kMaxMessageBytes, 0, static_cast<uint8_t>(i));
    ASSERT_EQ(q.Write(&m), Status::kOk);
  }
  EXPECT_EQ(q.bytes(), 3 * big);
  Ptr m = Make(kMaxMessageBytes, 0, 3);
  EXPECT_EQ(q.Write(&m), Status::kShouldWait);
  // Small messages still fit in what is left, then the queue is full.
  Ptr tiny = Make(0, 0, 0);
  EXPECT_EQ(tiny->footprint(), tiny_size);
  EXPECT_FALSE(q.full());
  EXPECT_EQ(q.Write(&tiny), Status::kOk);
  EXPECT_TRUE(q.full());
}

// A writer facing a reader that never reads gets kShouldWait before the
// kernel spends more than the queue's bounds.
TEST_F(MessageQueueTest, ReaderThatNeverReadsCannotExhaustMemory) {
  Queue q;  // defaults: 256 messages, 1 MiB
  int writes = 0;
  for (;;) {
    Ptr m = Make(kMaxMessageBytes, kMaxMessageHandles, 1);
    Status s = q.Write(&m);
    if (s != Status::kOk) {
      EXPECT_EQ(s, Status::kShouldWait);
      break;
    }
    ++writes;
    ASSERT_LT(writes, 1000);
  }
  EXPECT_LE(q.bytes(), MessageQueueLimits::kDefaultMaxBytes);
  EXPECT_LE(TestHeap::live_bytes(), MessageQueueLimits::kDefaultMaxBytes);
  EXPECT_GE(writes, 1);
  int small = 0;
  for (;;) {
    Ptr m = Make(0, 0, 0);
    if (q.Write(&m) != Status::kOk) {
      break;
    }
    ++small;
  }
  // Empty messages then fill the count bound (the bytes left suffice).
  EXPECT_EQ(writes + small, static_cast<int>(MessageQueueLimits::kDefaultMaxMessages));
  EXPECT_EQ(q.count(), MessageQueueLimits::kDefaultMaxMessages);
  EXPECT_LE(TestHeap::live_bytes(), MessageQueueLimits::kDefaultMaxBytes);
}

TEST_F(MessageQueueTest, TooSmallBufferReportsSizesAndKeepsMessage) {
  Queue q;
  Ptr m = Make(40, 3, 7);
  ASSERT_EQ(q.Write(&m), Status::kOk);
  Ptr out;
  uint32_t bytes = 0, handles = 0;
  EXPECT_EQ(q.Read(39, 3, &out, &bytes, &handles), Status::kBufferTooSmall);
  EXPECT_EQ(bytes, 40u);
  EXPECT_EQ(handles, 3u);
  EXPECT_FALSE(out);
  EXPECT_EQ(q.Read(40, 2, &out, &bytes, &handles), Status::kBufferTooSmall);
  EXPECT_EQ(q.Read(0, 0, &out, nullptr, nullptr), Status::kBufferTooSmall);
  EXPECT_EQ(q.count(), 1u);
  ASSERT_EQ(q.Read(40, 3, &out, &bytes, &handles), Status::kOk);
  EXPECT_EQ(out->handles()[2].object->id, 702);
  EXPECT_TRUE(q.empty());
}

TEST_F(MessageQueueTest, TakeByTxid) {
  Queue q;
  Ptr a = Make(8, 0, 1, 5);
  Ptr b = Make(8, 1, 2, 7);
  Ptr c = Make(8, 0, 3, 5);
  Ptr short_msg = Make(3, 0, 0);  // no txid (bytes are 0)
  Ptr zero = Make(4, 0, 4, 0);    // txid 0
  for (Ptr* p : {&a, &b, &c, &short_msg, &zero}) {
    ASSERT_EQ(q.Write(p), Status::kOk);
  }
  Ptr out;
  EXPECT_EQ(q.TakeByTxid(9, 100, 100, &out, nullptr, nullptr), Status::kNotFound);
  uint32_t bytes = 0, handles = 0;
  EXPECT_EQ(q.TakeByTxid(7, 100, 0, &out, &bytes, &handles), Status::kBufferTooSmall);
  EXPECT_EQ(handles, 1u);
  EXPECT_EQ(q.count(), 5u);
  ASSERT_EQ(q.TakeByTxid(5, 100, 100, &out, &bytes, &handles), Status::kOk);
  EXPECT_EQ(out->data()[4], 1) << "the oldest match";
  ASSERT_EQ(q.TakeByTxid(7, 100, 100, &out, nullptr, nullptr), Status::kOk);
  EXPECT_EQ(out->data()[4], 2);
  ASSERT_EQ(q.TakeByTxid(0, 100, 100, &out, &bytes, nullptr), Status::kOk);
  EXPECT_EQ(bytes, 4u) << "a 3-byte message has no txid";
  EXPECT_EQ(q.TakeByTxid(0, 100, 100, &out, nullptr, nullptr), Status::kNotFound);
  EXPECT_EQ(q.count(), 2u);
  ASSERT_EQ(q.Read(100, 100, &out, &bytes, nullptr), Status::kOk);
  EXPECT_EQ(out->data()[4], 3) << "taking from the middle keeps the order";
  ASSERT_EQ(q.Read(100, 100, &out, &bytes, nullptr), Status::kOk);
  EXPECT_EQ(bytes, 3u);
  EXPECT_EQ(q.bytes(), 0u);
}

TEST_F(MessageQueueTest, DrainHandsBackMessagesAndHandles) {
  Queue q;
  for (uint8_t i = 0; i < 5; ++i) {
    Ptr m = Make(16, 2, i);
    ASSERT_EQ(q.Write(&m), Status::kOk);
  }
  EXPECT_EQ(g_alive, 10);
  {
    MessageList<H> drained;
    EXPECT_EQ(q.Drain(&drained), 5u);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.bytes(), 0u);
    EXPECT_EQ(drained.size(), 5u);
    EXPECT_EQ(g_alive, 10) << "handles live until the list is destroyed";
    // The caller may take handles out before destroying the messages.
    Ptr first = drained.pop_front();
    RefPtr<Obj> keep = Move(first->handles()[1].object);
    first.reset();
    EXPECT_EQ(g_alive, 9);
    EXPECT_EQ(keep->id, 1);
  }
  EXPECT_EQ(g_alive, 0);
}

TEST_F(MessageQueueTest, DestructorFreesQueuedMessages) {
  {
    Queue q;
    for (uint8_t i = 0; i < 5; ++i) {
      Ptr m = Make(1000, 1, i);
      ASSERT_EQ(q.Write(&m), Status::kOk);
    }
  }
  EXPECT_EQ(g_alive, 0);
}

// Messages that own more than their handles' references: a fake of the
// kernel's in-flight handles (kernel/object/channel_message.h), where each
// handle in a message also holds a handle count of its object that the
// message releases when it is destroyed with the handle still inside.
struct Counted : RefCounted<Counted> {
  explicit Counted(int* handle_count) : handle_count(handle_count) {
    ++*handle_count;
    ++g_alive;
  }
  ~Counted() { --g_alive; }
  int* handle_count;  // the object's handle count (one for the message's handle)
};
using CH = HandleEntry<Counted>;

int g_release_calls = 0;
struct ReleaseCounts {
  static void Release(CH* handles, uint32_t count) {
    ++g_release_calls;
    for (uint32_t i = 0; i < count; ++i) {
      if (handles[i].object) {
        // Runs before the handles are destroyed: the object is still
        // referenced (ASan would catch a use after free here).
        --*handles[i].object->handle_count;
      }
    }
  }
};
using CMsg = Message<CH, ReleaseCounts>;
using CPtr = MessagePtr<CH, ReleaseCounts>;
using CQueue = MessageQueue<CH, ReleaseCounts>;

class OwningMessageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_alive = 0;
    g_release_calls = 0;
  }
  void TearDown() override {
    EXPECT_EQ(g_alive, 0) << "handles leaked";
    TestHeap::ExpectNoLeaks();
  }
  // A message carrying one handle to a new object whose handle count is
  // *count (1 once this returns).
  CPtr Carrying(int* count, uint32_t bytes = 8) {
    auto r = CMsg::Create(TestHeap::allocator(), bytes, 1);
    EXPECT_TRUE(r.ok());
    CPtr m = Move(r.value());
    memset(m->data(), 0, bytes);
    m->handles()[0] = CH{AdoptRef(new Counted(count)), 1, 3};
    return m;
  }
};

// However a message is dropped, its handles' counts are released and the
// objects freed, with no call by the owner.
TEST_F(OwningMessageTest, DroppingAMessageReleasesItsHandles) {
  int scope = 0, reset = 0, assigned = 0, replaced = 0;
  {
    CPtr m = Carrying(&scope);
    EXPECT_EQ(scope, 1);
  }
  EXPECT_EQ(scope, 0) << "destructor";
  CPtr m = Carrying(&reset);
  m.reset();
  EXPECT_EQ(reset, 0) << "reset";
  m = Carrying(&assigned);
  m = Carrying(&replaced);
  EXPECT_EQ(assigned, 0) << "move-assignment over it";
  EXPECT_EQ(replaced, 1);
  m = CPtr();
  EXPECT_EQ(replaced, 0);
  EXPECT_EQ(g_alive, 0);
  EXPECT_EQ(g_release_calls, 4);
}

TEST_F(OwningMessageTest, QueuesAndListsReleaseTheHandlesTheyDestroy) {
  int queued[3] = {}, drained[2] = {};
  {
    CQueue q;
    for (int& c : queued) {
      CPtr m = Carrying(&c);
      ASSERT_EQ(q.Write(&m), Status::kOk);
    }
    EXPECT_EQ(queued[0] + queued[1] + queued[2], 3);
  }
  EXPECT_EQ(queued[0] + queued[1] + queued[2], 0) << "~MessageQueue";
  CQueue q;
  for (int& c : drained) {
    CPtr m = Carrying(&c);
    ASSERT_EQ(q.Write(&m), Status::kOk);
  }
  {
    MessageList<CH, ReleaseCounts> list;
    EXPECT_EQ(q.Drain(&list), 2u);
    EXPECT_EQ(drained[0] + drained[1], 2) << "draining releases nothing";
  }
  EXPECT_EQ(drained[0] + drained[1], 0) << "~MessageList";
  EXPECT_EQ(g_alive, 0);
}

// A read moves the handles out (into a table): the emptied entries release
// nothing, and a message without handles never calls the policy.
TEST_F(OwningMessageTest, HandlesMovedOutAreNotReleased) {
  int count = 0;
  CPtr m = Carrying(&count);
  RefPtr<Counted> taken = Move(m->handles()[0].object);
  m.reset();
  EXPECT_EQ(count, 1) << "the handle left the message with its count";
  EXPECT_EQ(g_alive, 1);
  taken.reset();
  EXPECT_EQ(g_alive, 0);

  auto r = CMsg::Create(TestHeap::allocator(), 16, 0);
  ASSERT_TRUE(r.ok());
  const int calls = g_release_calls;
  r.value().reset();
  EXPECT_EQ(g_release_calls, calls);

  // Recycling never takes a message with handles (they would be lost).
  int recycled = 0;
  CPtr with = Carrying(&recycled);
  EXPECT_EQ(with.TakeBlock(TestHeap::allocator()), nullptr);
  EXPECT_EQ(recycled, 1);
}

// Random writes, reads (with random buffer sizes), takes by txid and drains
// against a deque model; the allocator checks nothing leaks.
TEST_F(MessageQueueTest, RandomOperationsMatchModel) {
  struct Model {
    uint32_t bytes;
    uint32_t handles;
    uint8_t tag;
    uint32_t txid;
    size_t footprint;
  };
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    std::mt19937 rng(seed);
    MessageQueueLimits limits{
        static_cast<uint32_t>(1 + rng() % 40),
        Msg::FootprintFor(kMaxMessageBytes, kMaxMessageHandles) + rng() % 300000};
    Queue q(limits);
    std::deque<Model> model;
    size_t model_bytes = 0;
    uint8_t next_tag = 0;
    auto check = [&](const Ptr& m, const Model& want) {
      ASSERT_EQ(m->data_size(), want.bytes);
      ASSERT_EQ(m->handle_count(), want.handles);
      if (want.bytes >= 4) {
        ASSERT_EQ(m->txid(), want.txid);
      }
      for (uint32_t b = 4; b < want.bytes; b += 97) {
        ASSERT_EQ(m->data()[b], want.tag);
      }
      for (uint32_t h = 0; h < want.handles; ++h) {
        ASSERT_EQ(m->handles()[h].object->id, want.tag * 100 + static_cast<int>(h));
      }
    };
    for (int step = 0; step < 3000; ++step) {
      int op = static_cast<int>(rng() % 10);
      if (op < 4) {
        uint32_t bytes = rng() % 3 == 0 ? rng() % (kMaxMessageBytes + 1) : rng() % 64;
        uint32_t handles = rng() % 4 == 0 ? rng() % (kMaxMessageHandles + 1) : 0;
        uint8_t tag = next_tag++;
        uint32_t txid = rng() % 8;
        Ptr m = Make(bytes, handles, tag, bytes >= 4 ? int64_t{txid} : int64_t{-1});
        size_t fp = m->footprint();
        bool fits = model.size() < limits.max_messages && model_bytes + fp <= limits.max_bytes;
        Status s = q.Write(&m);
        ASSERT_EQ(s, fits ? Status::kOk : Status::kShouldWait);
        ASSERT_EQ(!m, fits);
        if (fits) {
          model.push_back(Model{bytes, handles, tag, txid, fp});
          model_bytes += fp;
        }
      } else if (op < 7) {
        uint32_t cap_bytes = rng() % 2 ? kMaxMessageBytes : rng() % 100;
        uint32_t cap_handles = rng() % 2 ? kMaxMessageHandles : rng() % 3;
        Ptr out;
        uint32_t bytes = 0, handles = 0;
        Status s = q.Read(cap_bytes, cap_handles, &out, &bytes, &handles);
        if (model.empty()) {
          ASSERT_EQ(s, Status::kShouldWait);
        } else if (model.front().bytes > cap_bytes || model.front().handles > cap_handles) {
          ASSERT_EQ(s, Status::kBufferTooSmall);
          ASSERT_EQ(bytes, model.front().bytes);
          ASSERT_EQ(handles, model.front().handles);
        } else {
          ASSERT_EQ(s, Status::kOk);
          check(out, model.front());
          model_bytes -= model.front().footprint;
          model.pop_front();
        }
      } else if (op < 9) {
        uint32_t txid = rng() % 10;
        Ptr out;
        Status s = q.TakeByTxid(txid, kMaxMessageBytes, kMaxMessageHandles, &out, nullptr, nullptr);
        auto it = model.begin();
        while (it != model.end() && !(it->bytes >= 4 && it->txid == txid)) {
          ++it;
        }
        if (it == model.end()) {
          ASSERT_EQ(s, Status::kNotFound);
        } else {
          ASSERT_EQ(s, Status::kOk);
          check(out, *it);
          model_bytes -= it->footprint;
          model.erase(it);
        }
      } else if (rng() % 8 == 0) {
        MessageList<H> drained;
        ASSERT_EQ(q.Drain(&drained), model.size());
        size_t i = 0;
        while (Ptr m = drained.pop_front()) {
          check(m, model[i++]);
        }
        model.clear();
        model_bytes = 0;
      }
      ASSERT_EQ(q.count(), model.size());
      ASSERT_EQ(q.bytes(), model_bytes);
    }
  }
}

}  // namespace
}  // namespace mica::core
