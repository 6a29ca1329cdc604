"""Typed errors of the knowledge base, each carrying a message a user can act on."""

from __future__ import annotations


class KBError(Exception):
    """Base error: `message` says what went wrong, `hint` what to do about it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class DocumentError(KBError):
    """A source file cannot be loaded; names the file and, where known, the line."""

    def __init__(self, path: str, message: str, line: int | None = None, hint: str | None = None) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}", hint)
        self.path = path
        self.line = line


class IndexMissingError(KBError):
    """No index has been built at the expected place."""


class IndexDamagedError(KBError):
    """A build's files do not match what was written: it is refused rather than served."""

    def __init__(self, build: str, problem: str) -> None:
        super().__init__(
            f"the index build {build} is damaged: {problem}",
            hint="run `kb index` to rebuild it (a damaged build is rebuilt from scratch, never reused)",
        )
        self.build = build
        self.problem = problem


class IndexLockedError(KBError):
    """Another writer (`kb index`, `kb add`, `kb remove`) holds a lock we waited for in vain."""


class AlreadyInCorpusError(KBError):
    """`kb add` of bytes the corpus already holds: `doc_id` and `path` name the document there."""

    def __init__(self, source: str, doc_id: str, path: str) -> None:
        super().__init__(f"{source} is already in the corpus: document '{doc_id}' ({path.rsplit('/', 1)[-1]})",
                         hint=f"to replace it, `kb remove {doc_id}` first")
        self.source = source
        self.doc_id = doc_id
        self.path = path


class NotFoundError(KBError):
    """A passage, document or category id does not exist; `kind` says which, so that each face
    can say where the valid ids are listed (an API route, a command)."""

    def __init__(self, message: str, hint: str | None = None, kind: str = "") -> None:
        super().__init__(message, hint)
        self.kind = kind


class InvalidParameterError(KBError):
    """A search parameter is out of range or malformed; `parameter` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
