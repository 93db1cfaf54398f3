// The log service (docs/logging.md): one Ring, served on one
// mica::async::Loop as log.Admin, log.Sink and log.Reader
// (system/idl/log.idl), with the kernel's debug log merged in and INFO and
// above written to the console.
#pragma once

#include <mica/async/loop.h>
#include <mica/cpp/objects.h>

#include <string_view>

#include "system/core/log_service/options.h"
#include "system/core/log_service/pid_map.h"
#include "system/core/log_service/ring.h"

namespace log_service {

class ReaderImpl;

class Service {
 public:
  Service(mica::async::Loop* loop, const Options& opts);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Allocates the ring, learns the service's own koid (its console lines
  // come back through the debug log and are skipped) and, with
  // opts.merge_kernel, starts merging `kernel_log` (a readable debug log;
  // main.cc OpenKernelLog). A one-line reason on failure.
  bool Init(mica::Debuglog kernel_log, char* why, size_t why_size);

  // The three ways in. Each takes the channel and serves it on the loop:
  // MICA_OK, or MICA_ERR_NO_RESOURCES (opts.max_connections are open) and
  // the channel is closed.
  mica_status_t ServeAdmin(mica::Channel channel);
  // The moniker and pid are the identity the router vouches for
  // (MICA_ERR_INVALID_ARGS for an empty moniker).
  mica_status_t ServeSink(mica::Channel channel, std::string_view moniker, uint64_t pid);
  mica_status_t ServeReader(mica::Channel channel);

  // Stores one record, writes it to the console if it is not from the
  // kernel's log and is at or above the console severity, and wakes the
  // readers waiting for it.
  void Store(const RecordView& r);
  // Merges what the kernel's debug log holds now (bounded per call).
  void DrainKernel();

  Ring& ring() { return ring_; }
  // The attached processes (a Sink attached with a pid vouches for it):
  // their debug log records carry their moniker.
  PidMonikers& pids() { return pids_; }
  mica::async::Loop* loop() { return loop_; }
  const Options& options() const { return opts_; }

  // Connection bookkeeping (for --exit-when-idle).
  void ConnectionOpened() { connections_++; }
  void ConnectionClosed();
  void AddReader(ReaderImpl* r);
  void RemoveReader(ReaderImpl* r);

 private:
  void WaitKernel();
  void PollKernel();
  void Console(const RecordView& r);

  mica::async::Loop* loop_;
  Options opts_;
  Ring ring_;
  PidMonikers pids_;
  uint64_t self_koid_ = 0;
  mica::Debuglog klog_;
  uint64_t klog_next_ = 0;  // the kernel sequence expected next
  bool klog_started_ = false;
  uint32_t connections_ = 0;
  ReaderImpl* readers_ = nullptr;  // intrusive list (ReaderImpl::next_)
};

}  // namespace log_service
