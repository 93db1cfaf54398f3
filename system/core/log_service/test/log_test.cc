// bin/log-test (docs/logging.md, "Tests"): started by userboot
// (userboot.next=bin/log-test) with the bootfs and the root resource; it
// starts bin/log-service as a child with a log.Admin channel and checks the
// service end to end: two writers (the logging API on two threads, and a
// raw log.Sink client), identities, filters, follow, the kernel's log merged
// in, drops on both sides, bin/log, the service's exit and the API's
// fallback once it is gone. Prints `log-test: <case>: ok` or `FAILED: ...`
// per case, then `log-test: N passed, N failed`; the exit status is the
// number of failures.
#include <idl/log_ipc.h>
#include <mica/log/log.h>
#include <mica/log/service.h>
#include <mica/rt/bootstrap.h>
#include <mica/rt/runtime.h>
#include <mica/rt/thread.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include <string_view>

#include "system/core/userboot/launch.h"

namespace {

int g_passed = 0;
int g_failed = 0;
bool g_case_ok = true;

#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      printf("log-test: FAILED: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      g_case_ok = false;                                                  \
    }                                                                     \
  } while (0)

void EndCase(const char* name) {
  if (g_case_ok) {
    printf("log-test: %s: ok\n", name);
    g_passed++;
  } else {
    printf("log-test: %s: FAILED\n", name);
    g_failed++;
  }
  g_case_ok = true;
}

uint64_t KoidOf(mica_handle_t h) {
  mica_info_handle_basic_t info = {};
  (void)mica_object_get_info(h, MICA_INFO_HANDLE_BASIC, &info, sizeof(info), nullptr, nullptr);
  return info.koid;
}

std::string_view Sv(const auto& s) {
  return std::string_view(s.data, s.size);
}

// ---- the service and its channels

bootfs::Image g_fs;
mica_handle_t g_bootfs_vmo = MICA_HANDLE_INVALID;
idl::log::AdminSyncClient g_admin;

bool Launch(const char* const* argv, uint32_t argc, mica_handle_t* handles, const uint32_t* info,
            uint32_t count, mica::Handle* process) {
  userboot::LaunchSpec spec;
  spec.path = argv[0];
  spec.argv = argv;
  spec.argc = argc;
  spec.job = mica_rt_job_default();
  spec.bootfs_vmo = g_bootfs_vmo;
  spec.handles = handles;
  spec.info = info;
  spec.handle_count = count;
  char why[160];
  if (!userboot::Launch(g_fs, spec, process, nullptr, why, sizeof(why))) {
    printf("log-test: cannot start %s: %s\n", argv[0], why);
    return false;
  }
  return true;
}

// Waits for a process to end; its return code, or -1000 on a timeout.
int64_t WaitExit(const mica::Handle& process, mica_duration_t timeout) {
  mica_signals_t seen = 0;
  mica_time_t now = 0;
  mica_clock_get_monotonic(&now);
  if (mica_object_wait_one(process.get(), MICA_TASK_TERMINATED, now + timeout, &seen) != MICA_OK) {
    return -1000;
  }
  mica_info_process_t info = {};
  mica_object_get_info(process.get(), MICA_INFO_PROCESS, &info, sizeof(info), nullptr, nullptr);
  return info.return_code;
}

mica_status_t AttachSink(const char* moniker, uint64_t pid, mica::Channel* client) {
  mica::Channel server;
  mica_status_t s = mica::Channel::Create(0, client, &server);
  if (s != MICA_OK) {
    return s;
  }
  idl::log::Admin::AttachSinkRequest req;
  req.moniker.Set(moniker);
  req.pid = pid;
  req.sink = static_cast<mica::Channel&&>(server);
  idl::log::Admin::AttachSinkResponse resp;
  s = g_admin.AttachSink(req, &resp);
  return s != MICA_OK ? s : resp.status;
}

mica_status_t AttachReader(mica::Channel* client) {
  mica::Channel server;
  mica_status_t s = mica::Channel::Create(0, client, &server);
  if (s != MICA_OK) {
    return s;
  }
  idl::log::Admin::AttachReaderRequest req;
  req.reader = static_cast<mica::Channel&&>(server);
  idl::log::Admin::AttachReaderResponse resp;
  s = g_admin.AttachReader(req, &resp);
  return s != MICA_OK ? s : resp.status;
}

// ---- reading

constexpr uint32_t kMaxRecords = 1024;
idl::log::Record* g_records;  // kMaxRecords, from the heap
uint32_t g_count;
uint64_t g_dropped;

void SetFilter(idl::log::Filter* f, idl::log::Severity min, const char* moniker, const char* tag) {
  f->min_severity = min;
  f->moniker.Set(moniker);
  f->tag.Set(tag);
}

// A whole snapshot into g_records (the newest kMaxRecords if more).
bool Snapshot(idl::log::Severity min, const char* moniker, const char* tag) {
  mica::Channel ch;
  if (AttachReader(&ch) != MICA_OK) {
    return false;
  }
  idl::log::ReaderSyncClient reader(static_cast<mica::Channel&&>(ch));
  idl::log::Reader::StartRequest start;
  start.mode = idl::log::Mode::SNAPSHOT;
  SetFilter(&start.filter, min, moniker, tag);
  idl::log::Reader::StartResponse started;
  if (reader.Start(start, &started) != MICA_OK || started.status != MICA_OK) {
    return false;
  }
  g_count = 0;
  g_dropped = 0;
  static idl::log::Reader::NextResponse next;
  for (int i = 0; i < 1000; i++) {
    idl::log::Reader::NextRequest req;
    if (reader.Next(req, &next) != MICA_OK) {
      return false;
    }
    g_dropped += next.dropped;
    for (const idl::log::Record& r : next.records) {
      g_records[g_count++ % kMaxRecords] = r;
    }
    if (next.end) {
      return true;
    }
  }
  return false;
}

const idl::log::Record* FindMessage(const char* moniker, const char* message) {
  for (uint32_t i = 0; i < g_count && i < kMaxRecords; i++) {
    if (g_records[i].moniker.Equals(moniker) && g_records[i].message.Equals(message)) {
      return &g_records[i];
    }
  }
  return nullptr;
}

idl::log::Stats Stats(idl::log::ReaderSyncClient& reader) {
  idl::log::Reader::GetStatsRequest req;
  idl::log::Reader::GetStatsResponse resp;
  if (reader.GetStats(req, &resp) != MICA_OK) {
    resp.stats = idl::log::Stats();
  }
  return resp.stats;
}

// ---- writer B: a raw log.Sink client that claims pid 4242.
idl::log::SinkSyncClient g_sink_b;

void WriteB(idl::log::Severity sev, const char* tag, const char* message) {
  idl::log::Sink::WriteRequest req;
  mica_time_t now = 0;
  mica_clock_get_monotonic(&now);
  req.entry.time = now;
  req.entry.severity = sev;
  req.entry.pid = 4242;
  req.entry.tid = 77;
  req.entry.tag.Set(tag);
  req.entry.message.Set(message);
  (void)g_sink_b.Write(req);
}

bool SyncB() {
  idl::log::Sink::SyncRequest req;
  idl::log::Sink::SyncResponse resp;
  return g_sink_b.Sync(req, &resp) == MICA_OK;
}

mica_time_t Deadline(mica_duration_t d) {
  mica_time_t now = 0;
  mica_clock_get_monotonic(&now);
  return now + d;
}

int ThreadWriter(void*) {
  mica_log_kv_t kv[] = {{"ms", "250"}};
  mica_log_kv(MICA_LOG_SEVERITY_WARN, "disk", kv, 1, "slow write");
  return 0;
}

uint64_t g_thread_tid;
int ThreadTid(void*) {
  g_thread_tid = KoidOf(mica_rt_thread_handle(mica_rt_thread_self()));
  return ThreadWriter(nullptr);
}

// ---- follow: a thread blocked in Next.
struct FollowCall {
  idl::log::ReaderSyncClient* reader;
  idl::log::Reader::NextResponse* resp;
  mica_status_t status;
  volatile bool done;
};
int FollowThread(void* arg) {
  auto* call = static_cast<FollowCall*>(arg);
  idl::log::Reader::NextRequest req;
  call->status = call->reader->Next(req, call->resp);
  __atomic_store_n(&call->done, true, __ATOMIC_RELEASE);
  return 0;
}

int Run() {
  g_bootfs_vmo =
      mica_rt_take_startup_handle(MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_VMO_BOOTFS, 0));
  char why[160];
  if (!userboot::OpenBootfs(g_bootfs_vmo, &g_fs, why, sizeof(why))) {
    printf("log-test: %s\n", why);
    return 1;
  }
  g_records = new idl::log::Record[kMaxRecords];
  const uint64_t self = KoidOf(mica_rt_process_self());

  // Start the service: an Admin channel and the root resource.
  mica::Channel admin_client;
  mica::Channel admin_server;
  mica::Channel::Create(0, &admin_client, &admin_server);
  mica_handle_t root = MICA_HANDLE_INVALID;
  mica_handle_duplicate(mica_rt_root_resource(), MICA_RIGHT_SAME_RIGHTS, &root);
  mica_handle_t handles[2] = {admin_server.release(), root};
  uint32_t infos[2] = {MICA_BOOTSTRAP_HANDLE_INFO(MICA_LOG_SERVICE_HANDLE_ADMIN, 0),
                       MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_ROOT_RESOURCE, 0)};
  const char* service_argv[] = {"bin/log-service", "--exit-when-idle", "--kernel-poll-ms=20",
                                "--max-connections=64"};
  mica::Handle service;
  if (!Launch(service_argv, 4, handles, infos, 2, &service)) {
    return 1;
  }
  g_admin = idl::log::AdminSyncClient(static_cast<mica::Channel&&>(admin_client));
  g_admin.set_deadline(Deadline(60'000'000'000));

  // ---- attach: identities are checked.
  {
    mica::Channel a;
    CHECK(AttachSink("writer-a", self, &a) == MICA_OK);
    mica_log_set_sink(a.release());
    mica::Channel b;
    CHECK(AttachSink("writer-b", 0, &b) == MICA_OK);
    g_sink_b = idl::log::SinkSyncClient(static_cast<mica::Channel&&>(b));
    mica::Channel bad;
    CHECK(AttachSink("", self, &bad) == MICA_ERR_INVALID_ARGS);
    EndCase("attach");
  }

  // ---- the kernel's log and this process's stdout are merged in.
  {
    printf("log-test: marker 7731\n");
    CHECK(Snapshot(idl::log::Severity::TRACE, "kernel", ""));
    CHECK(g_count > 0);
    bool ready = false;
    for (uint32_t i = 0; i < g_count && i < kMaxRecords; i++) {
      const idl::log::Record& r = g_records[i];
      CHECK(r.pid == 0 && r.tid == 0);
      CHECK(r.flags == idl::log::RecordFlags::KERNEL_LOG);
      CHECK(r.moniker.Equals("kernel"));
      ready = ready || Sv(r.message).find("kernel ready") != std::string_view::npos;
    }
    CHECK(ready);
    // This process was attached with its pid (as writer-a): its stdout
    // carries that moniker (pid_map.h).
    CHECK(Snapshot(idl::log::Severity::TRACE, "writer-a", ""));
    const idl::log::Record* marker = FindMessage("writer-a", "log-test: marker 7731");
    CHECK(marker != nullptr);
    if (marker != nullptr) {
      // The kernel stamps the writer's pid (KLogRecord records tid 0).
      CHECK(marker->pid == self);
      CHECK(marker->flags == idl::log::RecordFlags::KERNEL_LOG);
    }
    EndCase("kernel-log-merged");
  }

  // ---- two writers, three threads; identities and every field.
  {
    mica_log_kv_t kv[] = {{"iface", "eth0"}, {"mtu", "1500"}};
    mica_log_kv(MICA_LOG_SEVERITY_INFO, "net", kv, 2, "link up");
    MICA_LOGF(DEBUG, "net", "debug detail %d", 17);
    mica_rt_thread_t* t = nullptr;
    CHECK(mica_rt_thread_create(&t, ThreadTid, nullptr, "writer-thread", 0) == MICA_OK);
    int rc = -1;
    CHECK(t != nullptr && mica_rt_thread_join(t, &rc) == MICA_OK && rc == 0);
    WriteB(idl::log::Severity::ERROR, "net", "carrier lost");
    WriteB(idl::log::Severity::INFO, "app", "hello from b");
    CHECK(mica_log_flush(Deadline(10'000'000'000)) == MICA_OK);
    CHECK(SyncB());
    CHECK(Snapshot(idl::log::Severity::TRACE, "", ""));
    const idl::log::Record* up = FindMessage("writer-a", "link up");
    const idl::log::Record* dbg = FindMessage("writer-a", "debug detail 17");
    const idl::log::Record* slow = FindMessage("writer-a", "slow write");
    const idl::log::Record* lost = FindMessage("writer-b", "carrier lost");
    const idl::log::Record* hello = FindMessage("writer-b", "hello from b");
    CHECK(up && dbg && slow && lost && hello);
    if (up && dbg && slow && lost && hello) {
      CHECK(up->severity == idl::log::Severity::INFO);
      CHECK(up->tag.Equals("net"));
      CHECK(up->pairs.count == 2 && up->pairs[0].key.Equals("iface") &&
            up->pairs[0].value.Equals("eth0") && up->pairs[1].key.Equals("mtu") &&
            up->pairs[1].value.Equals("1500"));
      CHECK(up->pid == self && up->flags == idl::log::RecordFlags{});
      CHECK(up->tid == KoidOf(mica_rt_thread_handle(mica_rt_thread_self())));
      CHECK(dbg->severity == idl::log::Severity::DEBUG);
      CHECK(slow->severity == idl::log::Severity::WARN && slow->tag.Equals("disk"));
      CHECK(slow->tid == g_thread_tid && slow->tid != up->tid && slow->pid == self);
      // Writer B claimed pid 4242 and was attached without one.
      CHECK(lost->pid == 4242 && lost->tid == 77);
      CHECK(lost->flags == idl::log::RecordFlags::PID_CLAIMED);
      // Stored in the order written; times plausible and ordered.
      CHECK(up->sequence < dbg->sequence && dbg->sequence < slow->sequence);
      CHECK(slow->sequence < lost->sequence && lost->sequence < hello->sequence);
      CHECK(up->time > 0 && up->time <= dbg->time && slow->time <= lost->time);
    }
    EndCase("two-writers");
  }

  // ---- filters: severity, moniker, tag and their combination.
  {
    CHECK(Snapshot(idl::log::Severity::WARN, "", ""));
    for (uint32_t i = 0; i < g_count && i < kMaxRecords; i++) {
      CHECK(g_records[i].severity >= idl::log::Severity::WARN);
    }
    CHECK(FindMessage("writer-a", "slow write") && FindMessage("writer-b", "carrier lost"));
    CHECK(!FindMessage("writer-a", "link up"));
    CHECK(Snapshot(idl::log::Severity::TRACE, "writer-b", ""));
    CHECK(g_count == 2 && FindMessage("writer-b", "carrier lost") &&
          FindMessage("writer-b", "hello from b"));
    CHECK(Snapshot(idl::log::Severity::TRACE, "writer", ""));  // not a '/' prefix
    CHECK(g_count == 0);
    CHECK(Snapshot(idl::log::Severity::TRACE, "", "net"));
    CHECK(g_count == 3 && FindMessage("writer-a", "link up") &&
          FindMessage("writer-a", "debug detail 17") && FindMessage("writer-b", "carrier lost"));
    CHECK(Snapshot(idl::log::Severity::INFO, "writer-a", "net"));
    CHECK(g_count == 1 && FindMessage("writer-a", "link up"));
    EndCase("filters");
  }

  // ---- follow: Next waits for a matching record, and only for one.
  {
    mica::Channel ch;
    CHECK(AttachReader(&ch) == MICA_OK);
    idl::log::ReaderSyncClient reader(static_cast<mica::Channel&&>(ch));
    idl::log::Reader::StartRequest start;
    start.mode = idl::log::Mode::FOLLOW;
    SetFilter(&start.filter, idl::log::Severity::INFO, "writer-a", "follow");
    idl::log::Reader::StartResponse started;
    CHECK(reader.Start(start, &started) == MICA_OK && started.status == MICA_OK);
    static idl::log::Reader::NextResponse resp;
    FollowCall call{&reader, &resp, MICA_ERR_INTERNAL, false};
    mica_rt_thread_t* t = nullptr;
    CHECK(mica_rt_thread_create(&t, FollowThread, &call, "follower", 0) == MICA_OK);
    mica_nanosleep(Deadline(30'000'000));
    CHECK(!__atomic_load_n(&call.done, __ATOMIC_ACQUIRE));
    MICA_LOGF(INFO, "other", "not this one");
    WriteB(idl::log::Severity::INFO, "follow", "nor this one (writer-b)");
    MICA_LOGF(DEBUG, "follow", "nor this one (debug)");
    CHECK(SyncB());
    CHECK(mica_log_flush(Deadline(10'000'000'000)) == MICA_OK);
    mica_nanosleep(Deadline(30'000'000));
    CHECK(!__atomic_load_n(&call.done, __ATOMIC_ACQUIRE));
    MICA_LOGF(INFO, "follow", "f1");
    int rc = -1;
    CHECK(t != nullptr && mica_rt_thread_join(t, &rc) == MICA_OK);
    CHECK(call.status == MICA_OK);
    CHECK(resp.records.count == 1 && resp.records[0].message.Equals("f1"));
    CHECK(resp.dropped == 0 && !resp.end);
    EndCase("follow");
  }

  // ---- snapshot then follow: the stored matching records, then new ones.
  {
    mica::Channel ch;
    CHECK(AttachReader(&ch) == MICA_OK);
    idl::log::ReaderSyncClient reader(static_cast<mica::Channel&&>(ch));
    idl::log::Reader::StartRequest start;
    start.mode = idl::log::Mode::SNAPSHOT_THEN_FOLLOW;
    SetFilter(&start.filter, idl::log::Severity::INFO, "writer-a", "follow");
    idl::log::Reader::StartResponse started;
    CHECK(reader.Start(start, &started) == MICA_OK && started.status == MICA_OK);
    static idl::log::Reader::NextResponse resp;
    idl::log::Reader::NextRequest req;
    CHECK(reader.Next(req, &resp) == MICA_OK);
    CHECK(resp.records.count == 1 && resp.records[0].message.Equals("f1") && !resp.end);
    uint64_t f1 = resp.records.count == 1 ? resp.records[0].sequence : 0;
    MICA_LOGF(WARN, "follow", "f2");
    CHECK(reader.Next(req, &resp) == MICA_OK);
    CHECK(resp.records.count == 1 && resp.records[0].message.Equals("f2"));
    CHECK(resp.records.count == 1 && resp.records[0].sequence > f1);
    CHECK(resp.dropped == 0 && !resp.end);
    EndCase("snapshot-then-follow");
  }

  // ---- protocol misuse ends the reader's connection with BAD_STATE.
  {
    mica::Channel ch;
    CHECK(AttachReader(&ch) == MICA_OK);
    idl::log::ReaderSyncClient reader(static_cast<mica::Channel&&>(ch));
    idl::log::Reader::NextRequest req;
    static idl::log::Reader::NextResponse resp;
    CHECK(reader.Next(req, &resp) == MICA_ERR_BAD_STATE);  // Next before Start
    CHECK(reader.Next(req, &resp) != MICA_OK);             // the connection is gone
    EndCase("reader-misuse");
  }

  // ---- bin/log: a snapshot with filters, in the console format.
  {
    mica::Channel ch;
    CHECK(AttachReader(&ch) == MICA_OK);
    mica_handle_t h[1] = {ch.release()};
    uint32_t info[1] = {MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_USER0, 0)};
    const char* argv[] = {"bin/log", "--moniker=writer-b", "--severity=WARN"};
    mica::Handle proc;
    CHECK(Launch(argv, 3, h, info, 1, &proc));
    CHECK(proc.is_valid() && WaitExit(proc, 30'000'000'000) == 0);
    const char* bad_argv[] = {"bin/log", "--severity=LOUD"};
    mica::Handle bad;
    CHECK(Launch(bad_argv, 2, nullptr, nullptr, 0, &bad));
    CHECK(bad.is_valid() && WaitExit(bad, 30'000'000'000) == 2);
    EndCase("bin-log");
  }

  // ---- drops in the writer: a full channel drops (without blocking) and
  // counts; the count reaches the service with the next record. (The
  // floods are DEBUG: below the console's INFO, they stay off the console.)
  {
    mica::Channel ch;
    CHECK(AttachReader(&ch) == MICA_OK);
    idl::log::ReaderSyncClient reader(static_cast<mica::Channel&&>(ch));
    mica::Channel c0, c1;
    mica::Channel::Create(0, &c0, &c1);
    mica_log_set_sink(c0.release());  // nobody reads c1 yet
    uint64_t dropped_before = mica_log_dropped();
    for (int i = 0; i < 300; i++) {
      MICA_LOGF(DEBUG, "flood0", "queued %d", i);
    }
    CHECK(mica_log_dropped() - dropped_before == 300 - MICA_CHANNEL_MAX_QUEUED_MSGS);
    idl::log::Stats before = Stats(reader);
    // Hand the queued end to the service, as writer-c.
    idl::log::Admin::AttachSinkRequest req;
    req.moniker.Set("writer-c");
    req.pid = self;
    req.sink = static_cast<mica::Channel&&>(c1);
    idl::log::Admin::AttachSinkResponse resp;
    CHECK(g_admin.AttachSink(req, &resp) == MICA_OK && resp.status == MICA_OK);
    // The flush waits for room in the full queue, then until the service
    // has stored everything queued before it: the next record cannot be
    // dropped for a queue the service has not drained yet.
    CHECK(mica_log_flush(Deadline(10'000'000'000)) == MICA_OK);
    MICA_LOGF(DEBUG, "flood1", "after the flood");
    CHECK(mica_log_flush(Deadline(10'000'000'000)) == MICA_OK);
    idl::log::Stats after = Stats(reader);
    uint64_t evicted = after.first_sequence - before.first_sequence;
    CHECK(after.dropped - before.dropped == 300 - MICA_CHANNEL_MAX_QUEUED_MSGS + evicted);
    CHECK(Snapshot(idl::log::Severity::TRACE, "writer-c", "flood0"));
    CHECK(g_count == MICA_CHANNEL_MAX_QUEUED_MSGS);
    CHECK(FindMessage("writer-c", "queued 0") && FindMessage("writer-c", "queued 255"));
    CHECK(!FindMessage("writer-c", "queued 256"));
    EndCase("writer-drops");
  }

  // ---- drops in the ring: a follower that falls behind is told how many
  // records it missed and continues with the oldest one held.
  {
    mica::Channel ch;
    CHECK(AttachReader(&ch) == MICA_OK);
    idl::log::ReaderSyncClient reader(static_cast<mica::Channel&&>(ch));
    idl::log::Reader::StartRequest start;
    start.mode = idl::log::Mode::FOLLOW;
    SetFilter(&start.filter, idl::log::Severity::TRACE, "writer-c", "flood2");
    idl::log::Reader::StartResponse started;
    CHECK(reader.Start(start, &started) == MICA_OK && started.status == MICA_OK);
    constexpr int kFlood = 1200;
    char pad[101];
    memset(pad, 'p', 100);
    pad[100] = '\0';
    for (int i = 0; i < kFlood; i++) {
      MICA_LOGF(DEBUG, "flood2", "%d %s", i, pad);
      if (i % 200 == 199) {
        CHECK(mica_log_flush(Deadline(10'000'000'000)) == MICA_OK);  // no writer drops
      }
    }
    CHECK(mica_log_flush(Deadline(10'000'000'000)) == MICA_OK);
    idl::log::Stats stats = Stats(reader);
    CHECK(stats.bytes <= stats.capacity && stats.capacity == 65536);
    uint64_t got = 0;
    uint64_t dropped = 0;
    int last = -1;
    bool ordered = true;
    static idl::log::Reader::NextResponse resp;
    reader.set_deadline(Deadline(30'000'000'000));
    while (last != kFlood - 1) {
      idl::log::Reader::NextRequest req;
      if (reader.Next(req, &resp) != MICA_OK) {
        CHECK(false);
        break;
      }
      if (got == 0) {
        CHECK(resp.dropped > 0);
        // It continues at the oldest record held (or a later one, if
        // kernel lines came meanwhile or the oldest did not match).
        CHECK(resp.records.count > 0 && resp.records[0].sequence >= stats.first_sequence);
      }
      dropped += resp.dropped;
      for (const idl::log::Record& r : resp.records) {
        int n = 0;
        for (uint32_t k = 0; k < r.message.size && r.message.data[k] != ' '; k++) {
          n = n * 10 + (r.message.data[k] - '0');
        }
        ordered = ordered && n > last;
        last = n;
        got++;
      }
    }
    CHECK(ordered);
    CHECK(got > 0 && dropped > 0);
    CHECK(got + dropped >= kFlood);
    CHECK(mica_log_dropped() == 300 - MICA_CHANNEL_MAX_QUEUED_MSGS);  // none new
    printf("log-test: ring overrun: %llu records read, %llu dropped, ring %u records, %u bytes\n",
           static_cast<unsigned long long>(got), static_cast<unsigned long long>(dropped),
           stats.records, stats.bytes);
    EndCase("ring-overrun");
  }

  // ---- another process with the sink as its startup handle
  // (mica_log_connect_default); the launcher vouches for its koid.
  {
    mica::Channel client, server;
    mica::Channel::Create(0, &client, &server);
    mica_handle_t h[1] = {client.release()};
    uint32_t info[1] = {MICA_BOOTSTRAP_HANDLE_INFO(MICA_BOOTSTRAP_LOG_SINK, 0)};
    const char* argv[] = {"bin/log-test", "child"};
    mica::Handle child;
    CHECK(Launch(argv, 2, h, info, 1, &child));
    uint64_t child_koid = KoidOf(child.get());
    // Attached after the child started: what it wrote waits in the channel.
    idl::log::Admin::AttachSinkRequest req;
    req.moniker.Set("sys/child");
    req.pid = child_koid;
    req.sink = static_cast<mica::Channel&&>(server);
    idl::log::Admin::AttachSinkResponse resp;
    CHECK(g_admin.AttachSink(req, &resp) == MICA_OK && resp.status == MICA_OK);
    CHECK(child.is_valid() && WaitExit(child, 30'000'000'000) == 0);
    // Its record, and its stdout line (written after the service had its
    // sink, merged from the kernel's log perhaps only now that its sink
    // has closed): both as sys/child.
    CHECK(Snapshot(idl::log::Severity::TRACE, "sys", ""));
    CHECK(g_count == 2);
    const idl::log::Record* r = FindMessage("sys/child", "hello from the child 5");
    CHECK(r != nullptr);
    if (r != nullptr) {
      CHECK(r->pid == child_koid && r->pid != self && r->flags == idl::log::RecordFlags{});
      CHECK(r->tag.Equals("child") && r->severity == idl::log::Severity::ERROR);
      CHECK(r->tid != 0 && r->tid != KoidOf(mica_rt_thread_handle(mica_rt_thread_self())));
    }
    const idl::log::Record* out = FindMessage("sys/child", "log-test: child stdout 5");
    CHECK(out != nullptr && out->pid == child_koid &&
          out->flags == idl::log::RecordFlags::KERNEL_LOG);
    EndCase("child-process");
  }

  // ---- a process nobody attached: its stdout and its API's fallback
  // lines stay `debuglog`, with its pid.
  {
    const char* argv[] = {"bin/log-test", "child-alone"};
    mica::Handle alone;
    CHECK(Launch(argv, 2, nullptr, nullptr, 0, &alone));
    uint64_t alone_koid = KoidOf(alone.get());
    CHECK(alone.is_valid() && WaitExit(alone, 30'000'000'000) == 0);
    CHECK(Snapshot(idl::log::Severity::TRACE, "debuglog", ""));
    const idl::log::Record* out = FindMessage("debuglog", "log-test: alone 6");
    const idl::log::Record* fallback = FindMessage("debuglog", "[alone] WARN: no sink 6");
    CHECK(out != nullptr && out->pid == alone_koid);
    CHECK(fallback != nullptr && fallback->pid == alone_koid);
    CHECK(!FindMessage("sys/child", "log-test: alone 6"));
    EndCase("unattached-process");
  }

  // ---- the connection limit (--max-connections=64): refused, not
  // crashed; room again once connections close.
  {
    constexpr int kTry = 80;
    static mica::Channel sinks[kTry];
    int ok = 0;
    mica_status_t refused = MICA_OK;
    for (int i = 0; i < kTry && refused == MICA_OK; i++) {
      mica_status_t st = AttachSink("many", self, &sinks[i]);
      if (st == MICA_OK) {
        ok++;
      } else {
        refused = st;
      }
    }
    CHECK(refused == MICA_ERR_NO_RESOURCES);
    CHECK(ok >= 40 && ok < 64);
    mica::Channel r;
    CHECK(AttachReader(&r) == MICA_ERR_NO_RESOURCES);
    for (mica::Channel& c : sinks) {
      c.reset();
    }
    mica_status_t again = MICA_ERR_NO_RESOURCES;
    for (int i = 0; i < 100 && again == MICA_ERR_NO_RESOURCES; i++) {
      again = AttachReader(&r);
      if (again == MICA_ERR_NO_RESOURCES) {
        mica_nanosleep(Deadline(10'000'000));
      }
    }
    CHECK(again == MICA_OK);
    EndCase("connection-limit");
  }

  // ---- the service goes: it exits once idle; the API falls back to the
  // debug log at once, never blocking.
  {
    mica_log_set_sink(MICA_HANDLE_INVALID);
    g_sink_b = idl::log::SinkSyncClient();
    g_admin = idl::log::AdminSyncClient();
    CHECK(WaitExit(service, 30'000'000'000) == 0);
    mica::Channel c0, c1;
    mica::Channel::Create(0, &c0, &c1);
    c1.reset();
    mica_log_set_sink(c0.release());
    uint64_t fb = mica_log_fallbacks();
    MICA_LOGF(WARN, "fallback", "service gone");
    CHECK(mica_log_fallbacks() == fb + 1);
    CHECK(mica_log_flush(Deadline(1'000'000'000)) == MICA_ERR_BAD_STATE);
    EndCase("service-gone");
  }

  printf("log-test: %d passed, %d failed\n", g_passed, g_failed);
  return g_failed;
}

// `bin/log-test child`: logs one record through the sink it was started
// with and waits until the service has it.
int Child() {
  MICA_LOGF(ERROR, "child", "hello from the child %d", 5);
  if (mica_log_flush(Deadline(20'000'000'000)) != MICA_OK) {
    return 3;
  }
  printf("log-test: child stdout %d\n", 5);  // the service knows this pid by now
  return 0;
}

// `bin/log-test child-alone`: started without a sink: its record falls
// back to the debug log, beside its stdout.
int ChildAlone() {
  printf("log-test: alone %d\n", 6);
  MICA_LOGF(WARN, "alone", "no sink %d", 6);
  return mica_log_fallbacks() == 1 ? 0 : 4;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    return Child();
  }
  if (argc > 1 && strcmp(argv[1], "child-alone") == 0) {
    return ChildAlone();
  }
  return Run();
}
