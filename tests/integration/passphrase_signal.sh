# SPDX-License-Identifier: AGPL-3.0-or-later
# Ctrl-C at the passphrase prompt gives the terminal its echo back: amie
# key export runs on a pseudo-terminal, turns echo off to ask, and is
# ended by SIGINT there.  Before, the terminal was left without echo.
# Skipped without python3 (which drives the pseudo-terminal).
. tests/integration/lib.sh

command -v python3 >/dev/null 2>&1 || exit 77
new_node A --federation Nord || finish
stop_node "$PID_A"

python3 - "$AMIE" "$T/A" "$T/a.key" >"$T/py.out" 2>&1 <<'PY'
import os, signal, sys, termios, time
amie, node, out = sys.argv[1:4]
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    import fcntl
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.execv(amie, [amie, "--dir", node, "key", "export", out])
seen = b""
deadline = time.time() + 10
while b"Passphrase" not in seen and time.time() < deadline:
    try:
        seen += os.read(master, 1024)
    except OSError:
        break
if b"Passphrase" not in seen:
    print("no prompt:", seen)
    sys.exit(2)
# The prompt is written before echo goes off: wait until it is.
while termios.tcgetattr(slave)[3] & termios.ECHO and time.time() < deadline:
    time.sleep(0.01)
if termios.tcgetattr(slave)[3] & termios.ECHO:
    print("echo never went off")
    sys.exit(2)
os.kill(pid, signal.SIGINT)
_, status = os.waitpid(pid, 0)
if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT):
    print("not ended by SIGINT:", status)
    sys.exit(2)
sys.exit(0 if termios.tcgetattr(slave)[3] & termios.ECHO else 1)
PY
case $? in
0) ;;
1) fail "the terminal was left without echo" ;;
*) fail "could not drive the prompt: $(cat "$T/py.out")" ;;
esac
[ -e "$T/a.key" ] && fail "an export ended at the prompt left $T/a.key"
finish
