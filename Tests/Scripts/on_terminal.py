#!/usr/bin/env python3
"""Runs a program on a pseudo-terminal, as a person at a terminal would, and prints what it showed.

    on_terminal.py [--type LINE] PROGRAM [ARG...]

--type LINE is typed once the program has turned echo off (a password prompt): typed earlier, the prompt's
TCSAFLUSH would discard it and the program would wait for ever. Reads until the program exits, never longer
than a minute (then kills it).
"""
import os, pty, select, sys, termios, time

args = sys.argv[1:]
typed = None
if args[:1] == ["--type"]:
    typed, args = args[1], args[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(args[0], args)
if typed is not None:
    deadline = time.time() + 30
    while termios.tcgetattr(fd)[3] & termios.ECHO and time.time() < deadline:
        time.sleep(0.02)
    os.write(fd, typed.encode() + b"\n")
seen = b""
end = time.time() + 60
while time.time() < end:  # until the program exits (EIO on the master)
    if not select.select([fd], [], [], 1)[0]:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
else:
    os.kill(pid, 9)
os.waitpid(pid, 0)
sys.stdout.write(seen.decode("utf-8", "replace"))
