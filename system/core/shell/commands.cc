// The shell's commands (docs/shell.md, "Commands"). Each prints to the
// console through Shell::Print; errors are one line, "<command>: <why>".
#include <idl/component_ipc.h>
#include <idl/inspect_ipc.h>
#include <idl/log_ipc.h>
#include <idl/power_ipc.h>
#include <idl/rtc_ipc.h>
#include <mica/component/component.h>
#include <mica/driver/status_name.h>
#include <mica/idl/pages.h>
#include <mica/log/log.h>
#include <mica/rt/runtime.h>
#include <mica/syscalls.h>
#include <stdio.h>
#include <string.h>

#include "images/bootfs/bootfs.h"
#include "system/core/driver_manager/inspect_client.h"
#include "system/core/log_service/record.h"
#include "system/core/shell/lib/args.h"
#include "system/core/shell/lib/format.h"
#include "system/core/shell/shell.h"
#include "system/core/userboot/launch.h"

namespace shell {

namespace {

using mica::driver::StatusName;

constexpr size_t kMaxKoids = 128;
constexpr mica_duration_t kCallTimeout = 5'000'000'000;

// --- tasks --------------------------------------------------------------

// The koids a job or process lists for `topic`; returns how many (at most
// kMaxKoids).
size_t ListKoids(mica_handle_t h, uint32_t topic, mica_koid_t* out) {
  size_t actual = 0, avail = 0;
  if (mica_object_get_info(h, topic, out, kMaxKoids * sizeof(mica_koid_t), &actual, &avail) !=
      MICA_OK) {
    return 0;
  }
  return actual;
}

void NameOf(mica_handle_t h, char* name) {
  name[0] = '\0';
  if (mica_object_get_property(h, MICA_PROP_NAME, name, MICA_MAX_NAME_LEN) != MICA_OK) {
    strcpy(name, "?");
  }
  name[MICA_MAX_NAME_LEN - 1] = '\0';
}

mica_koid_t KoidOf(mica_handle_t h) {
  mica_info_handle_basic_t info = {};
  (void)mica_object_get_info(h, MICA_INFO_HANDLE_BASIC, &info, sizeof(info), nullptr, nullptr);
  return info.koid;
}

const char* ProcessState(const mica_info_process_t& p, char* buf, size_t size) {
  if ((p.flags & MICA_INFO_PROCESS_FLAG_FAULTED) != 0) {
    return "faulted";
  }
  if ((p.flags & MICA_INFO_PROCESS_FLAG_KILLED) != 0) {
    return "killed";
  }
  if ((p.flags & MICA_INFO_PROCESS_FLAG_EXITED) != 0) {
    snprintf(buf, size, "exited(%lld)", static_cast<long long>(p.return_code));
    return buf;
  }
  return (p.flags & MICA_INFO_PROCESS_FLAG_STARTED) != 0 ? "running" : "new";
}

const char* ThreadState(uint32_t s) {
  switch (s) {
    case MICA_THREAD_STATE_NEW:
      return "new";
    case MICA_THREAD_STATE_RUNNING:
      return "running";
    case MICA_THREAD_STATE_BLOCKED:
      return "blocked";
    case MICA_THREAD_STATE_DYING:
      return "dying";
    case MICA_THREAD_STATE_DEAD:
      return "dead";
    default:
      return "?";
  }
}

// Walks the job tree under `job` (depth first, jobs before their children),
// calling visit_job(job, depth) and visit_process(process, job koid).
template <typename J, typename P>
void Walk(mica_handle_t job, uint32_t depth, J& visit_job, P& visit_process) {
  visit_job(job, depth);
  mica_koid_t job_koid = KoidOf(job);
  static mica_koid_t koids[MICA_MAX_JOB_DEPTH + 1][kMaxKoids];
  mica_koid_t* list = koids[depth < MICA_MAX_JOB_DEPTH ? depth : MICA_MAX_JOB_DEPTH];
  size_t n = ListKoids(job, MICA_INFO_JOB_PROCESSES, list);
  for (size_t i = 0; i < n; i++) {
    mica::Handle p;
    if (mica_object_get_child(job, list[i], MICA_RIGHT_SAME_RIGHTS, p.reset_and_get_address()) ==
        MICA_OK) {
      visit_process(p.get(), job_koid, depth);
    }
  }
  if (depth >= MICA_MAX_JOB_DEPTH) {
    return;
  }
  n = ListKoids(job, MICA_INFO_JOB_CHILDREN, list);
  for (size_t i = 0; i < n; i++) {
    mica::Handle child;
    if (mica_object_get_child(job, list[i], MICA_RIGHT_SAME_RIGHTS,
                              child.reset_and_get_address()) == MICA_OK) {
      Walk(child.get(), depth + 1, visit_job, visit_process);
    }
  }
}

// The process or job `koid` under the root job: a handle, or invalid.
mica::Handle FindTask(mica_handle_t root, mica_koid_t koid) {
  mica::Handle found;
  auto job = [&](mica_handle_t j, uint32_t) {
    if (!found && KoidOf(j) == koid) {
      (void)mica_handle_duplicate(j, MICA_RIGHT_SAME_RIGHTS, found.reset_and_get_address());
    }
  };
  auto process = [&](mica_handle_t p, mica_koid_t, uint32_t) {
    if (!found && KoidOf(p) == koid) {
      (void)mica_handle_duplicate(p, MICA_RIGHT_SAME_RIGHTS, found.reset_and_get_address());
    }
  };
  Walk(root, 0, job, process);
  return found;
}

bool NeedRootJob(Shell& sh, const char* cmd) {
  if (sh.caps().root_job == MICA_HANDLE_INVALID) {
    sh.Print("%s: no job to look at\n", cmd);
    return false;
  }
  return true;
}

bool Ps(Shell& sh, int, char**) {
  if (!NeedRootJob(sh, "ps")) {
    return true;
  }
  sh.Print("%8s %8s %7s %9s %-12s %s\n", "KOID", "JOB", "THREADS", "MEM(KiB)", "STATE", "NAME");
  uint32_t count = 0;
  auto job = [](mica_handle_t, uint32_t) {};
  auto process = [&](mica_handle_t p, mica_koid_t job_koid, uint32_t) {
    char name[MICA_MAX_NAME_LEN];
    NameOf(p, name);
    mica_koid_t threads[kMaxKoids];
    size_t nthreads = ListKoids(p, MICA_INFO_PROCESS_THREADS, threads);
    mica_info_task_stats_t stats = {};
    (void)mica_object_get_info(p, MICA_INFO_TASK_STATS, &stats, sizeof(stats), nullptr, nullptr);
    mica_info_process_t info = {};
    (void)mica_object_get_info(p, MICA_INFO_PROCESS, &info, sizeof(info), nullptr, nullptr);
    char state[32];
    sh.Print(
        "%8llu %8llu %7zu %9llu %-12s %s\n", static_cast<unsigned long long>(KoidOf(p)),
        static_cast<unsigned long long>(job_koid), nthreads,
        static_cast<unsigned long long>((stats.mem_private_bytes + stats.mem_shared_bytes) / 1024),
        ProcessState(info, state, sizeof(state)), name);
    count++;
  };
  Walk(sh.caps().root_job, 0, job, process);
  sh.Print("ps: %u processes\n", count);
  return true;
}

bool Jobs(Shell& sh, int, char**) {
  if (!NeedRootJob(sh, "jobs")) {
    return true;
  }
  uint32_t jobs = 0;
  auto job = [&](mica_handle_t j, uint32_t depth) {
    mica_koid_t koids[kMaxKoids];
    size_t processes = ListKoids(j, MICA_INFO_JOB_PROCESSES, koids);
    size_t children = ListKoids(j, MICA_INFO_JOB_CHILDREN, koids);
    mica_info_job_memory_t mem = {};
    (void)mica_object_get_info(j, MICA_INFO_JOB_MEMORY, &mem, sizeof(mem), nullptr, nullptr);
    char used[48] = "";
    if ((mem.flags & MICA_INFO_JOB_MEMORY_FLAG_ACCOUNTED) != 0) {
      snprintf(used, sizeof(used), " kernel memory %llu KiB",
               static_cast<unsigned long long>(mem.used / 1024));
    }
    sh.Print("%*sjob %llu: %zu processes, %zu jobs%s\n", static_cast<int>(2 * depth), "",
             static_cast<unsigned long long>(KoidOf(j)), processes, children, used);
    jobs++;
  };
  auto process = [&](mica_handle_t p, mica_koid_t, uint32_t depth) {
    char name[MICA_MAX_NAME_LEN];
    NameOf(p, name);
    sh.Print("%*sprocess %llu %s\n", static_cast<int>(2 * depth + 2), "",
             static_cast<unsigned long long>(KoidOf(p)), name);
  };
  Walk(sh.caps().root_job, 0, job, process);
  sh.Print("jobs: %u jobs\n", jobs);
  return true;
}

bool ParseKoid(Shell& sh, const char* cmd, const char* arg, mica_koid_t* koid) {
  uint64_t v = 0;
  if (!ParseU64(arg, &v) || v == 0) {
    sh.Print("%s: not a koid: %s\n", cmd, arg);
    return false;
  }
  *koid = v;
  return true;
}

bool Threads(Shell& sh, int, char** argv) {
  mica_koid_t koid;
  if (!NeedRootJob(sh, "threads") || !ParseKoid(sh, "threads", argv[1], &koid)) {
    return true;
  }
  mica::Handle p = FindTask(sh.caps().root_job, koid);
  mica_info_handle_basic_t basic = {};
  if (p) {
    (void)p.get_info(MICA_INFO_HANDLE_BASIC, &basic, sizeof(basic), nullptr, nullptr);
  }
  if (!p || basic.type != MICA_OBJ_TYPE_PROCESS) {
    sh.Print("threads: no process %llu\n", static_cast<unsigned long long>(koid));
    return true;
  }
  char pname[MICA_MAX_NAME_LEN];
  NameOf(p.get(), pname);
  mica_koid_t koids[kMaxKoids];
  size_t n = ListKoids(p.get(), MICA_INFO_PROCESS_THREADS, koids);
  sh.Print("%8s %-8s %4s %9s %s\n", "KOID", "STATE", "CPU", "TIME(ms)", "NAME");
  for (size_t i = 0; i < n; i++) {
    mica::Handle t;
    if (mica_object_get_child(p.get(), koids[i], MICA_RIGHT_SAME_RIGHTS,
                              t.reset_and_get_address()) != MICA_OK) {
      continue;  // ended meanwhile
    }
    mica_info_thread_t info = {};
    (void)t.get_info(MICA_INFO_THREAD, &info, sizeof(info), nullptr, nullptr);
    mica_info_task_runtime_t rt = {};
    (void)t.get_info(MICA_INFO_TASK_RUNTIME, &rt, sizeof(rt), nullptr, nullptr);
    char name[MICA_MAX_NAME_LEN];
    NameOf(t.get(), name);
    sh.Print("%8llu %-8s %4u %9llu %s\n", static_cast<unsigned long long>(koids[i]),
             ThreadState(info.state), info.last_cpu,
             static_cast<unsigned long long>(rt.cpu_time / 1'000'000), name);
  }
  sh.Print("threads: %zu threads in %s (%llu)\n", n, pname, static_cast<unsigned long long>(koid));
  return true;
}

bool Kill(Shell& sh, int, char** argv) {
  mica_koid_t koid;
  if (!NeedRootJob(sh, "kill") || !ParseKoid(sh, "kill", argv[1], &koid)) {
    return true;
  }
  if (koid == KoidOf(mica_rt_process_self())) {
    sh.Print("kill: %llu is this shell\n", static_cast<unsigned long long>(koid));
    return true;
  }
  if (koid == KoidOf(sh.caps().root_job)) {
    sh.Print("kill: %llu is the root job\n", static_cast<unsigned long long>(koid));
    return true;
  }
  mica::Handle task = FindTask(sh.caps().root_job, koid);
  if (!task) {
    sh.Print("kill: no process or job %llu\n", static_cast<unsigned long long>(koid));
    return true;
  }
  char name[MICA_MAX_NAME_LEN];
  NameOf(task.get(), name);
  mica_status_t s = mica_task_kill(task.get());
  if (s != MICA_OK) {
    sh.Print("kill: %llu: %s\n", static_cast<unsigned long long>(koid), StatusName(s));
    return true;
  }
  (void)mica_object_wait_one(task.get(), MICA_TASK_TERMINATED,
                             mica::async::Loop::Now() + kCallTimeout, nullptr);
  sh.Print("kill: killed %llu (%s)\n", static_cast<unsigned long long>(koid), name);
  return true;
}

// --- drivers, memory, time ----------------------------------------------

void PrintNode(Shell& sh, const idl::inspect::Node& n) {
  char line[600];
  int used =
      snprintf(line, sizeof(line), "%*s%.*s [%s]", 2 * driver_inspect::NodeDepth(n), "",
               static_cast<int>(n.path.size), n.path.data, driver_inspect::NodeStateName(n.state));
  auto add = [&](const char* fmt, auto... args) {
    if (used >= 0 && static_cast<size_t>(used) < sizeof(line)) {
      used += snprintf(line + used, sizeof(line) - static_cast<size_t>(used), fmt, args...);
    }
  };
  if (n.driver.size != 0) {
    add(" driver %.*s process %llu restarts %u", static_cast<int>(n.driver.size), n.driver.data,
        static_cast<unsigned long long>(n.koid), n.restart_count);
  }
  for (uint32_t i = 0; i < n.services.count; i++) {
    add(i == 0 ? " services %.*s/%u" : " %.*s/%u",
        static_cast<int>(n.services[i].service_class.size), n.services[i].service_class.data,
        n.services[i].instance);
  }
  sh.Print("%s\n", line);
}

bool Drivers(Shell& sh, int, char**) {
  if (!sh.caps().inspect) {
    sh.Print("drivers: the driver manager's inspection is not available\n");
    return true;
  }
  uint32_t total = 0;
  mica_status_t s = driver_inspect::ForEachNode(
      sh.caps().inspect, mica::async::Loop::Now() + kCallTimeout,
      [&sh](const idl::inspect::Node& n) { PrintNode(sh, n); }, &total);
  if (s != MICA_OK) {
    sh.Print("drivers: listing failed: %s\n", StatusName(s));
  } else {
    sh.Print("drivers: %u nodes\n", total);
  }
  return true;
}

bool Mem(Shell& sh, int, char**) {
  mica_info_kmem_stats_t k = {};
  mica_status_t s =
      mica_object_get_info(sh.caps().kmem, MICA_INFO_KMEM_STATS, &k, sizeof(k), nullptr, nullptr);
  if (s != MICA_OK) {
    sh.Print("mem: kernel memory statistics: %s\n", StatusName(s));
    return true;
  }
  auto kib = [](uint64_t b) { return static_cast<unsigned long long>(b / 1024); };
  sh.Print("mem: total %llu KiB, free %llu KiB, heap %llu KiB (free %llu KiB), other %llu KiB\n",
           kib(k.total_bytes), kib(k.free_bytes), kib(k.heap_bytes), kib(k.heap_free_bytes),
           kib(k.other_bytes));
  sh.Print("mem: quarantined %llu KiB, unreaped processes %llu\n", kib(k.quarantined_bytes),
           static_cast<unsigned long long>(k.unreaped_processes));
  return true;
}

bool Uptime(Shell& sh, int, char**) {
  char buf[64];
  sh.Print("up %s\n",
           FormatUptime(static_cast<uint64_t>(mica::async::Loop::Now()), buf, sizeof(buf)));
  return true;
}

bool Date(Shell& sh, int, char**) {
  mica::Channel ch;
  mica_status_t s = OpenRtc(&ch);
  if (s != MICA_OK) {
    sh.Print("date: no real-time clock (rtc/0): %s\n", StatusName(s));
    return true;
  }
  idl::rtc::RtcSyncClient rtc(static_cast<mica::Channel&&>(ch));
  rtc.set_deadline(mica::async::Loop::Now() + kCallTimeout);
  idl::rtc::Rtc::GetRequest req;
  idl::rtc::Rtc::GetResponse resp;
  s = rtc.Get(req, &resp);
  if (s == MICA_OK) {
    s = resp.status;
  }
  if (s != MICA_OK) {
    sh.Print("date: %s\n", StatusName(s));
    return true;
  }
  char buf[64];
  sh.Print("%s\n", FormatUtc(resp.utc_seconds, buf, sizeof(buf)));
  return true;
}

// --- the rest -----------------------------------------------------------

bool Echo(Shell& sh, int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    sh.Print(i + 1 < argc ? "%s " : "%s", argv[i]);
  }
  sh.Print("\n");
  return true;
}

bool Sleep(Shell& sh, int, char** argv) {
  uint64_t ns = 0;
  if (!ParseDuration(argv[1], &ns)) {
    sh.Print("sleep: not a duration (<ms>, <n>ms or <n>s, at most 3600s): %s\n", argv[1]);
    return true;
  }
  // A generation number: a cancelled sleep's timer finds it changed.
  static uint64_t generation = 0;
  uint64_t mine = ++generation;
  Shell* s = &sh;
  (void)sh.loop().PostTaskAfter(
      [s, mine] {
        if (generation == mine) {
          generation++;
          s->Done();
        }
      },
      static_cast<mica_duration_t>(ns));
  sh.set_cancel([s] {
    generation++;
    s->Print("sleep: interrupted\n");
    s->Done();
  });
  return false;
}

bool Power(Shell& sh, const char* cmd, idl::power::Action action) {
  if (!sh.caps().power) {
    sh.Print("%s: no power capability\n", cmd);
    return true;
  }
  idl::power::PowerSyncClient power(static_cast<mica::Channel&&>(sh.caps().power));
  power.set_deadline(mica::async::Loop::Now() + 30'000'000'000);  // every driver stops first
  idl::power::Power::ShutdownRequest req;
  req.action = action;
  idl::power::Power::ShutdownResponse resp;
  sh.Print("%s: asking the driver manager\n", cmd);
  mica_status_t s = power.Shutdown(req, &resp);
  if (s == MICA_OK) {
    s = resp.status;
  }
  sh.caps().power = power.TakeChannel();
  sh.Print("%s: refused: %s\n", cmd, StatusName(s));  // on success this shell is gone
  return true;
}

bool Reboot(Shell& sh, int, char**) {
  return Power(sh, "reboot", idl::power::Action::REBOOT);
}

bool Poweroff(Shell& sh, int, char**) {
  return Power(sh, "poweroff", idl::power::Action::POWEROFF);
}

bool RunInRealm(Shell& sh, const char* path, int argc, char** argv);

// run: a component (meta/<name>.cm) or a bootfs program (bin/<name>): in
// the root's collection `run` through component.Realm when the shell has
// it (RunInRealm), else the program in a job of its own under the root job.
bool Run(Shell& sh, int argc, char** argv) {
  static bootfs::Image fs;
  char why[160];
  if (!fs.valid() && (sh.caps().bootfs == MICA_HANDLE_INVALID ||
                      !userboot::OpenBootfs(sh.caps().bootfs, &fs, why, sizeof(why)))) {
    sh.Print("run: no bootfs to run programs from\n");
    return true;
  }
  static char path[128];
  if (strchr(argv[1], '/') != nullptr) {
    snprintf(path, sizeof(path), "%s", argv[1]);
  } else {
    // A component of that name if the shell can run components, else the
    // program.
    snprintf(path, sizeof(path), "meta/%s.cm", argv[1]);
    bootfs::File manifest;
    if (!sh.caps().realm || !fs.Find(path, &manifest)) {
      snprintf(path, sizeof(path), "bin/%s", argv[1]);
    }
  }
  bootfs::File file;
  if (!fs.Find(path, &file)) {
    sh.Print("run: no program %s in the bootfs\n", path);
    return true;
  }
  if (sh.caps().realm) {
    return RunInRealm(sh, path, argc, argv);
  }
  static mica::Handle job;
  static mica::Handle process;
  mica_status_t s = mica_job_create(sh.caps().root_job, 0, job.reset_and_get_address());
  if (s != MICA_OK) {
    sh.Print("run: cannot make a job: %s\n", StatusName(s));
    return true;
  }
  const char* args[Shell::kMaxArgs];
  args[0] = path;
  for (int i = 2; i < argc; i++) {
    args[i - 1] = argv[i];
  }
  userboot::LaunchSpec spec;
  spec.path = path;
  spec.argv = args;
  spec.argc = static_cast<uint32_t>(argc - 1);
  spec.job = job.get();
  spec.bootfs_vmo = sh.caps().bootfs;
  if (!userboot::Launch(fs, spec, &process, nullptr, why, sizeof(why))) {
    sh.Print("run: cannot start %s: %s\n", path, why);
    (void)mica_task_kill(job.get());
    job.reset();
    return true;
  }
  sh.Print("run: started %s (process %llu)\n", path,
           static_cast<unsigned long long>(KoidOf(process.get())));
  Shell* shp = &sh;
  s = sh.loop().BeginWait(
      process.get(), MICA_TASK_TERMINATED, [shp](mica_status_t, mica_signals_t) {
        mica_info_process_t info = {};
        (void)process.get_info(MICA_INFO_PROCESS, &info, sizeof(info), nullptr, nullptr);
        if ((info.flags & MICA_INFO_PROCESS_FLAG_KILLED) != 0) {
          shp->Print("run: %s was killed\n", path);
        } else if ((info.flags & MICA_INFO_PROCESS_FLAG_FAULTED) != 0) {
          shp->Print("run: %s crashed (fault at 0x%llx)\n", path,
                     static_cast<unsigned long long>(info.fault_address));
        } else {
          shp->Print("run: %s exited with status %lld\n", path,
                     static_cast<long long>(info.return_code));
        }
        (void)mica_task_kill(job.get());  // anything it left running
        process.reset();
        job.reset();
        shp->Done();
      });
  if (s != MICA_OK) {
    sh.Print("run: cannot wait for %s: %s\n", path, StatusName(s));
    (void)mica_task_kill(job.get());
    return true;
  }
  sh.set_cancel([] { (void)mica_task_kill(job.get()); });  // the wait reports it
  return false;
}

// --- the component manager and the log service ---------------------------
// caps().realm speaks component.Realm, caps().log_reader log.Reader
// (caps.h: routed to the shell by meta/root.cm).

constexpr mica_duration_t kStopTimeout = 15'000'000'000;  // Stop answers once it has ended

bool NeedRealm(Shell& sh, const char* cmd) {
  if (!sh.caps().realm) {
    sh.Print("%s: the component manager is not available\n", cmd);
    return false;
  }
  return true;
}

const char* ComponentStateName(idl::component::State s) {
  switch (s) {
    case idl::component::State::STOPPED:
      return "stopped";
    case idl::component::State::STARTING:
      return "starting";
    case idl::component::State::RUNNING:
      return "running";
    case idl::component::State::FAILED:
      return "failed";
  }
  return "?";
}

// Calls `each` for every component (Realm.List, page by page).
template <typename F>
mica_status_t ForEachComponent(Shell& sh, F each) {
  using Response = idl::component::Realm::ListResponse;
  idl::component::RealmSyncClient client(static_cast<mica::Channel&&>(sh.caps().realm));
  client.set_deadline(mica::async::Loop::Now() + kCallTimeout);
  static Response page;
  uint32_t total = 0;
  mica_status_t s = mica::idl::ForEachPage(client, &idl::component::RealmSyncClient::List, &page,
                                           &Response::components, each, &total);
  sh.caps().realm = client.TakeChannel();
  return s;
}

bool Components(Shell& sh, int, char**) {
  if (!NeedRealm(sh, "components")) {
    return true;
  }
  uint32_t n = 0;
  mica_status_t s = ForEachComponent(sh, [&](const idl::component::Component& c) {
    const char* base = c.moniker.data;
    for (uint32_t i = 0; i < c.moniker.size; i++) {
      if (c.moniker.data[i] == '/' && i + 1 < c.moniker.size) {
        base = c.moniker.data + i + 1;
      }
    }
    int base_len = static_cast<int>(c.moniker.size - static_cast<uint32_t>(base - c.moniker.data));
    uint32_t depth = c.depth > 16 ? 16 : c.depth;
    char line[300];
    int used = snprintf(line, sizeof(line), "%*s%.*s [%s]", static_cast<int>(2 * depth), "",
                        base_len, base, ComponentStateName(c.state));
    if (used > 0 && static_cast<size_t>(used) < sizeof(line) && c.koid != 0) {
      used += snprintf(line + used, sizeof(line) - static_cast<size_t>(used), " process %llu",
                       static_cast<unsigned long long>(c.koid));
    }
    if (used > 0 && static_cast<size_t>(used) < sizeof(line) && c.restarts != 0) {
      snprintf(line + used, sizeof(line) - static_cast<size_t>(used), " restarts %u", c.restarts);
    }
    sh.Print("%s\n", line);
    n++;
  });
  if (s != MICA_OK) {
    sh.Print("components: listing failed: %s\n", StatusName(s));
  } else {
    sh.Print("components: %u\n", n);
  }
  return true;
}

bool Component(Shell& sh, int, char** argv) {
  if (strcmp(argv[1], "show") != 0) {
    sh.Print("component: usage: component show <moniker>\n");
    return true;
  }
  if (!NeedRealm(sh, "component")) {
    return true;
  }
  const char* want = argv[2];
  bool found = false;
  mica_status_t s = ForEachComponent(sh, [&](const idl::component::Component& c) {
    if (found || c.moniker.size != strlen(want) || memcmp(c.moniker.data, want, c.moniker.size)) {
      return;
    }
    found = true;
    sh.Print("moniker: %.*s\n", static_cast<int>(c.moniker.size), c.moniker.data);
    sh.Print("binary: %.*s\n", static_cast<int>(c.binary.size),
             c.binary.size != 0 ? c.binary.data : "(none)");
    sh.Print("state: %s\n", ComponentStateName(c.state));
    if (c.koid != 0) {
      sh.Print("process: %llu\n", static_cast<unsigned long long>(c.koid));
    }
    sh.Print("restarts: %u\n", c.restarts);
    if (c.has_exited) {
      sh.Print("last exit: %lld\n", static_cast<long long>(c.last_exit_code));
    }
    for (int which = 0; which < 2; which++) {
      const auto& v = which == 0 ? c.uses : c.exposes;
      char line[600];
      int used = snprintf(line, sizeof(line), "%s:", which == 0 ? "uses" : "exposes");
      for (uint32_t i = 0; i < v.count && used > 0 && static_cast<size_t>(used) < sizeof(line);
           i++) {
        used += snprintf(line + used, sizeof(line) - static_cast<size_t>(used), " %.*s",
                         static_cast<int>(v[i].size), v[i].data);
      }
      sh.Print("%s\n", line);
    }
  });
  if (s != MICA_OK) {
    sh.Print("component: listing failed: %s\n", StatusName(s));
  } else if (!found) {
    sh.Print("component: no component %s\n", want);
  }
  return true;
}

// Realm.Start or Realm.Stop of argv[1].
bool StartOrStop(Shell& sh, char** argv, bool start) {
  const char* cmd = start ? "start" : "stop";
  if (!NeedRealm(sh, cmd)) {
    return true;
  }
  idl::component::RealmSyncClient client(static_cast<mica::Channel&&>(sh.caps().realm));
  client.set_deadline(mica::async::Loop::Now() + (start ? kCallTimeout : kStopTimeout));
  mica_status_t s = MICA_OK;
  int32_t status = MICA_OK;
  if (start) {
    idl::component::Realm::StartRequest req;
    idl::component::Realm::StartResponse resp;
    s = req.moniker.Set(argv[1]) ? client.Start(req, &resp) : MICA_ERR_INVALID_ARGS;
    status = resp.status;
  } else {
    idl::component::Realm::StopRequest req;
    idl::component::Realm::StopResponse resp;
    s = req.moniker.Set(argv[1]) ? client.Stop(req, &resp) : MICA_ERR_INVALID_ARGS;
    status = resp.status;
  }
  sh.caps().realm = client.TakeChannel();
  if (s == MICA_OK) {
    s = status;
  }
  if (s != MICA_OK) {
    sh.Print("%s: %s: %s\n", cmd, argv[1], StatusName(s));
  } else {
    sh.Print("%s: %s %s\n", cmd, argv[1], start ? "started" : "stopped");
  }
  return true;
}

bool Start(Shell& sh, int, char** argv) {
  return StartOrStop(sh, argv, true);
}

bool Stop(Shell& sh, int, char** argv) {
  return StartOrStop(sh, argv, false);
}

// One `run` in the component manager's collection at a time.
struct RealmRun {
  idl::component::RealmAsyncClient* client = nullptr;  // waits for the end
  const char* path = nullptr;
  mica_koid_t koid = 0;
  bool killed = false;  // by Ctrl-C
};
RealmRun g_run;

void EndRealmRun(Shell& sh) {
  auto* c = g_run.client;
  g_run.client = nullptr;
  sh.loop().PostTask([c] { delete c; });  // not from inside its own callback
  sh.Done();
}

// Realm.Run(/run, path, argv[2..]) with the shell's debug log as its
// stdout, then Realm.WaitExit on a connection of its own; Ctrl-C kills
// its process (the root job has it).
bool RunInRealm(Shell& sh, const char* path, int argc, char** argv) {
  idl::component::Realm::RunRequest req;
  bool ok = req.collection.Set("/run") && req.target.Set(path);
  for (int i = 2; i < argc && ok; i++) {
    ::mica::idl::String<idl::component::MAX_ARG> a;
    ok = a.Set(argv[i]) && req.args.Push(a);
  }
  if (!ok) {
    sh.Print("run: an argument is too long\n");
    return true;
  }
  (void)mica_handle_duplicate(mica_rt_debuglog(), MICA_RIGHT_SAME_RIGHTS,
                              req.stdout.reset_and_get_address());
  mica::Channel waiter;
  mica_status_t s = mica::component::Connect("component.Realm", &waiter);
  if (s != MICA_OK) {
    sh.Print("run: component.Realm: %s\n", StatusName(s));
    return true;
  }
  idl::component::Realm::RunResponse resp;
  {
    idl::component::RealmSyncClient client(static_cast<mica::Channel&&>(sh.caps().realm));
    client.set_deadline(mica::async::Loop::Now() + kCallTimeout);
    s = client.Run(req, &resp);
    sh.caps().realm = client.TakeChannel();
  }
  if (s == MICA_OK) {
    s = resp.status;
  }
  if (s != MICA_OK) {
    sh.Print("run: cannot start %s: %s\n", path, StatusName(s));
    return true;
  }
  static char moniker[idl::component::MAX_MONIKER + 1];
  snprintf(moniker, sizeof(moniker), "%.*s", static_cast<int>(resp.moniker.size),
           resp.moniker.data);
  g_run = RealmRun();
  g_run.path = path;
  (void)ForEachComponent(sh, [&](const idl::component::Component& c) {
    if (c.moniker.size == resp.moniker.size &&
        memcmp(c.moniker.data, resp.moniker.data, c.moniker.size) == 0) {
      g_run.koid = c.koid;
    }
  });
  if (g_run.koid != 0) {
    sh.Print("run: started %s as %s (process %llu)\n", path, moniker,
             static_cast<unsigned long long>(g_run.koid));
  } else {
    sh.Print("run: started %s as %s (ended already)\n", path, moniker);
  }
  g_run.client =
      new idl::component::RealmAsyncClient(&sh.loop(), static_cast<mica::Channel&&>(waiter));
  idl::component::Realm::WaitExitRequest wait;
  (void)wait.moniker.Set(moniker);
  s = g_run.client->Begin();
  if (s == MICA_OK) {
    s = g_run.client->WaitExit(
        wait, [shp = &sh](mica_status_t status, idl::component::Realm::WaitExitResponse* r) {
          if (g_run.client == nullptr) {
            return;
          }
          if (status == MICA_OK) {
            status = r != nullptr ? r->status : MICA_ERR_INTERNAL;
          }
          // What a person may look for later is in the log too (tag
          // "run"): a kill by Ctrl-C, and a failure (WARN).
          if (status != MICA_OK) {
            shp->Print("run: waiting for %s: %s\n", moniker, StatusName(status));
          } else if (g_run.killed) {
            shp->Print("run: %s was killed\n", g_run.path);
            MICA_LOGF(INFO, "run", "%s (%s) killed by Ctrl-C", moniker, g_run.path);
          } else {
            shp->Print("run: %s exited with status %lld\n", g_run.path,
                       static_cast<long long>(r->exit_code));
            if (r->exit_code != 0) {
              MICA_LOGF(WARN, "run", "%s (%s) exited with status %lld", moniker, g_run.path,
                        static_cast<long long>(r->exit_code));
            }
          }
          EndRealmRun(*shp);
        });
  }
  if (s != MICA_OK) {
    sh.Print("run: cannot wait for %s: %s\n", moniker, StatusName(s));
    delete g_run.client;
    g_run.client = nullptr;
    return true;
  }
  sh.set_cancel([shp = &sh] {
    mica::Handle p;
    if (g_run.koid != 0 && shp->caps().root_job != MICA_HANDLE_INVALID) {
      p = FindTask(shp->caps().root_job, g_run.koid);
    }
    g_run.killed = p && mica_task_kill(p.get()) == MICA_OK;  // the wait reports it
    if (!g_run.killed) {
      shp->Print("run: cannot kill %s\n", moniker);
      EndRealmRun(*shp);
    }
  });
  return false;
}

void PrintRecord(Shell& sh, const idl::log::Record& r) {
  static char line[MICA_LOG_MAX_DATA + 1];
  log_service::FormatLine(log_service::FromIdl(r), line, sizeof(line));
  sh.Print("%s\n", line);
}

// One `log` at a time: its reader (an async client on the shell's loop).
struct LogRead {
  idl::log::ReaderAsyncClient* client = nullptr;
  uint32_t records = 0;
  uint64_t dropped = 0;
  bool follow = false;
};
LogRead g_log;

void EndLog(Shell& sh, const char* why) {
  if (why != nullptr) {
    sh.Print("log: %s\n", why);
  }
  if (!g_log.follow || why == nullptr) {
    sh.Print("log: %u records, %llu dropped\n", g_log.records,
             static_cast<unsigned long long>(g_log.dropped));
  }
  auto* c = g_log.client;
  g_log.client = nullptr;
  sh.loop().PostTask([c] { delete c; });  // not from inside its own callback
  sh.Done();
}

void NextLog(Shell& sh) {
  idl::log::Reader::NextRequest req;
  mica_status_t s =
      g_log.client->Next(req, [shp = &sh](mica_status_t status, idl::log::Reader::NextResponse* r) {
        Shell& sh = *shp;
        if (g_log.client == nullptr) {
          return;  // cancelled
        }
        if (status != MICA_OK || r == nullptr) {
          EndLog(sh, "the log service went away");
          return;
        }
        if (r->dropped != 0) {
          sh.Print("log: %llu records dropped\n", static_cast<unsigned long long>(r->dropped));
          g_log.dropped += r->dropped;
        }
        for (const idl::log::Record& rec : r->records) {
          PrintRecord(sh, rec);
          g_log.records++;
        }
        if (r->end) {
          EndLog(sh, nullptr);
          return;
        }
        NextLog(sh);
      });
  if (s != MICA_OK) {
    EndLog(sh, "cannot read");
  }
}

bool Log(Shell& sh, int argc, char** argv) {
  LogArgs a;
  if (const char* bad = ParseLogArgs(argc - 1, argv + 1, &a)) {
    sh.Print("log: %s (log [-f] [--severity <s>] [--moniker <m>] [--tag <t>])\n", bad);
    return true;
  }
  mica::Channel reader;
  if (!sh.caps().log_reader || OpenLogReader(&sh.caps(), &reader) != MICA_OK) {
    sh.Print("log: the log service is not available\n");
    return true;
  }
  idl::log::Reader::StartRequest req;
  req.mode = a.follow ? idl::log::Mode::SNAPSHOT_THEN_FOLLOW : idl::log::Mode::SNAPSHOT;
  req.filter.min_severity =
      static_cast<idl::log::Severity>(a.min_severity != 0 ? a.min_severity : 1);
  if (!req.filter.moniker.Set(a.moniker) || !req.filter.tag.Set(a.tag)) {
    sh.Print("log: a filter is too long\n");
    return true;
  }
  g_log = LogRead();
  g_log.follow = a.follow;
  g_log.client = new idl::log::ReaderAsyncClient(&sh.loop(), static_cast<mica::Channel&&>(reader));
  mica_status_t s = g_log.client->Begin();
  if (s == MICA_OK) {
    s = g_log.client->Start(req,
                            [shp = &sh](mica_status_t status, idl::log::Reader::StartResponse* r) {
                              Shell& sh = *shp;
                              if (g_log.client == nullptr) {
                                return;
                              }
                              if (status == MICA_OK && r != nullptr) {
                                status = r->status;
                              }
                              if (status != MICA_OK) {
                                char why[80];
                                snprintf(why, sizeof(why), "Start failed: %s", StatusName(status));
                                EndLog(sh, why);
                                return;
                              }
                              NextLog(sh);
                            });
  }
  if (s != MICA_OK) {
    sh.Print("log: cannot read: %s\n", StatusName(s));
    delete g_log.client;
    g_log.client = nullptr;
    return true;
  }
  sh.set_cancel([shp = &sh] {
    if (g_log.client != nullptr) {
      EndLog(*shp, nullptr);
    }
  });
  return false;
}

bool Help(Shell& sh, int, char**);

const Command kCommands[] = {
    {"help", "", "lists the commands", 0, 0, Help},
    {"ps", "", "processes: koid, job, threads, memory, state, name", 0, 0, Ps},
    {"threads", "<koid>", "the threads of a process", 1, 1, Threads},
    {"kill", "<koid>", "kills a process or job", 1, 1, Kill},
    {"jobs", "", "the job tree", 0, 0, Jobs},
    {"drivers", "", "the driver manager's node tree", 0, 0, Drivers},
    {"components", "", "the component tree", 0, 0, Components},
    {"component", "show <moniker>", "one component", 2, 2, Component},
    {"start", "<moniker>", "starts a component", 1, 1, Start},
    {"stop", "<moniker>", "stops a component", 1, 1, Stop},
    {"log", "[-f] [--severity|--moniker|--tag <v>]", "the system log", 0, 8, Log, true},
    {"mem", "", "kernel memory statistics", 0, 0, Mem},
    {"uptime", "", "time since boot", 0, 0, Uptime},
    {"date", "", "the date and time from the real-time clock", 0, 0, Date},
    {"run", "<name> [args]", "runs a component or bootfs program (Ctrl-C kills it)", 1,
     static_cast<int>(Shell::kMaxArgs) - 1, Run, true},
    {"echo", "[words]", "prints its arguments", 0, static_cast<int>(Shell::kMaxArgs) - 1, Echo},
    {"sleep", "<ms>|<n>ms|<n>s", "waits (Ctrl-C interrupts)", 1, 1, Sleep, true},
    {"reboot", "", "stops every driver and reboots", 0, 0, Reboot},
    {"poweroff", "", "stops every driver and powers off", 0, 0, Poweroff},
};

// The file commands (lib/file_commands.h) run by their name.
bool RunFileCommand(Shell& sh, int argc, char** argv) {
  size_t n = 0;
  const FileCommand* table = FileCommands(&n);
  for (size_t i = 0; i < n; i++) {
    if (strcmp(table[i].name, argv[0]) == 0) {
      table[i].run(sh.files(), argc, argv);
    }
  }
  return true;
}

constexpr size_t kMaxCommands = 48;
Command g_all[kMaxCommands];
size_t g_all_count = 0;

// kCommands with the file commands before echo (made once).
const Command* AllCommands(size_t* count) {
  if (g_all_count == 0) {
    size_t files = 0;
    const FileCommand* table = FileCommands(&files);
    for (const Command& c : kCommands) {
      if (strcmp(c.name, "echo") == 0) {
        for (size_t i = 0; i < files && g_all_count < kMaxCommands; i++) {
          const FileCommand& f = table[i];
          g_all[g_all_count++] = {f.name, f.usage, f.help, f.min_args, f.max_args, RunFileCommand};
        }
      }
      if (g_all_count < kMaxCommands) {
        g_all[g_all_count++] = c;
      }
    }
  }
  *count = g_all_count;
  return g_all;
}

bool Help(Shell& sh, int, char**) {
  size_t n = 0;
  const Command* all = AllCommands(&n);
  for (size_t i = 0; i < n; i++) {
    const Command& c = all[i];
    char what[48];
    snprintf(what, sizeof(what), "%s%s%s", c.name, c.usage[0] != '\0' ? " " : "", c.usage);
    sh.Print("  %-26s %s\n", what, c.help);
  }
  return true;
}

}  // namespace

const Command* Commands(size_t* count) {
  return AllCommands(count);
}

}  // namespace shell
