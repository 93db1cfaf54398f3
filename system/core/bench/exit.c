// bin/bench-exit: the child of bin/bench's process_create_exit figure
// (docs/performance.md): an ordinary program (the normal C runtime start-up,
// loaded by the normal loader) whose main returns 0 at once.
int main(void) {
  return 0;
}
