#!/usr/bin/env python3
"""Another local process racing phonepack in a folder it works in: swaps a path for a symlink (or a FIFO) and
back, as fast as it can, for SECONDS, then restores everything and prints how many swaps it made.

    swapper.py link   PATH TARGET SECONDS   PATH (a file or folder) ⇄ a symlink to TARGET
    swapper.py fifo   PATH SECONDS          PATH (a file) ⇄ a FIFO
    swapper.py links  DIR TARGET SECONDS    every file directly in DIR, one after another, ⇄ a symlink to TARGET

The real PATH is kept beside it as PATH.swapped-away while the impostor stands in its place.
"""
import os, sys, time

mode = sys.argv[1]
end = time.time() + float(sys.argv[-1])
swaps = 0


def swap(path, make):
    global swaps
    away = path + ".swapped-away"
    try:
        os.rename(path, away)
    except FileNotFoundError:
        return
    try:
        make(path)
        swaps += 1
        time.sleep(0.0005)
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        os.rename(away, path)


if mode == "link":
    path, target = sys.argv[2], sys.argv[3]
    while time.time() < end:
        swap(path, lambda p: os.symlink(target, p))
        time.sleep(0.0005)
elif mode == "fifo":
    path = sys.argv[2]
    while time.time() < end:
        swap(path, os.mkfifo)
        time.sleep(0.0005)
elif mode == "links":
    folder, target = sys.argv[2], sys.argv[3]
    names = sorted(n for n in os.listdir(folder) if not n.endswith(".swapped-away"))
    while time.time() < end:
        for name in names:
            swap(os.path.join(folder, name), lambda p: os.symlink(target, p))
print(swaps)
