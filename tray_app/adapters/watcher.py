"""Watch Claude Code's roots (watchdog); only enqueue paths, never read files here."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from tray_app.adapters.listing import is_transcript

log = logging.getLogger(__name__)

Notify = Callable[[Path | None], None]  # a transcript path, or None = rescan everything
NETWORK_FS = frozenset({"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs"})
POLL_SECONDS = 2.0


def fs_type(path: Path, mounts: str = "/proc/self/mounts") -> str:
    """The file system type holding `path` (Linux; "" where unknown)."""
    try:
        with open(mounts, encoding="utf-8", errors="replace") as handle:
            table = [line.split()[1:3] for line in handle if len(line.split()) > 2]
    except OSError:
        return ""
    target = str(path.resolve())
    best, kind = "", ""
    for mount, fstype in table:
        mount = mount.replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > len(best):
            best, kind = mount, fstype
    return kind


class _Handler(FileSystemEventHandler):
    """Turns file events into queued paths."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        w = self.watcher
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if not raw:
                continue
            path = Path(os.fsdecode(raw))
            if event.is_directory:
                w.directory_event(path, event.event_type)
            elif is_transcript(path.name):
                w.notify(path)


class Watcher:
    """inotify observers per root; polling where inotify cannot serve; waits for roots."""

    def __init__(
        self,
        roots: Sequence[Path],
        notify: Notify,
        force_polling: bool = False,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.roots = [Path(r) for r in roots]
        self.notify = notify
        self.force_polling = force_polling
        self.poll_seconds = poll_seconds
        self.modes: dict[str, str] = {}  # root → "inotify" | "polling (why)" | "waiting …"
        self._lock = threading.Lock()
        self._handler = _Handler(self)
        self._inotify: BaseObserver | None = None
        self._polling: BaseObserver | None = None
        self._watched: set[Path] = set()
        self._waiting: dict[Path, Path] = {}  # missing root → the ancestor watched for it

    def _observer(self, polling: bool) -> BaseObserver:
        if polling:
            if self._polling is None:
                self._polling = PollingObserver(timeout=self.poll_seconds)
                self._polling.name = "tm-watch-poll"
                self._polling.start()
            return self._polling
        if self._inotify is None:
            from watchdog.observers import Observer

            observer: Any = Observer()
            observer.name = "tm-watch"
            observer.start()
            self._inotify = observer
        return self._inotify

    def _watch_root(self, root: Path) -> None:
        """Watch an existing root recursively, falling back to polling."""
        reason = ""
        if self.force_polling:
            reason = "polling forced by configuration"
        elif fs_type(root) in NETWORK_FS:
            reason = f"network file system ({fs_type(root)}): inotify misses remote writes"
        if not reason:
            try:
                self._observer(False).schedule(self._handler, str(root), recursive=True)
                self.modes[str(root)] = "inotify"
                self._watched.add(root)
                return
            except OSError as exc:
                # ENOSPC: max_user_watches reached; EMFILE: instances; EACCES: permission.
                reason = f"inotify unavailable ({exc.strerror or exc})"
        log.warning("watching %s by polling every %.0f s: %s", root, self.poll_seconds, reason)
        self._observer(True).schedule(self._handler, str(root), recursive=True)
        self.modes[str(root)] = f"polling every {self.poll_seconds:g} s ({reason})"
        self._watched.add(root)

    def _wait_for(self, root: Path) -> None:
        """Watch the nearest existing ancestor so the root is picked up when created."""
        ancestor = root.parent
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        try:
            self._observer(False).schedule(self._handler, str(ancestor), recursive=False)
        except OSError:
            self._observer(True).schedule(self._handler, str(ancestor), recursive=False)
        self._waiting[root] = ancestor
        self.modes[str(root)] = f"waiting for it to be created (watching {ancestor})"

    def start(self) -> None:
        """Start observing every root (missing ones are awaited)."""
        with self._lock:
            for root in self.roots:
                if root.is_dir():
                    self._watch_root(root)
                else:
                    self._wait_for(root)

    def directory_event(self, path: Path, kind: str) -> None:
        """A directory appeared or moved: maybe a root we were waiting for."""
        if kind not in ("created", "moved"):
            return
        with self._lock:
            for root, ancestor in list(self._waiting.items()):
                if path == root or root.is_relative_to(path):
                    if root.is_dir():
                        del self._waiting[root]
                        self._watch_root(root)
                        log.info("now watching %s", root)
                        self.notify(None)  # read what it already holds
                    elif path != ancestor:
                        # An intermediate dir (e.g. ~/.claude before projects/): go deeper.
                        del self._waiting[root]
                        self._wait_for(root)

    @staticmethod
    def probe(env: Mapping[str, str] = os.environ) -> str:
        """How watching would work here (for `doctor`), checked on a temp dir."""
        if env.get("TOKEN_MONITOR_POLL") == "1":
            return f"polling every {POLL_SECONDS:g} s (TOKEN_MONITOR_POLL=1)"
        import tempfile

        from watchdog.observers import Observer

        observer: Any = Observer()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                observer.schedule(FileSystemEventHandler(), tmp, recursive=True)
                observer.start()
                observer.stop()
                observer.join(2)
        except OSError as exc:
            return f"polling every {POLL_SECONDS:g} s (inotify unavailable: {exc.strerror or exc})"
        return f"events ({type(observer).__name__})"

    def stop(self) -> None:
        """Stop and join the observer threads."""
        for observer in (self._inotify, self._polling):
            if observer is not None:
                observer.stop()
        for observer in (self._inotify, self._polling):
            if observer is not None and observer.is_alive():
                observer.join(timeout=5)
