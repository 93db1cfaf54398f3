"""The syscall generator's modules (system/public/gen_syscalls.py is its
entry point):

  model        the types of a definition; BANNER
  parse        syscalls.mica -> Definitions, with every check
  describe     statuses and rights as the docs state them
  emit_user    mica/syscalls.h, syscall_stubs.S
  emit_kernel  kernel/syscall_decls.h, kernel/syscall_table.inc,
               test/syscall_recorder.inc, mica/syscall_shapes.h
  emit_docs    syscalls.md
"""
