// bin/shell (docs/shell.md): a prompt on the console, the line editor
// (lib/line_editor.h) over the console's serial service in raw mode, and
// the commands of commands.cc.
#include <mica/driver/status_name.h>
#include <mica/log/log.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "system/core/shell/lib/args.h"
#include "system/core/shell/shell.h"

namespace shell {

namespace {

constexpr uint8_t kCtrlC = 0x03;

// The command names Tab completes.
const char* g_names[64];
size_t g_name_count = 0;

const char* const* CommandNames() {
  if (g_name_count == 0) {
    size_t n = 0;
    const Command* table = Commands(&n);
    for (size_t i = 0; i < n && i < sizeof(g_names) / sizeof(g_names[0]); i++) {
      g_names[g_name_count++] = table[i].name;
    }
  }
  return g_names;
}

size_t CommandNameCount() {
  CommandNames();
  return g_name_count;
}

}  // namespace

Shell::Shell()
    : console_(&loop_, [this](const uint8_t* bytes, size_t n) { OnInput(bytes, n); }),
      editor_(kPrompt, CommandNames(), CommandNameCount()) {
  files_.fs = &fs_;
  files_.out = &console_;
  files_.err = &console_;
}

void Shell::Print(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  out_->VPrint(fmt, ap);
  va_end(ap);
}

void Shell::Prompt() {
  Output out;
  editor_.Begin(out);
  console_.Write(out.data(), out.size());
}

void Shell::Done() {
  running_ = false;
  cancel_ = nullptr;
  Prompt();
}

void Shell::OnInput(const uint8_t* bytes, size_t n) {
  static Output out;
  for (size_t i = 0; i < n; i++) {
    if (running_) {
      if (bytes[i] == kCtrlC && cancel_) {
        console_.Write("^C\n", 3);
        cancel_();
      }
      continue;  // typed ahead while a command runs: dropped
    }
    out.Clear();
    LineEditor::Event e = editor_.Feed(bytes[i], out);
    console_.Write(out.data(), out.size());
    if (e == LineEditor::Event::kLine) {
      Execute(editor_.line());
    } else if (e == LineEditor::Event::kCancel) {
      Prompt();
    }
  }
}

void Shell::Execute(const char* line) {
  static char copy[LineEditor::kMaxLine + 1];
  strncpy(copy, line, sizeof(copy) - 1);
  char* argv[kMaxArgs + 1] = {};
  size_t argc = Split(copy, argv, kMaxArgs);
  if (argc == 0) {
    Prompt();
    return;
  }
  if (argc > kMaxArgs) {
    Print("%s: too many arguments (at most %zu)\n", argv[0], kMaxArgs - 1);
    Prompt();
    return;
  }
  const char* target = nullptr;
  bool append = false;
  if (const char* bad = TakeRedirect(&argc, argv, &target, &append)) {
    Print("%s: %s\n", argv[0], bad);
    Prompt();
    return;
  }
  size_t count = 0;
  const Command* table = Commands(&count);
  for (size_t i = 0; i < count; i++) {
    const Command& c = table[i];
    if (strcmp(c.name, argv[0]) != 0) {
      continue;
    }
    int args = static_cast<int>(argc) - 1;
    if (args < c.min_args || args > c.max_args) {
      Print("%s: usage: %s%s%s\n", c.name, c.name, c.usage[0] != '\0' ? " " : "", c.usage);
      Prompt();
      return;
    }
    if (target != nullptr) {
      RunRedirected(c, static_cast<int>(argc), argv, target, append);
      Prompt();
      return;
    }
    running_ = true;
    if (c.run(*this, static_cast<int>(argc), argv)) {
      Done();
    }
    return;
  }
  Print("%s: unknown command (try help)\n", argv[0]);
  Prompt();
}

void Shell::RunRedirected(const Command& c, int argc, char** argv, const char* target,
                          bool append) {
  if (c.runs_on) {
    Print("%s: its output cannot go to a file (it runs on)\n", c.name);
    return;
  }
  std::unique_ptr<OpenedFile> file = OpenForRedirect(files_, c.name, target, append);
  if (!file) {
    return;
  }
  FileOutput to_file(file.get());
  out_ = &to_file;
  files_.out = &to_file;
  files_.to_console = false;
  (void)c.run(*this, argc, argv);  // finishes before returning (!runs_on)
  out_ = &console_;
  files_.out = &console_;
  files_.to_console = true;
  Status st = to_file.Finish();
  if (!st.ok()) {
    char why[200];
    Print("%s: %s: %s\n", c.name, target, st.Describe(why, sizeof(why)));
  }
}

int Shell::Run() {
  if (loop_.status() != MICA_OK) {
    mica::log::LogKv(mica::log::kError, "shell",
                     {{"status", mica::driver::StatusName(loop_.status())}}, "no loop");
    return 1;
  }
  TakeCaps(&caps_);
  if (!caps_.directory) {
    MICA_LOGF(ERROR, "shell", "no service directory (start it with drivers.then=bin/shell)");
    return 1;
  }
  mica_status_t s = console_.Start();
  if (s != MICA_OK) {
    mica::log::LogKv(mica::log::kError, "shell", {{"status", mica::driver::StatusName(s)}},
                     "no console");
    return 1;
  }
  printf("shell: ready on console/0\n");
  Prompt();
  return static_cast<int>(loop_.Run());
}

}  // namespace shell

int main() {
  static shell::Shell sh;
  return sh.Run();
}
