"""Runs one model-written program under limits and reports how it ended, as one JSON line on an inherited pipe.

Run as ``python -I sandbox_child.py WORK --seconds S --memory B --file-size B --processes N --output B --report-fd FD``;
the program is ``WORK/program.py`` and its stdout and stderr go to ``WORK/output``. Standard library only: it must
run without the package on ``sys.path``.

This process (the supervisor) enters new user, mount and network namespaces, makes every mount but the work
directory read-only, and forks the program's process, which is PID 1 of a new PID namespace. That process drops
its capabilities, sets its resource limits, installs an audit hook and runs the program with ``exec``. The
supervisor enforces the wall clock and forwards the report. Where the namespaces cannot be had, everything else
still applies and the report's ``isolation`` says why.

Not promised: the program runs in the reporting process, so a hostile one can forge its report or close the pipe;
audit hooks are no security boundary (a program can reach around them); as root, the kernel does not enforce the
process limit.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import select
import signal
import sys
import time
import traceback

GRACE = 1.0  # seconds past the time limit before the supervisor kills a program that ignored its alarm
REPORT_CAP = 1 << 16  # bytes of the program process's report the supervisor reads
DETAIL_CAP = 2000  # characters of an exception's last line worth keeping
NO_NAMESPACES = "--no-namespaces"

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOSYMFOLLOW = 256
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24
KEPT_FLAGS = {  # per-mount options a remount must repeat: in a user namespace, dropping a locked one fails
    "nosuid": MS_NOSUID,
    "nodev": MS_NODEV,
    "noexec": MS_NOEXEC,
    "noatime": MS_NOATIME,
    "nodiratime": MS_NODIRATIME,
    "relatime": MS_RELATIME,
    "nosymfollow": MS_NOSYMFOLLOW,
}
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")  # the only nodes left usable

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
CAPABILITY_VERSION_3 = 0x20080522

FORBIDDEN_EVENTS = frozenset(
    {
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.exec",
        "os.spawn",
        "os.system",
        "subprocess.Popen",
        "os.kill",
        "os.killpg",
        "signal.pthread_kill",
        "socket.connect",
        "socket.bind",
        "socket.sendto",
        "socket.sendmsg",
    }
)
FORBIDDEN_MODULES = frozenset({"ctypes", "_ctypes", "_posixsubprocess"})
# Audit events that change the file system: where in the arguments the path is, where its dir_fd is, and whether
# the call follows a symbolic link at the end of the path (removing a link inside the work directory is harmless).
PATH_EVENTS = {
    "os.remove": ((0, 1, False),),
    "os.rmdir": ((0, 1, False),),
    "os.mkdir": ((0, 2, False),),
    "os.rename": ((0, 2, False), (1, 3, False)),
    "os.link": ((0, 2, True), (1, 3, False)),
    "os.symlink": ((1, 2, False),),
    "os.chmod": ((0, 2, True),),
    "os.chown": ((0, 3, True),),
    "os.utime": ((0, 3, True),),
    "os.truncate": ((0, None, True),),
    "os.setxattr": ((0, None, True),),
    "os.removexattr": ((0, None, True),),
    "shutil.rmtree": ((0, 1, False),),
}
WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
SINKS = frozenset({"/dev/null", "/dev/zero", "/dev/full"})  # outside the work directory, yet harmless to write


class _TimeLimit(BaseException):
    """Raised in the program by the alarm; a BaseException so that ``except Exception`` does not swallow it."""


class _CappedRaw:
    """A raw binary stream onto a file descriptor that writes through up to a shared budget and drops the rest."""

    def __init__(self, fd: int, budget: list[int]) -> None:
        self._fd = fd
        self._budget = budget
        self.closed = False

    def write(self, data: bytes) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        view = memoryview(data).cast("B")
        chunk = view[: max(self._budget[0], 0)]
        self._budget[0] -= len(chunk)
        while chunk:
            chunk = chunk[os.write(self._fd, chunk) :]
        return len(view)  # the rest is discarded in silence: a program printing forever times out, not fails

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sandbox_child", description=__doc__.splitlines()[0])
    parser.add_argument("work", help="the work directory, holding program.py")
    parser.add_argument("--seconds", type=float, required=True, help="wall-clock limit")
    parser.add_argument("--memory", type=int, required=True, help="address space limit in bytes")
    parser.add_argument("--file-size", type=int, required=True, help="largest file the program may write, in bytes")
    parser.add_argument("--processes", type=int, required=True, help="processes the program may add")
    parser.add_argument("--output", type=int, required=True, help="bytes of stdout and stderr kept")
    parser.add_argument("--report-fd", type=int, required=True, help="the pipe the report is written to")
    parser.add_argument(NO_NAMESPACES, action="store_true", help="skip the namespaces (the fallback path)")
    return parser.parse_args(argv)


def libc():
    """The C library through ctypes, imported here: the module's globals, which the program can reach, never hold it."""
    import ctypes

    lib = ctypes.CDLL(None, use_errno=True)
    lib.unshare.argtypes = [ctypes.c_int]
    lib.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    lib.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    lib.capset.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    return lib


def failed_call(result: int) -> str:
    """The errno text of a C call that returned ``result``, or "" when it succeeded."""
    if result == 0:
        return ""
    import ctypes

    return os.strerror(ctypes.get_errno())


def mount(lib, source: str | None, target: str, fstype: str | None, flags: int) -> str:
    """mount(2); "" on success, else the error."""
    encode = os.fsencode
    return failed_call(
        lib.mount(
            None if source is None else encode(source),
            encode(target),
            None if fstype is None else encode(fstype),
            flags,
            None,
        )
    )


def processes_of(uid: int) -> int:
    """How many processes the real uid ``uid`` owns, counted from /proc: the base the process limit adds to."""
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", encoding="utf-8", errors="replace") as status:
                for line in status:
                    if line.startswith("Uid:"):
                        count += int(line.split()[1]) == uid
                        break
        except (OSError, ValueError, IndexError):
            continue  # it exited while we counted
    return count


def unescape(field: str) -> str:
    """A mountinfo path: spaces, tabs, newlines and backslashes come octal-escaped."""
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), field)


def mounts() -> list[tuple[str, set[str]]]:
    """Every mount point with its per-mount options, parents first."""
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as table:
        for line in table:
            fields = line.split()
            if len(fields) > 5:
                found.append((unescape(fields[4]), set(fields[5].split(","))))
    return found


def remount_flags(options: set[str]) -> int:
    """The flags that keep a mount's current per-mount options through a bind remount."""
    flags = 0
    for name, flag in KEPT_FLAGS.items():
        if name in options:
            flags |= flag
    if not options & {"noatime", "relatime"}:
        flags |= MS_STRICTATIME  # otherwise the remount would default to relatime, a change a lock refuses
    return flags


def write_file(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)


def enter(lib) -> str:
    """Enters new user, mount, network and PID namespaces with this uid and gid as root; "" or why not."""
    uid, gid = os.getuid(), os.getgid()
    error = failed_call(lib.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID))
    if error:
        return f"the user, mount, network and PID namespaces could not be created ({error})"
    try:
        write_file("/proc/self/setgroups", "deny")
    except FileNotFoundError:
        pass  # a kernel before 3.19: gid_map needs no such consent there
    except OSError as problem:
        return f"the user namespace's setgroups could not be denied ({problem.strerror})"
    try:
        write_file("/proc/self/uid_map", f"0 {uid} 1")
        write_file("/proc/self/gid_map", f"0 {gid} 1")
    except OSError as problem:
        return f"the user namespace's id maps could not be written ({problem.strerror})"
    return ""


def trial(lib) -> str:
    """``enter`` in a throwaway child first: a process in a user namespace without an id map can create no file."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.write(write_end, enter(lib).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as pipe:
        return pipe.read().decode(errors="replace")


def isolate(lib, work: str) -> str:
    """Enters the new namespaces and leaves only ``work`` writable; "" when all of it held, else why not."""
    problem = trial(lib) or enter(lib)
    if problem:
        return f"{problem}; no isolation"
    # Only a private copy of the mount table may be remounted: otherwise the changes could reach the host's.
    error = mount(lib, None, "/", None, MS_REC | MS_PRIVATE)
    if error:
        return f"the mount namespace could not be made private ({error}); nothing was made read-only"
    error = mount(lib, work, work, None, MS_BIND | MS_REC)
    if error:
        return f"the work directory could not be bind-mounted ({error}); nothing was made read-only"
    for device in DEVICES:
        mount(lib, device, device, None, MS_BIND)  # own mounts, so that nodev on /dev spares them
    root_error = "no root mount found"
    for point, options in mounts():
        kept = remount_flags(options)
        if point == work:
            flags = kept | MS_NOSUID | MS_NODEV | MS_NOEXEC | (MS_RDONLY if "ro" in options else 0)
        elif point in DEVICES:
            flags = kept | MS_RDONLY | MS_NOSUID | MS_NOEXEC
        else:
            flags = kept | MS_RDONLY | MS_NOSUID | MS_NODEV
        error = mount(lib, None, point, None, MS_REMOUNT | MS_BIND | flags)
        if point == "/":
            root_error = error  # /proc, /sys and their kin may refuse; the root must not
    if root_error:
        return f"the root file system could not be made read-only ({root_error})"
    return ""


def mount_proc(lib) -> str:
    """A fresh, read-only /proc for the new PID namespace: the host's processes and their environments vanish."""
    error = mount(lib, "proc", "/proc", "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    return f"a fresh /proc could not be mounted ({error}); the host's processes stay visible" if error else ""


def drop_capabilities(lib) -> str:
    """Drops every capability for good, so that the program cannot undo the read-only mounts."""
    import ctypes

    if failed_call(lib.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)):
        return "no_new_privs could not be set"
    lib.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    try:
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as last:
            highest = int(last.read())
    except (OSError, ValueError):
        highest = 63
    for capability in range(highest + 1):
        lib.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable; twice (capabilities 0-31, 32-63)
    error = failed_call(lib.capset(ctypes.addressof(header), ctypes.addressof(data)))
    return f"the capabilities could not be dropped ({error})" if error else ""


def limit(kind: int, value: int) -> None:
    """Lowers a resource limit to ``value`` (never above its current hard limit, which only root may raise)."""
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value))


def report_line(outcome: dict[str, str]) -> bytes:
    return json.dumps(outcome, ensure_ascii=True).encode("ascii") + b"\n"


def last_line(error: BaseException) -> str:
    """The exception's last line as a traceback prints it, e.g. ``AssertionError: 3 != 4``."""
    try:
        line = traceback.format_exception_only(type(error), error)[-1].strip()
    except BaseException:  # noqa: BLE001 - a program's __str__ may raise anything
        line = type(error).__name__
    return line[:DETAIL_CAP]


def guard(work: str):
    """The audit hook: no new processes, signals, sockets or native code, and no writes outside ``work``."""
    own_pid = os.readlink("/proc/self")  # as the mounted /proc numbers it, which a PID namespace may not
    # Bound here, not looked up in the module's globals, which the program can reach as __main__ and rewrite.
    forbidden_events, forbidden_modules, path_events, writing, sinks = (
        FORBIDDEN_EVENTS,
        FORBIDDEN_MODULES,
        PATH_EVENTS,
        WRITING,
        SINKS,
    )
    fspath, fsdecode, readlink, realpath = os.fspath, os.fsdecode, os.readlink, os.path.realpath
    join, dirname, basename, normpath, isabs, isdir = (
        os.path.join,
        os.path.dirname,
        os.path.basename,
        os.path.normpath,
        os.path.isabs,
        os.path.isdir,
    )

    def resolve(path: object, dir_fd: object, follow: bool) -> str | None:
        """Where an audited path really points; None when that cannot be told."""
        try:
            if isinstance(path, int):
                return realpath(readlink(f"/proc/self/fd/{path}"))
            text = fsdecode(fspath(path))  # type: ignore[arg-type]
            if not isabs(text):
                base = readlink(f"/proc/self/fd/{dir_fd}") if isinstance(dir_fd, int) and dir_fd >= 0 else "."
                text = join(base, text)
            if follow:
                return realpath(text)
            return normpath(join(realpath(dirname(text) or "."), basename(text)))
        except (OSError, TypeError, ValueError):
            return None

    def inside(resolved: str | None) -> bool:
        return resolved is not None and (resolved == work or resolved.startswith(work + "/"))

    def hook(event: str, args: tuple) -> None:
        if event in forbidden_events or event.startswith("ctypes."):
            raise PermissionError(f"{event} is not allowed in the sandbox")
        if event == "import":
            name = args[0] if args and isinstance(args[0], str) else ""
            if name in forbidden_modules or name.startswith("ctypes."):
                raise ImportError(f"{name} is not available in the sandbox", name=name)
        elif event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            if isinstance(path, int):
                return  # wraps a descriptor the program already holds
            if isinstance(flags, int):
                writes = bool(flags & writing)
            else:
                writes = isinstance(mode, str) and any(letter in mode for letter in "wax+")
            resolved = resolve(path, None, True)
            if writes and not inside(resolved) and resolved not in sinks:
                raise PermissionError(f"writing {path!r} outside the work directory is not allowed in the sandbox")
            if resolved is None or inside(resolved):
                return
            parts = resolved.split("/")
            if len(parts) > 2 and parts[1] == "proc" and parts[2].isdigit() and parts[2] != own_pid:
                raise PermissionError(f"reading another process's {path!r} is not allowed in the sandbox")
            if mode is None and isdir(resolved):
                # A descriptor on an outside directory would let dir_fd calls write there unseen.
                raise PermissionError(f"opening the directory {path!r} is not allowed in the sandbox")
        elif event in path_events:
            for position, fd_position, follow in path_events[event]:
                if position >= len(args):
                    continue
                dir_fd = args[fd_position] if fd_position is not None and fd_position < len(args) else None
                if not inside(resolve(args[position], dir_fd, follow)):
                    raise PermissionError(f"{event} outside the work directory is not allowed in the sandbox")

    return hook


def neuter_native_modules() -> None:
    """Keeps ``import subprocess`` working while taking away the fork it hides and the ctypes this script used."""
    import subprocess  # noqa: F401 - loaded now, while its _posixsubprocess may still be imported
    import types

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError("starting processes is not allowed in the sandbox")

    stub = types.ModuleType("_posixsubprocess", "Not available in the sandbox.")
    stub.fork_exec = refuse  # type: ignore[attr-defined]
    sys.modules["_posixsubprocess"] = stub
    sys.modules["subprocess"]._posixsubprocess = stub  # type: ignore[attr-defined]
    for name in [name for name in sys.modules if name in ("ctypes", "_ctypes") or name.startswith("ctypes.")]:
        del sys.modules[name]


def hide_report_fd(fd: int) -> int:
    """Moves the report pipe to an unremarkable high descriptor and closes every other one above stderr."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    top = min(soft, 1024) if soft != resource.RLIM_INFINITY else 1024
    high = 100 + int.from_bytes(os.urandom(2), "big") % max(top - 100, 1)
    if high != fd:
        os.dup2(fd, high, inheritable=False)
        os.close(fd)
    os.closerange(3, high)
    os.closerange(high + 1, soft if soft != resource.RLIM_INFINITY else 1 << 20)
    return high


def child(args: argparse.Namespace, report_fd: int, namespaced: bool, base_processes: int) -> None:
    """The program's process: limits, output, audit hook, then the program; reports and exits, never returns."""
    notes = []
    lib = libc()
    lib.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the supervisor's death takes the program with it
    if namespaced:
        notes.append(mount_proc(lib))
    notes.append(drop_capabilities(lib))
    del lib
    os.setsid()
    work = os.path.realpath(args.work)
    os.chdir(work)
    with open("program.py", "rb") as handle:
        source = handle.read()
    stdin = os.open(os.devnull, os.O_RDONLY)
    output = os.open("output", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    os.dup2(stdin, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(stdin)
    os.close(output)
    report_fd = hide_report_fd(report_fd)
    neuter_native_modules()
    sys.dont_write_bytecode = True
    budget = [args.output]
    import io

    for name, fd in (("stdout", 1), ("stderr", 2)):
        stream = io.TextIOWrapper(
            _CappedRaw(fd, budget),  # type: ignore[arg-type]
            encoding="utf-8",
            errors="backslashreplace",
            write_through=True,
        )
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)

    state = {"armed": True, "fired": False}

    def alarm(_signum: int, _frame: object) -> None:
        state["fired"] = True
        if state["armed"]:
            raise _TimeLimit

    isolation = "; ".join(note for note in notes if note)
    write, dumps, exit_now = os.write, report_line, os._exit
    # The limits come last, so that this setup's own imports never count against a small memory limit.
    limit(resource.RLIMIT_AS, args.memory)
    limit(resource.RLIMIT_FSIZE, args.file_size)
    cpu = math.ceil(args.seconds) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1 if hard == resource.RLIM_INFINITY else min(cpu + 1, hard)))
    limit(resource.RLIMIT_NPROC, base_processes + args.processes)
    limit(resource.RLIMIT_CORE, 0)
    signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, args.seconds)
    sys.addaudithook(guard(work))
    outcome = run(source, state, args.seconds)
    outcome["isolation"] = isolation
    try:
        write(report_fd, dumps(outcome))
    finally:
        exit_now(0)


def run(source: bytes, state: dict[str, bool], seconds: float) -> dict[str, str]:
    """Runs the program in globals of its own, ``{}`` as the reference evaluators pass (so __name__ is "builtins")."""
    try:
        try:
            try:
                # Compiled from text, as the reference evaluators do: a coding cookie in the program changes nothing.
                code = compile(source.decode("utf-8", errors="surrogatepass"), "program.py", "exec")
                exec(code, {})  # noqa: S102 - running it is the point
            finally:
                state["armed"] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
        except BaseException as error:  # noqa: BLE001 - SystemExit and KeyboardInterrupt fail a program too
            if isinstance(error, _TimeLimit) or state["fired"]:
                return timed_out(seconds)
            show_traceback(error)
            return {"status": "failed", "exception": type(error).__name__, "detail": last_line(error)}
        if state["fired"]:
            return timed_out(seconds)  # the program swallowed the alarm and finished late
        return {"status": "passed", "exception": "", "detail": ""}
    except _TimeLimit:  # the alarm landed in the lines above, after the program but before it was disarmed
        return timed_out(seconds)


def timed_out(seconds: float) -> dict[str, str]:
    return {"status": "timed out", "exception": "", "detail": f"time limit of {seconds:g} s exceeded"}


def show_traceback(error: BaseException) -> None:
    """Writes the traceback to the program's stderr as running it as a script would, without this file's frames."""
    try:
        shown = traceback.TracebackException.from_exception(error)
        own = os.path.realpath(__file__)
        frames = [frame for frame in shown.stack if os.path.realpath(frame.filename) != own]
        shown.stack = traceback.StackSummary.from_list(frames)
        sys.stderr.write("".join(shown.format()))
    except BaseException:  # noqa: BLE001, S110 - the report matters more than the traceback
        pass


def wait(pid: int, deadline: float) -> int | None:
    """The wait status of ``pid``, or None when it still runs at ``deadline`` (a monotonic time)."""
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):
        handle = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if handle is None:
                time.sleep(min(left, 0.005))
            else:
                select.select([handle], [], [], left)
    finally:
        if handle is not None:
            os.close(handle)


def kill(pid: int) -> None:
    """SIGKILLs the program's process and its group: PID 1 of a namespace takes the whole namespace with it."""
    for send in (os.killpg, os.kill):
        try:
            send(pid, signal.SIGKILL)
        except OSError:
            pass  # already gone, or not yet its own group leader


def orphans() -> list[int]:
    """Processes whose parent is this supervisor: descendants of the program that outlived their own parents."""
    mine, found = os.getpid(), []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and int(fields[1]) == mine:
            found.append(int(name))
    return found


def reap_orphans() -> None:
    """Kills whatever the program left behind; without a PID namespace they were reparented here, the subreaper."""
    for _ in range(1000):
        found = orphans()
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in found:
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass


def read_capped(fd: int) -> bytes:
    """What is waiting on the pipe ``fd``, up to ``REPORT_CAP`` bytes, without blocking."""
    os.set_blocking(fd, False)
    data = b""
    while len(data) < REPORT_CAP:
        try:
            chunk = os.read(fd, REPORT_CAP - len(data))
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    return data


def read_report(fd: int) -> dict[str, str] | None:
    """The last well-formed report line on ``fd``, read without blocking and within a cap (the parent reads so too)."""
    data = read_capped(fd)
    for line in reversed(data.splitlines()):
        try:
            outcome = json.loads(line)
        except ValueError:
            continue
        if isinstance(outcome, dict) and isinstance(outcome.get("status"), str):
            return {key: str(value) for key, value in outcome.items()}
    return None


def ended(status: int | None, report: dict[str, str] | None, seconds: float) -> dict[str, str]:
    """The outcome from the program process's wait status and report."""
    if status is None:
        return {"status": "timed out", "exception": "", "detail": f"still running after {seconds + GRACE:g} s; killed"}
    if report is not None:
        return {key: report.get(key, "") for key in ("status", "exception", "detail", "isolation")}
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGXCPU:
            return {"status": "timed out", "exception": "", "detail": f"CPU time limit of {math.ceil(seconds) + 1} s"}
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        return {"status": "killed", "exception": "", "detail": f"signal {name}"}
    return {"status": "killed", "exception": "", "detail": f"exit {os.waitstatus_to_exitcode(status)} without a report"}


def supervise(args: argparse.Namespace) -> dict[str, str]:
    """Sets up, forks the program's process, enforces the wall clock and returns the outcome."""
    work = os.path.realpath(args.work)
    base = processes_of(os.getuid())
    lib = libc()
    lib.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans come here, where they can be found and killed
    if args.no_namespaces:
        namespaced, isolation = False, "the namespaces were turned off"
    else:
        isolation = isolate(lib, work)
        namespaced = not isolation
    del lib
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.close(args.report_fd)
            child(args, write_end, namespaced, base)
        except BaseException as error:  # noqa: BLE001 - the setup failed before the program ran
            os.write(write_end, report_line(broken(error)))
        finally:
            os._exit(70)
    os.close(write_end)
    status = wait(pid, time.monotonic() + args.seconds + GRACE)
    if status is None:
        kill(pid)
        os.waitpid(pid, 0)
    report = read_report(read_end)
    os.close(read_end)
    if not namespaced:
        reap_orphans()
    outcome = ended(status, report, args.seconds)
    notes = [note for note in (isolation, outcome.get("isolation", "")) if note]
    outcome["isolation"] = "; ".join(notes)
    return outcome


def broken(error: BaseException) -> dict[str, str]:
    """The outcome when the sandbox itself failed before the program could run."""
    detail = f"the sandbox failed: {last_line(error)}"
    return {"status": "killed", "exception": "", "detail": detail, "isolation": "the sandbox failed to start"}


def main(argv: list[str] | None = None) -> None:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        outcome = supervise(args)
    except BaseException as error:  # noqa: BLE001 - whatever broke, the parent gets a line saying so
        outcome = broken(error)
    os.write(args.report_fd, report_line(outcome))


if __name__ == "__main__":
    main()
