// The shell (docs/shell.md): the prompt, the line editor on the console,
// and the command table (commands.cc).
#pragma once

#include <mica/async/loop.h>

#include "system/core/shell/caps.h"
#include "system/core/shell/console.h"
#include "system/core/shell/files.h"
#include "system/core/shell/lib/file_commands.h"
#include "system/core/shell/lib/line_editor.h"

namespace shell {

class Shell;

// A command: `run` gets argv (argv[0] the command's name) and either
// finishes before returning (returns true: the prompt comes back) or
// starts something that runs on (returns false) and later calls
// Shell::Done; Ctrl-C meanwhile calls the shell's cancel function.
struct Command {
  const char* name;
  const char* usage;  // the arguments, "" for none
  const char* help;
  int min_args;  // not counting the name
  int max_args;
  bool (*run)(Shell& sh, int argc, char** argv);
  // It may run on (return false): its output cannot go to a file.
  bool runs_on = false;
};

const Command* Commands(size_t* count);

class Shell {
 public:
  static constexpr const char* kPrompt = "mica> ";
  static constexpr size_t kMaxArgs = 16;

  Shell();
  int Run();

  Console& console() { return console_; }
  Caps& caps() { return caps_; }
  // The file commands' state: the file system, the current directory,
  // where their output goes.
  FileEnv& files() { return files_; }
  mica::async::Loop& loop() { return loop_; }
  void Print(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  // A command that ran on (returned false) ended: the prompt again.
  void Done();
  // While a command runs on: what Ctrl-C does (kills what it started).
  void set_cancel(mica::async::InlineFunction<void()> cancel) {
    cancel_ = static_cast<mica::async::InlineFunction<void()>&&>(cancel);
  }

 private:
  void OnInput(const uint8_t* bytes, size_t n);
  void Execute(const char* line);
  void Prompt();
  // Runs `c` with its output into `target` (`> target`, `>> target`).
  void RunRedirected(const Command& c, int argc, char** argv, const char* target, bool append);

  mica::async::Loop loop_;
  Caps caps_;
  Console console_;
  Printer* out_ = &console_;  // where Print goes: the console, or a file
  NamespaceFs fs_;
  FileEnv files_;
  LineEditor editor_;
  bool running_ = false;  // a command runs on: input is only Ctrl-C
  mica::async::InlineFunction<void()> cancel_;
};

}  // namespace shell
