#include "system/core/log_service/service.h"

#include <idl/log_ipc.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include "system/core/log_service/record.h"

namespace log_service {

namespace {

// Kernel records merged per DrainKernel call (the rest on the next turn of
// the loop, so a flood cannot starve the other connections).
constexpr int kKernelBatch = 64;

std::string_view View(const char* data, uint32_t size) {
  return std::string_view(data, size);
}

template <uint32_t N>
std::string_view View(const mica::idl::String<N>& s) {
  return std::string_view(s.data, s.size);
}

// ---- log.Sink: one writer, with the identity it was attached with.
class SinkImpl final : public idl::log::SinkServer {
 public:
  SinkImpl(Service* service, mica::Channel channel, std::string_view moniker, uint64_t pid)
      : SinkServer(service->loop(), static_cast<mica::Channel&&>(channel)),
        service_(service),
        pid_(pid),
        attached_(mica::async::Loop::Now()) {
    moniker_len_ = moniker.size() < sizeof(moniker_) ? moniker.size() : sizeof(moniker_);
    memcpy(moniker_, moniker.data(), moniker_len_);
    // The process's own debug log lines are its too (pid_map.h); a pid
    // is only known when the attacher gave it.
    named_ = service_->pids().Attach(pid_, std::string_view(moniker_, moniker_len_));
  }
  ~SinkImpl() override {
    if (named_) {
      service_->pids().Detach(pid_);
    }
  }

  void Write(idl::log::Sink::WriteRequest& req) override {
    const idl::log::Entry& e = req.entry;
    if (e.dropped_before != 0) {
      service_->ring().AddExternalDrops(e.dropped_before);
    }
    RecordView r;
    // The writer's time, if it is plausible: not before the connection was
    // attached, not in the future.
    mica_time_t now = mica::async::Loop::Now();
    r.time = e.time >= attached_ && e.time <= now ? e.time : now;
    r.severity = static_cast<Severity>(e.severity);
    r.pid = pid_ != 0 ? pid_ : e.pid;
    r.flags = pid_ != 0 ? 0 : kFlagPidClaimed;
    r.tid = e.tid;
    r.moniker = std::string_view(moniker_, moniker_len_);
    r.tag = View(e.tag);
    r.message = View(e.message);
    r.pair_count = e.pairs.count;
    for (uint32_t i = 0; i < e.pairs.count; i++) {
      r.pairs[i] = {View(e.pairs[i].key), View(e.pairs[i].value)};
    }
    service_->Store(r);
  }

  void Sync(idl::log::Sink::SyncRequest&, SyncCompleter done) override {
    idl::log::Sink::SyncResponse resp;
    done.Reply(resp);
  }

 private:
  Service* service_;
  char moniker_[kMaxMoniker];
  size_t moniker_len_ = 0;
  uint64_t pid_;
  mica_time_t attached_;
  bool named_ = false;  // counted in the service's PidMonikers
};

}  // namespace

// ---- log.Reader: one cursor, a filter and at most one waiting Next.
class ReaderImpl final : public idl::log::ReaderServer {
 public:
  ReaderImpl(Service* service, mica::Channel channel)
      : ReaderServer(service->loop(), static_cast<mica::Channel&&>(channel)), service_(service) {}

  void Start(idl::log::Reader::StartRequest& req, StartCompleter done) override {
    idl::log::Reader::StartResponse resp;
    resp.status = MICA_OK;
    // A waiting Next of an earlier read ends empty.
    FinishPending(true);
    const idl::log::Filter& f = req.filter;
    memcpy(moniker_, f.moniker.data, f.moniker.size);
    memcpy(tag_, f.tag.data, f.tag.size);
    cursor_.filter.min_severity = static_cast<Severity>(f.min_severity);
    cursor_.filter.moniker = std::string_view(moniker_, f.moniker.size);
    cursor_.filter.tag = std::string_view(tag_, f.tag.size);
    mode_ = req.mode;
    service_->DrainKernel();
    Ring& ring = service_->ring();
    cursor_.next = mode_ == idl::log::Mode::FOLLOW ? ring.next_sequence() : ring.first_sequence();
    end_ = ring.next_sequence();
    dropped_ = 0;
    started_ = true;
    done.Reply(resp);
  }

  void Next(idl::log::Reader::NextRequest&, NextCompleter done) override {
    if (!started_) {
      done.Close(MICA_ERR_BAD_STATE);
      return;
    }
    if (pending_.pending()) {
      done.Close(MICA_ERR_BAD_STATE);  // one Next at a time
      return;
    }
    pending_ = static_cast<NextCompleter&&>(done);
    service_->DrainKernel();
    TryComplete();
  }

  void GetStats(idl::log::Reader::GetStatsRequest&, GetStatsCompleter done) override {
    service_->DrainKernel();
    Ring& ring = service_->ring();
    idl::log::Reader::GetStatsResponse resp;
    resp.stats.first_sequence = ring.first_sequence();
    resp.stats.next_sequence = ring.next_sequence();
    resp.stats.records = static_cast<uint32_t>(ring.count());
    resp.stats.bytes = static_cast<uint32_t>(ring.bytes());
    resp.stats.capacity = static_cast<uint32_t>(ring.capacity());
    resp.stats.dropped = ring.dropped();
    done.Reply(resp);
  }

  // Answers the waiting Next if there is something to answer with.
  void TryComplete() { FinishPending(false); }

  ReaderImpl* next_ = nullptr;
  ReaderImpl* prev_ = nullptr;

 private:
  void FinishPending(bool force) {
    if (!pending_.pending()) {
      return;
    }
    // One reply at a time on the loop's thread: the reply struct (about
    // 13 KiB) lives here rather than on the stack.
    static idl::log::Reader::NextResponse resp;
    resp.records.count = 0;
    resp.end = false;
    Ring& ring = service_->ring();
    bool snapshot = mode_ == idl::log::Mode::SNAPSHOT;
    RecordView v;
    while (resp.records.count < idl::log::MAX_BATCH) {
      if (!ring.ReadNext(&cursor_, &v, &dropped_)) {
        break;
      }
      if (snapshot && v.sequence >= end_) {
        // Everything before end_ was read or did not match: the snapshot
        // is complete.
        cursor_.next = end_;
        break;
      }
      ToIdl(v, &resp.records.items[resp.records.count++]);
    }
    if (snapshot && resp.records.count < idl::log::MAX_BATCH && cursor_.next >= end_) {
      resp.end = true;
    }
    if (!force && resp.records.count == 0 && dropped_ == 0 && !resp.end) {
      return;  // follow: wait for a matching record
    }
    resp.dropped = dropped_;
    dropped_ = 0;
    pending_.Reply(resp);
  }

  Service* service_;
  Ring::Cursor cursor_;
  char moniker_[kMaxMoniker];
  char tag_[kMaxTag];
  idl::log::Mode mode_ = idl::log::Mode::SNAPSHOT;
  uint64_t end_ = 0;
  uint64_t dropped_ = 0;
  bool started_ = false;
  NextCompleter pending_;
};

namespace {

// ---- log.Admin: attaches Sinks (with an identity) and Readers.
class AdminImpl final : public idl::log::AdminServer {
 public:
  AdminImpl(Service* service, mica::Channel channel)
      : AdminServer(service->loop(), static_cast<mica::Channel&&>(channel)), service_(service) {}

  void AttachSink(idl::log::Admin::AttachSinkRequest& req, AttachSinkCompleter done) override {
    idl::log::Admin::AttachSinkResponse resp;
    resp.status =
        service_->ServeSink(static_cast<mica::Channel&&>(req.sink), View(req.moniker), req.pid);
    done.Reply(resp);
  }

  void AttachReader(idl::log::Admin::AttachReaderRequest& req,
                    AttachReaderCompleter done) override {
    idl::log::Admin::AttachReaderResponse resp;
    resp.status = service_->ServeReader(static_cast<mica::Channel&&>(req.reader));
    done.Reply(resp);
  }

 private:
  Service* service_;
};

}  // namespace

Service::Service(mica::async::Loop* loop, const Options& opts)
    : loop_(loop), opts_(opts), ring_(opts.capacity), pids_(opts.max_connections) {}

Service::~Service() = default;

bool Service::Init(mica::Debuglog kernel_log, char* why, size_t why_size) {
  if (!ring_.ok()) {
    snprintf(why, why_size, "cannot allocate a ring of %zu bytes", opts_.capacity);
    return false;
  }
  if (!pids_.ok()) {
    snprintf(why, why_size, "cannot allocate %u process entries", opts_.max_connections);
    return false;
  }
  mica_info_handle_basic_t info;
  mica_status_t s = mica_object_get_info(mica_rt_process_self(), MICA_INFO_HANDLE_BASIC, &info,
                                         sizeof(info), nullptr, nullptr);
  if (s != MICA_OK) {
    snprintf(why, why_size, "cannot read its own koid (status %d)", static_cast<int>(s));
    return false;
  }
  self_koid_ = info.koid;
  if (!opts_.merge_kernel) {
    return true;
  }
  if (!kernel_log.is_valid()) {
    snprintf(why, why_size, "cannot read the kernel's log (no readable debug log)");
    return false;
  }
  klog_ = static_cast<mica::Debuglog&&>(kernel_log);
  // The first merge waits until the loop has served what was queued for
  // the service when it started (a posted task runs only once no packet is
  // pending): the processes attached by then have their earliest lines
  // named (pid_map.h).
  loop_->PostTask([this] {
    DrainKernel();
    WaitKernel();
    PollKernel();
  });
  return true;
}

void Service::WaitKernel() {
  // debuglog_write records raise READABLE at once; kernel lines do not
  // (they are logged where no signal can be raised), hence PollKernel.
  loop_->BeginWait(klog_.get(), MICA_SIGNAL_READABLE, [this](mica_status_t s, mica_signals_t) {
    if (s != MICA_OK) {
      return;
    }
    DrainKernel();
    WaitKernel();
  });
}

void Service::PollKernel() {
  loop_->PostTaskAfter(
      [this] {
        DrainKernel();
        PollKernel();
      },
      static_cast<mica_duration_t>(opts_.kernel_poll_ms) * 1'000'000);
}

void Service::DrainKernel() {
  if (!klog_.is_valid()) {
    return;
  }
  for (int i = 0; i < kKernelBatch; i++) {
    mica_log_record_t rec;
    size_t actual = 0;
    if (klog_.read(0, &rec, &actual) != MICA_OK) {
      return;
    }
    // The kernel's sequence jumps over what its ring overwrote unread.
    if (klog_started_ && rec.sequence > klog_next_) {
      ring_.AddExternalDrops(rec.sequence - klog_next_);
    }
    klog_started_ = true;
    klog_next_ = rec.sequence + 1;
    if (rec.pid == self_koid_) {
      continue;  // our own console lines
    }
    RecordView r;
    r.time = rec.timestamp;
    r.severity = Severity::kInfo;
    r.flags = kFlagKernelLog;
    r.pid = rec.pid;
    r.tid = rec.tid;
    r.moniker = KernelRecordMoniker(rec.pid, pids_);
    size_t n = rec.data_size < MICA_LOG_MAX_DATA ? rec.data_size : MICA_LOG_MAX_DATA;
    r.message = View(rec.data, static_cast<uint32_t>(n));
    Store(r);
  }
  // More may wait: continue after the loop's other work.
  loop_->PostTask([this] { DrainKernel(); });
}

void Service::Store(const RecordView& r) {
  uint64_t seq = ring_.Append(r);
  if (opts_.console && (r.flags & kFlagKernelLog) == 0 && r.severity >= opts_.console_min) {
    RecordView stored;
    if (ring_.Get(seq, &stored)) {
      Console(stored);
    }
  }
  for (ReaderImpl* reader = readers_; reader != nullptr;) {
    ReaderImpl* next = reader->next_;
    reader->TryComplete();
    reader = next;
  }
}

void Service::Console(const RecordView& r) {
  // One debug log record per line; the kernel adds its own
  // `[secs.micros] log-service(koid): ` in front on the console.
  char line[MICA_LOG_MAX_DATA + 1];
  size_t n = FormatLine(r, line, sizeof(line));
  (void)mica_debuglog_write(mica_rt_debuglog(), 0, line, n);
}

mica_status_t Service::ServeAdmin(mica::Channel channel) {
  if (connections_ >= opts_.max_connections) {
    return MICA_ERR_NO_RESOURCES;
  }
  auto* admin = new AdminImpl(this, static_cast<mica::Channel&&>(channel));
  ConnectionOpened();
  admin->set_error_handler([this, admin](mica_status_t) {
    delete admin;
    ConnectionClosed();
  });
  mica_status_t s = admin->Begin();
  if (s != MICA_OK) {
    delete admin;
    ConnectionClosed();
  }
  return s;
}

mica_status_t Service::ServeSink(mica::Channel channel, std::string_view moniker, uint64_t pid) {
  if (moniker.empty() || !channel.is_valid()) {
    return MICA_ERR_INVALID_ARGS;
  }
  if (connections_ >= opts_.max_connections) {
    return MICA_ERR_NO_RESOURCES;
  }
  auto* sink = new SinkImpl(this, static_cast<mica::Channel&&>(channel), moniker, pid);
  ConnectionOpened();
  sink->set_error_handler([this, sink](mica_status_t) {
    delete sink;
    ConnectionClosed();
  });
  mica_status_t s = sink->Begin();
  if (s != MICA_OK) {
    delete sink;
    ConnectionClosed();
  }
  return s;
}

mica_status_t Service::ServeReader(mica::Channel channel) {
  if (connections_ >= opts_.max_connections) {
    return MICA_ERR_NO_RESOURCES;
  }
  auto* reader = new ReaderImpl(this, static_cast<mica::Channel&&>(channel));
  ConnectionOpened();
  AddReader(reader);
  reader->set_error_handler([this, reader](mica_status_t) {
    RemoveReader(reader);
    delete reader;
    ConnectionClosed();
  });
  mica_status_t s = reader->Begin();
  if (s != MICA_OK) {
    RemoveReader(reader);
    delete reader;
    ConnectionClosed();
  }
  return s;
}

void Service::AddReader(ReaderImpl* r) {
  r->prev_ = nullptr;
  r->next_ = readers_;
  if (readers_ != nullptr) {
    readers_->prev_ = r;
  }
  readers_ = r;
}

void Service::RemoveReader(ReaderImpl* r) {
  if (r->prev_ != nullptr) {
    r->prev_->next_ = r->next_;
  } else {
    readers_ = r->next_;
  }
  if (r->next_ != nullptr) {
    r->next_->prev_ = r->prev_;
  }
  r->next_ = r->prev_ = nullptr;
}

void Service::ConnectionClosed() {
  connections_--;
  if (opts_.exit_when_idle && connections_ == 0) {
    loop_->Quit();
  }
}

}  // namespace log_service
