"""The Mica IDL compiler (docs/idl.md). Modules:

  errors.py    IdlError (file:line:column: message)
  syntax.py    lexer and parser: text -> declarations with positions
  check.py     name resolution, every semantic rule, wire layout and bounds
  imports.py   `using`: finds and checks the libraries a file uses, no cycles
  emit_cpp.py  the generated C++ header (types, codecs, clients, servers)
"""
