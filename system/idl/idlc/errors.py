"""IdlError: a problem in an IDL file, reported as `file:line:column: message`."""


class IdlError(Exception):
    def __init__(self, path, line, col, message):
        super().__init__(f"{path}:{line}:{col}: {message}")
        self.path, self.line, self.col, self.message = path, line, col, message
