// bin/cm-test-component: the component manager's test components
// (README.md here; test/harness/component_cases.py). One binary, by mode:
//   serve <label> <protocol>... [--ignore-stop]
//       provides each protocol: a client writes "ping" (answered with
//       "<label>"), "kill" (the process kills itself), "exit <n>" (exits
//       with n); on Lifecycle.Stop it exits 0, unless --ignore-stop.
//   exit <n>     prints and exits with n (Realm.Run of a bare program, or
//                of meta/cm-test-exit.cm with n as Run's argument)
//   missing <protocol>...
//                Connect of each must fail NOT_FOUND (printed with the
//                capability's name): exit 0 if so
//   crash        dereferences null at once (a component that always crashes)
//   log-koid <k> exits 0 if its stdout is the debug log object k, else 1
//   check        the checker: every runtime behaviour over component.Realm
//                and the routed test protocols; exits with its failures.
#include <idl/component_ipc.h>
#include <idl/directory_ipc.h>
#include <idl/inspect_ipc.h>
#include <idl/kernel_ipc.h>
#include <idl/log_ipc.h>
#include <mica/async/loop.h>
#include <mica/component/component.h>
#include <mica/driver/status_name.h>
#include <mica/log/log.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace {

constexpr mica_duration_t kMs = 1000000;

// --- serve -----------------------------------------------------------------

struct Connection {
  mica::Channel channel;
  mica::async::WaitId wait = 0;
};

const char* g_label = "";

void Handle(mica::async::Loop* loop, Connection* c) {
  char buf[64];
  uint32_t n = 0, nh = 0;
  for (;;) {
    mica_status_t s = c->channel.read(0, buf, nullptr, sizeof(buf) - 1, 0, &n, &nh);
    if (s == MICA_ERR_SHOULD_WAIT) {
      break;
    }
    if (s != MICA_OK) {
      loop->CancelWait(c->wait);
      delete c;
      return;
    }
    buf[n] = '\0';
    if (strcmp(buf, "ping") == 0) {
      (void)c->channel.write(0, g_label, static_cast<uint32_t>(strlen(g_label)), nullptr, 0);
    } else if (strcmp(buf, "kill") == 0) {
      printf("cm-test: %s kills itself\n", g_label);
      (void)mica_task_kill(mica_rt_process_self());
    } else if (strncmp(buf, "exit ", 5) == 0) {
      int code = atoi(buf + 5);
      printf("cm-test: %s exits with %d\n", g_label, code);
      exit(code);
    }
  }
}

int Serve(int argc, char** argv) {
  if (argc < 4) {
    return 2;
  }
  g_label = argv[2];
  bool ignore_stop = strcmp(argv[argc - 1], "--ignore-stop") == 0;
  int protocols = ignore_stop ? argc - 1 : argc;
  static mica::async::Loop loop;
  static mica::component::Outgoing out(&loop);
  for (int i = 3; i < protocols; i++) {
    (void)out.AddProtocol(argv[i], [](mica::Channel ch) {
      auto* c = new Connection;
      c->channel = static_cast<mica::Channel&&>(ch);
      (void)loop.BeginRepeatingWait(
          c->channel.get(), MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED,
          [c](mica_status_t s, mica_signals_t) {
            if (s == MICA_OK) {
              Handle(&loop, c);
            }
          },
          &c->wait);
      Handle(&loop, c);
    });
  }
  if (out.ServeFromStartup() != MICA_OK) {
    printf("cm-test: %s has no outgoing handle\n", g_label);
    return 3;
  }
  (void)out.ServeLifecycle([ignore_stop] {
    if (ignore_stop) {
      printf("cm-test: %s ignores the stop request\n", g_label);
      return;
    }
    printf("cm-test: %s stopping\n", g_label);
    loop.Quit();
  });
  printf("cm-test: %s up\n", g_label);
  loop.Run();
  return 0;
}

// --- check -----------------------------------------------------------------

uint32_t g_passed = 0;
uint32_t g_failed = 0;

void Check(bool ok, const char* name, const char* detail) {
  if (ok) {
    g_passed++;
    printf("cm-test: check %s ok\n", name);
  } else {
    g_failed++;
    printf("cm-test: check %s FAILED: %s\n", name, detail);
  }
}

// Writes `msg` and waits for the answer: the reply in `reply`, or the error.
mica_status_t Ask(const mica::Channel& ch, const char* msg, char* reply, size_t size) {
  mica_status_t s = ch.write(0, msg, static_cast<uint32_t>(strlen(msg)), nullptr, 0);
  if (s != MICA_OK) {
    return s;
  }
  mica_signals_t seen = 0;
  s = mica_object_wait_one(ch.get(), MICA_CHANNEL_READABLE | MICA_CHANNEL_PEER_CLOSED,
                           mica::async::Loop::Now() + 5000 * kMs, &seen);
  if (s != MICA_OK) {
    return s;
  }
  uint32_t n = 0, nh = 0;
  s = ch.read(0, reply, nullptr, static_cast<uint32_t>(size - 1), 0, &n, &nh);
  if (s == MICA_OK) {
    reply[n] = '\0';
  }
  return s;
}

bool PingIs(const char* protocol, const char* want, mica::Channel* keep = nullptr) {
  mica::Channel ch;
  mica_status_t s = mica::component::Connect(protocol, &ch);
  char reply[64] = {};
  if (s == MICA_OK) {
    s = Ask(ch, "ping", reply, sizeof(reply));
  }
  if (s != MICA_OK || strcmp(reply, want) != 0) {
    printf("cm-test: %s answered \"%s\" (status %d), not \"%s\"\n", protocol, reply,
           static_cast<int>(s), want);
    return false;
  }
  if (keep != nullptr) {
    *keep = static_cast<mica::Channel&&>(ch);
  }
  return true;
}

// The machine's retired instructions (MICA_SYSTEM_INFO_INSTRUCTIONS: QEMU
// with -icount only), or 0 without the counter.
uint64_t Instructions() {
  mica_system_info_instructions_t info = {};
  if (mica_system_get_info(MICA_SYSTEM_INFO_INSTRUCTIONS, &info, sizeof(info)) != MICA_OK) {
    return 0;
  }
  return info.retired;
}

// A `./mica bench` figure (test/bench/bench.py, LazyChecker): the
// instructions between two Instructions() reads, when there is a counter.
void Figure(const char* name, uint64_t before, uint64_t after) {
  if (before == 0 || after < before) {
    printf("cm-test: %s not measured: no instruction counter (QEMU -icount only)\n", name);
    return;
  }
  printf("bench: %s %llu\n", name, static_cast<unsigned long long>(after - before));
}

bool WaitClosed(const mica::Channel& ch) {
  mica_signals_t seen = 0;
  return mica_object_wait_one(ch.get(), MICA_CHANNEL_PEER_CLOSED,
                              mica::async::Loop::Now() + 5000 * kMs, &seen) == MICA_OK;
}

class Tree {
 public:
  explicit Tree(idl::component::RealmSyncClient* realm) : realm_(realm) {}
  // Reads the whole tree; false on error.
  bool Read() {
    count_ = 0;
    for (uint32_t start = 0;;) {
      idl::component::Realm::ListRequest req;
      req.start = start;
      static idl::component::Realm::ListResponse resp;
      if (realm_->List(req, &resp) != MICA_OK) {
        return false;
      }
      for (const auto& c : resp.components) {
        if (count_ < kMax) {
          items_[count_++] = c;
        }
      }
      start += resp.components.count;
      if (resp.components.count == 0 || start >= resp.total) {
        return true;
      }
    }
  }
  const idl::component::Component* Get(const char* moniker) const {
    for (uint32_t i = 0; i < count_; i++) {
      if (items_[i].moniker.Equals(moniker)) {
        return &items_[i];
      }
    }
    return nullptr;
  }
  void Print() const {
    for (uint32_t i = 0; i < count_; i++) {
      const auto& c = items_[i];
      static const char* const kStates[] = {"?", "stopped", "starting", "running", "failed"};
      printf("cm-test: tree %.*s [%s] process %llu restarts %u exit %lld uses %u exposes %u\n",
             static_cast<int>(c.moniker.size), c.moniker.data,
             kStates[static_cast<uint8_t>(c.state) <= 4 ? static_cast<uint8_t>(c.state) : 0],
             static_cast<unsigned long long>(c.koid), c.restarts,
             c.has_exited ? static_cast<long long>(c.last_exit_code) : -1LL, c.uses.count,
             c.exposes.count);
    }
  }

 private:
  static constexpr uint32_t kMax = 32;
  idl::component::RealmSyncClient* realm_;
  idl::component::Component items_[kMax];
  uint32_t count_ = 0;
};

bool StateIs(Tree& t, const char* moniker, idl::component::State state) {
  const idl::component::Component* c = t.Get(moniker);
  return c != nullptr && c->state == state;
}

// The first record of the log service's snapshot for `moniker` whose
// message holds `text` (copied into *out): whether there is one.
bool FindLogRecord(const char* moniker, const char* text, idl::log::Record* out) {
  mica::Channel ch;
  if (mica::component::Connect("log.Reader", &ch) != MICA_OK) {
    return false;
  }
  idl::log::ReaderSyncClient reader(static_cast<mica::Channel&&>(ch));
  reader.set_deadline(mica::async::Loop::Now() + 10000 * kMs);
  idl::log::Reader::StartRequest start;
  start.mode = idl::log::Mode::SNAPSHOT;
  start.filter.min_severity = idl::log::Severity::TRACE;
  start.filter.moniker.Set(moniker);
  idl::log::Reader::StartResponse started;
  if (reader.Start(start, &started) != MICA_OK || started.status != MICA_OK) {
    return false;
  }
  for (;;) {
    idl::log::Reader::NextRequest req;
    static idl::log::Reader::NextResponse resp;
    if (reader.Next(req, &resp) != MICA_OK) {
      return false;
    }
    for (const idl::log::Record& r : resp.records) {
      if (strstr(r.message.data, text) != nullptr) {
        *out = r;
        return true;
      }
    }
    if (resp.end) {
      return false;
    }
  }
}

mica_status_t RunIn(idl::component::RealmSyncClient& realm, const char* target,
                    const char* const* args, uint32_t argc, char* moniker, size_t size,
                    mica::Handle stdout_log = mica::Handle()) {
  idl::component::Realm::RunRequest req;
  req.stdout = mica::Debuglog(stdout_log.release());
  req.collection.Set("/run");
  req.target.Set(target);
  for (uint32_t i = 0; i < argc; i++) {
    mica::idl::String<idl::component::MAX_ARG> a;
    a.Set(args[i]);
    req.args.Push(a);
  }
  idl::component::Realm::RunResponse resp;
  mica_status_t s = realm.Run(req, &resp);
  if (s == MICA_OK) {
    s = resp.status;
  }
  snprintf(moniker, size, "%.*s", static_cast<int>(resp.moniker.size), resp.moniker.data);
  return s;
}

mica_status_t WaitExit(idl::component::RealmSyncClient& realm, const char* moniker, int64_t* code) {
  idl::component::Realm::WaitExitRequest req;
  req.moniker.Set(moniker);
  idl::component::Realm::WaitExitResponse resp;
  mica_status_t s = realm.WaitExit(req, &resp);
  if (s == MICA_OK) {
    s = resp.status;
    *code = resp.exit_code;
  }
  return s;
}

// RunIn, then WaitExit: the status and *code, and in `detail` "status S,
// exit C" for Check.
mica_status_t RunToExit(idl::component::RealmSyncClient& realm, const char* target,
                        const char* const* args, uint32_t argc, int64_t* code, char* detail,
                        size_t size) {
  char moniker[idl::component::MAX_MONIKER + 1];
  mica_status_t s = RunIn(realm, target, args, argc, moniker, sizeof(moniker));
  if (s == MICA_OK) {
    s = WaitExit(realm, moniker, code);
  }
  snprintf(detail, size, "status %d, exit %lld", static_cast<int>(s),
           static_cast<long long>(*code));
  return s;
}

mica_status_t StopIt(idl::component::RealmSyncClient& realm, const char* moniker) {
  idl::component::Realm::StopRequest req;
  req.moniker.Set(moniker);
  idl::component::Realm::StopResponse resp;
  mica_status_t s = realm.Stop(req, &resp);
  return s == MICA_OK ? resp.status : s;
}

mica_rights_t RightsOf(const mica::Handle& h) {
  mica_info_handle_basic_t basic = {};
  return h.get_info(MICA_INFO_HANDLE_BASIC, &basic, sizeof(basic), nullptr, nullptr) == MICA_OK
             ? basic.rights
             : MICA_RIGHT_NONE;
}

// Kernel objects are routed like any protocol, each name with its own
// rights: the checker is offered kernel.RootResource (INSPECT|TRANSFER: it
// mints nothing) and kernel.Bootfs (no WRITE), not kernel.ManageResource,
// which is not in its namespace (the collection child of
// meta/cm-test-missing.cm, offered nothing, checks "not offered").
void CheckKernelObjects() {
  namespace kernel = idl::kernel;
  char detail[96];
  mica::Handle root;
  mica_status_t s =
      mica::component::GetHandle<kernel::RootResource, kernel::RootResourceSyncClient>(
          &kernel::RootResource::GetResponse::resource, &root);
  mica::Handle power;
  mica_status_t mint =
      s == MICA_OK ? mica_resource_create(root.get(), MICA_RSRC_KIND_SYSTEM, MICA_RSRC_SYSTEM_POWER,
                                          1, "power", 5, power.reset_and_get_address())
                   : s;
  snprintf(detail, sizeof(detail), "status %d, rights 0x%x, mint %d", static_cast<int>(s),
           RightsOf(root), static_cast<int>(mint));
  Check(s == MICA_OK && RightsOf(root) == (MICA_RIGHT_INSPECT | MICA_RIGHT_TRANSFER) &&
            mint == MICA_ERR_ACCESS_DENIED,
        "kernel-root-resource-inspect-only", detail);
  mica::Vmo bootfs;
  s = mica::component::GetHandle<kernel::Bootfs, kernel::BootfsSyncClient>(
      &kernel::Bootfs::GetResponse::vmo, &bootfs);
  mica_rights_t rights = RightsOf(bootfs);
  snprintf(detail, sizeof(detail), "status %d, rights 0x%x", static_cast<int>(s), rights);
  Check(s == MICA_OK && (rights & MICA_RIGHT_READ) && (rights & MICA_RIGHT_EXECUTE) &&
            !(rights & MICA_RIGHT_WRITE),
        "kernel-bootfs-read-only", detail);
  mica::Handle manage;
  s = mica::component::GetHandle<kernel::ManageResource, kernel::ManageResourceSyncClient>(
      &kernel::ManageResource::GetResponse::resource, &manage);
  snprintf(detail, sizeof(detail), "status %d", static_cast<int>(s));
  Check(s == MICA_ERR_NOT_FOUND && !manage, "kernel-manage-not-in-namespace", detail);
}

int CheckAll() {
  using idl::component::State;
  mica::Channel realm_ch;
  mica_status_t s = mica::component::Connect("component.Realm", &realm_ch);
  Check(s == MICA_OK, "realm", "component.Realm not opened");
  if (s != MICA_OK) {
    return 1;
  }
  static idl::component::RealmSyncClient realm(static_cast<mica::Channel&&>(realm_ch));
  static Tree tree(&realm);
  char detail[160];

  // Eager children run before anyone opened them; lazy ones do not.
  bool read = tree.Read();
  Check(read && StateIs(tree, "/eager", State::RUNNING) &&
            StateIs(tree, "/checker", State::RUNNING) && StateIs(tree, "/", State::RUNNING),
        "eager-started", "/eager is not running at the checker's start");
  Check(read && StateIs(tree, "/provider/inner", State::STOPPED) &&
            StateIs(tree, "/ignored", State::STOPPED),
        "lazy-not-started", "a lazy component runs before its first use");
  tree.Print();

  // A component that crashes at every start: restarted at once, then with
  // backoff 10, 20, 40, 80 ms, then failed; its capability is then
  // unavailable, and nothing else is affected.
  const idl::component::Component* crashy = nullptr;
  for (int i = 0; i < 500; i++) {
    crashy = tree.Read() ? tree.Get("/crashy") : nullptr;
    if (crashy != nullptr && crashy->state == State::FAILED) {
      break;
    }
    mica_nanosleep(mica::async::Loop::Now() + 10 * kMs);
  }
  snprintf(detail, sizeof(detail), "state %d, restarts %u",
           crashy != nullptr ? static_cast<int>(crashy->state) : -1,
           crashy != nullptr ? crashy->restarts : 0);
  Check(crashy != nullptr && crashy->state == State::FAILED && crashy->restarts == 5 &&
            crashy->has_exited && crashy->koid == 0,
        "crash-loop-failed", detail);
  mica::Channel dead;
  s = mica::component::Connect("test.Crashy", &dead);
  snprintf(detail, sizeof(detail), "status %d", static_cast<int>(s));
  Check(s == MICA_ERR_UNAVAILABLE, "failed-provider-unavailable", detail);

  // Routing: from a sibling; through offer -> expose -> expose (renamed)
  // into a lazy realm, starting its program on the first open.
  mica::Channel eager;
  Check(PingIs("test.Eager", "eager", &eager), "route-sibling", "test.Eager");
  // Routed, but the provider does not serve it: its Outgoing closes the
  // channel.
  mica::Channel unserved;
  s = mica::component::Connect("test.Unserved", &unserved);
  Check(s == MICA_OK && WaitClosed(unserved), "provider-refuses-unknown",
        "test.Unserved not routed, or not closed by the provider");
  // The lazy start measured (bench.py's mica-lazy): the first open to the
  // first answer, then the same with the provider running.
  uint64_t before = Instructions();
  bool lazy = PingIs("test.Deep", "inner");
  uint64_t after = Instructions();
  Check(lazy, "route-expose-chain-lazy-start", "test.Deep");
  Check(tree.Read() && StateIs(tree, "/provider/inner", State::RUNNING) &&
            StateIs(tree, "/provider", State::RUNNING),
        "lazy-started", "/provider/inner not running after its first use");
  Figure("lazy_start", before, after);
  before = Instructions();
  bool again = PingIs("test.Deep", "inner");
  after = Instructions();
  Check(again, "open-running", "test.Deep a second time");
  Figure("open_running", before, after);

  // Missing: not in the namespace at all; and a use its parent does not
  // offer (a collection child's), which fails with its name.
  mica::Channel none;
  s = mica::component::Open("/svc/test.Unused", &none);
  snprintf(detail, sizeof(detail), "status %d", static_cast<int>(s));
  Check(s == MICA_ERR_NOT_FOUND, "not-in-namespace", detail);
  char moniker[idl::component::MAX_MONIKER + 1];
  int64_t code = -1;
  s = RunToExit(realm, "meta/cm-test-missing.cm", nullptr, 0, &code, detail, sizeof(detail));
  Check(s == MICA_OK && code == 0, "missing-capability", detail);
  // Nothing else is affected: the old connection still answers.
  char reply[64] = {};
  s = Ask(eager, "ping", reply, sizeof(reply));
  Check(s == MICA_OK && strcmp(reply, "eager") == 0, "others-unaffected", reply);
  CheckKernelObjects();

  // A killed component is restarted (the first restart at once); a new
  // connection reaches the new instance.
  uint64_t old_koid = tree.Read() && tree.Get("/eager") ? tree.Get("/eager")->koid : 0;
  (void)eager.write(0, "kill", 4, nullptr, 0);
  Check(WaitClosed(eager), "killed", "the connection to /eager stayed open");
  // Wait for the manager to have seen the end and started the next one.
  for (int i = 0; i < 500; i++) {
    const idl::component::Component* k = tree.Read() ? tree.Get("/eager") : nullptr;
    if (k != nullptr && k->restarts == 1 && k->state == State::RUNNING) {
      break;
    }
    mica_nanosleep(mica::async::Loop::Now() + 10 * kMs);
  }
  Check(PingIs("test.Eager", "eager"), "restarted-answers", "test.Eager after the kill");
  const idl::component::Component* e = tree.Read() ? tree.Get("/eager") : nullptr;
  Check(e != nullptr && e->restarts == 1 && e->state == State::RUNNING && e->koid != 0 &&
            e->koid != old_koid,
        "restarted-listed", "/eager not listed running with 1 restart and a new process");

  // on_terminate ignore: exits with 7, stays stopped, not restarted.
  mica::Channel ignored;
  bool up = PingIs("test.Ignored", "ignored", &ignored);
  (void)ignored.write(0, "exit 7", 6, nullptr, 0);
  s = up ? WaitExit(realm, "/ignored", &code) : MICA_ERR_BAD_STATE;
  snprintf(detail, sizeof(detail), "status %d, exit %lld", static_cast<int>(s),
           static_cast<long long>(code));
  Check(s == MICA_OK && code == 7, "ignore-exit-code", detail);
  mica_nanosleep(mica::async::Loop::Now() + 50 * kMs);  // a restart would be at once
  e = tree.Read() ? tree.Get("/ignored") : nullptr;
  Check(e != nullptr && e->state == State::STOPPED && e->restarts == 0 && e->has_exited &&
            e->last_exit_code == 7,
        "ignore-not-restarted", "/ignored not stopped with exit 7 and 0 restarts");

  // Realm.Start of a stopped lazy component, and of no component.
  idl::component::Realm::StartRequest start;
  start.moniker.Set("/ignored");
  idl::component::Realm::StartResponse started;
  s = realm.Start(start, &started);
  e = tree.Read() ? tree.Get("/ignored") : nullptr;
  Check(s == MICA_OK && started.status == MICA_OK && e != nullptr && e->state == State::RUNNING &&
            e->koid != 0,
        "realm-start", "/ignored not running after Realm.Start");
  start.moniker.Set("/no/such");
  s = realm.Start(start, &started);
  Check(s == MICA_OK && started.status == MICA_ERR_NOT_FOUND, "realm-start-unknown",
        "Realm.Start of /no/such");
  s = StopIt(realm, "/ignored");
  e = tree.Read() ? tree.Get("/ignored") : nullptr;
  Check(s == MICA_OK && e != nullptr && e->state == State::STOPPED && e->last_exit_code == 0,
        "realm-stop-started", "/ignored not stopped with exit 0");

  // Stop: asked (Lifecycle.Stop) and obeyed; and refused, then killed
  // after the timeout (/provider/inner ignores it).
  s = StopIt(realm, "/eager");
  e = tree.Read() ? tree.Get("/eager") : nullptr;
  Check(s == MICA_OK && e != nullptr && e->state == State::STOPPED && e->last_exit_code == 0 &&
            e->koid == 0,
        "stop", "/eager not stopped with exit 0");
  s = StopIt(realm, "/provider");
  Check(s == MICA_OK && tree.Read() && StateIs(tree, "/provider/inner", State::STOPPED) &&
            StateIs(tree, "/provider", State::STOPPED),
        "stop-timeout-kill", "/provider/inner not stopped");
  // Started again on the next use.
  Check(PingIs("test.Deep", "inner"), "lazy-restart-after-stop", "test.Deep after the stop");

  // Run in a collection: a bare program with arguments, its exit code,
  // then collected (gone from the tree).
  const char* args[] = {"exit", "42"};
  s = RunIn(realm, "bin/cm-test-component", args, 2, moniker, sizeof(moniker));
  Check(s == MICA_OK && strncmp(moniker, "/run:cm-test-component-", 23) == 0, "run-started",
        moniker);
  s = WaitExit(realm, moniker, &code);
  snprintf(detail, sizeof(detail), "%s: status %d, exit %lld", moniker, static_cast<int>(s),
           static_cast<long long>(code));
  Check(s == MICA_OK && code == 42, "run-exit-code", detail);
  Check(tree.Read() && tree.Get(moniker) == nullptr, "run-collected", moniker);
  s = RunIn(realm, "bin/no-such-program", nullptr, 0, moniker, sizeof(moniker));
  snprintf(detail, sizeof(detail), "status %d", static_cast<int>(s));
  Check(s == MICA_ERR_NOT_FOUND, "run-missing-program", detail);
  // Run's stdout: the program writes to the debug log object given (a
  // write-only log of the checker's own), not the manager's.
  mica::Handle log;
  mica_info_handle_basic_t basic = {};
  s = mica_debuglog_create(MICA_HANDLE_INVALID, 0, log.reset_and_get_address());
  if (s == MICA_OK) {
    s = log.get_info(MICA_INFO_HANDLE_BASIC, &basic, sizeof(basic), nullptr, nullptr);
  }
  char koid[24];
  snprintf(koid, sizeof(koid), "%llu", static_cast<unsigned long long>(basic.koid));
  const char* log_args[] = {"log-koid", koid};
  int64_t with = -1, without = -1;
  if (s == MICA_OK) {
    s = RunIn(realm, "bin/cm-test-component", log_args, 2, moniker, sizeof(moniker),
              static_cast<mica::Handle&&>(log));
  }
  if (s == MICA_OK) {
    s = WaitExit(realm, moniker, &with);
  }
  if (s == MICA_OK) {
    s = RunIn(realm, "bin/cm-test-component", log_args, 2, moniker, sizeof(moniker));
  }
  if (s == MICA_OK) {
    s = WaitExit(realm, moniker, &without);
  }
  snprintf(detail, sizeof(detail), "status %d, with stdout %lld, without %lld", static_cast<int>(s),
           static_cast<long long>(with), static_cast<long long>(without));
  Check(s == MICA_OK && with == 0 && without == 1, "run-stdout", detail);
  s = RunIn(realm, "meta/no-such.cm", nullptr, 0, moniker, sizeof(moniker));
  snprintf(detail, sizeof(detail), "status %d", static_cast<int>(s));
  Check(s == MICA_ERR_NOT_FOUND, "run-missing-manifest", detail);
  // A manifest's program gets Run's arguments after its own ("exit", then
  // "43"); a manifest without a program takes none.
  const char* code_arg[] = {"43"};
  code = -1;
  s = RunToExit(realm, "meta/cm-test-exit.cm", code_arg, 1, &code, detail, sizeof(detail));
  Check(s == MICA_OK && code == 43, "run-manifest-with-args", detail);
  s = RunIn(realm, "meta/cm-test-provider.cm", args, 2, moniker, sizeof(moniker));
  snprintf(detail, sizeof(detail), "status %d", static_cast<int>(s));
  Check(s == MICA_ERR_INVALID_ARGS, "run-realm-with-args", detail);

  // Logs (docs/components.md, "Logs: who wrote a record"): the manager
  // attached this component's startup log.Sink as `checker` with its
  // koid, and a Run child's as `run:<name>` (its stdout carries it too).
  mica_info_handle_basic_t self = {};
  (void)mica_object_get_info(mica_rt_process_self(), MICA_INFO_HANDLE_BASIC, &self, sizeof(self),
                             nullptr, nullptr);
  MICA_LOGF(INFO, "cm-test", "checker record %d", 11);
  s = mica_log_flush(mica::async::Loop::Now() + 10000 * kMs);
  static idl::log::Record rec;
  bool found = s == MICA_OK && FindLogRecord("checker", "checker record 11", &rec);
  snprintf(detail, sizeof(detail), "flush %d, found %d, pid %llu (self %llu), flags %u",
           static_cast<int>(s), found, static_cast<unsigned long long>(found ? rec.pid : 0),
           static_cast<unsigned long long>(self.koid),
           found ? static_cast<uint32_t>(rec.flags) : 0u);
  Check(found && rec.pid == self.koid && rec.flags == idl::log::RecordFlags{} &&
            rec.tag.Equals("cm-test"),
        "log-attached-self", detail);
  const char* say[] = {"exit", "5"};
  s = RunIn(realm, "bin/cm-test-component", say, 2, moniker, sizeof(moniker));
  uint64_t child_koid = 0;
  if (s == MICA_OK && tree.Read() && tree.Get(moniker) != nullptr) {
    child_koid = tree.Get(moniker)->koid;
  }
  if (s == MICA_OK) {
    s = WaitExit(realm, moniker, &code);
  }
  found = s == MICA_OK && FindLogRecord(moniker + 1, "cm-test: exit 5", &rec);
  snprintf(detail, sizeof(detail), "%s: status %d, found %d, pid %llu (process %llu)", moniker,
           static_cast<int>(s), found, static_cast<unsigned long long>(found ? rec.pid : 0),
           static_cast<unsigned long long>(child_koid));
  Check(found && (child_koid == 0 || rec.pid == child_koid) &&
            rec.flags == idl::log::RecordFlags::KERNEL_LOG,
        "log-attached-run-stdout", detail);

  // The driver manager as a component: its devices and node tree as
  // capabilities.
  mica::Channel ch;
  s = mica::component::Connect("inspect.Inspect", &ch);
  uint32_t nodes = 0;
  if (s == MICA_OK) {
    idl::inspect::InspectSyncClient inspect(static_cast<mica::Channel&&>(ch));
    idl::inspect::Inspect::ListNodesRequest req;
    static idl::inspect::Inspect::ListNodesResponse resp;
    s = inspect.ListNodes(req, &resp);
    nodes = resp.total;
  }
  snprintf(detail, sizeof(detail), "status %d, %u nodes", static_cast<int>(s), nodes);
  Check(s == MICA_OK && nodes > 0, "drivers-inspect", detail);
  printf("cm-test: the driver manager lists %u nodes\n", nodes);
  s = mica::component::Connect("directory.Directory", &ch);
  uint32_t services = 0;
  if (s == MICA_OK) {
    idl::directory::DirectorySyncClient dir(static_cast<mica::Channel&&>(ch));
    idl::directory::Directory::ListRequest req;
    static idl::directory::Directory::ListResponse resp;
    s = dir.List(req, &resp);
    services = resp.total;
  }
  snprintf(detail, sizeof(detail), "status %d", static_cast<int>(s));
  Check(s == MICA_OK, "drivers-directory", detail);
  printf("cm-test: the driver manager's directory has %u services\n", services);
  // Stopped through its Lifecycle: it stops its drivers and exits 0.
  s = StopIt(realm, "/drivers");
  const idl::component::Component* d = tree.Read() ? tree.Get("/drivers") : nullptr;
  Check(s == MICA_OK && d != nullptr && d->state == State::STOPPED && d->has_exited &&
            d->last_exit_code == 0,
        "drivers-stop", "/drivers not stopped with exit 0");

  tree.Read();
  tree.Print();
  printf("cm-test: %u checks passed, %u failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "serve") == 0) {
    return Serve(argc, argv);
  }
  if (argc == 3 && strcmp(argv[1], "exit") == 0) {
    printf("cm-test: exit %s\n", argv[2]);
    return atoi(argv[2]);
  }
  if (argc == 3 && strcmp(argv[1], "log-koid") == 0) {
    // Whether this process's stdout is the debug log object `koid`.
    mica_info_handle_basic_t basic = {};
    (void)mica_object_get_info(mica_rt_debuglog(), MICA_INFO_HANDLE_BASIC, &basic, sizeof(basic),
                               nullptr, nullptr);
    return basic.koid == strtoull(argv[2], nullptr, 10) ? 0 : 1;
  }
  if (argc == 2 && strcmp(argv[1], "crash") == 0) {
    printf("cm-test: crashing\n");
    volatile int* nowhere = nullptr;
    *nowhere = 1;  // a data abort: the process is ended as faulted
    return 4;
  }
  if (argc >= 3 && strcmp(argv[1], "missing") == 0) {
    int failures = 0;
    for (int i = 2; i < argc; i++) {
      mica::Channel ch;
      mica_status_t s = mica::component::Connect(argv[i], &ch);
      printf("cm-test: cannot open %s: %s\n", argv[i], mica::driver::StatusName(s));
      failures += s == MICA_ERR_NOT_FOUND ? 0 : 1;
    }
    return failures == 0 ? 0 : 1;
  }
  if (argc == 2 && strcmp(argv[1], "check") == 0) {
    return CheckAll();
  }
  printf("cm-test: bad arguments\n");
  return 2;
}
