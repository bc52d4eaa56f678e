#!/usr/bin/env python3
"""flood.py PORT SECONDS - strangers on cmpirun's control port: as many connections as it
takes, kept open and reopened when closed, some silent, some sending garbage, some a HELLO
with a wrong token. Prints how many were opened and how many the launcher closed."""
import socket
import sys
import time

port, seconds = int(sys.argv[1]), float(sys.argv[2])
WRONG_HELLO = bytes([1, 1, 0, 0, 0, 0, 0, 40]) + bytes(range(1, 41))
KINDS = [b"", b"GET / HTTP/1.0\r\n\r\n", WRONG_HELLO]
MAX_OPEN = 300  # held at once; the launcher keeps 64 + agents waiting for a HELLO

opened = closed = 0
conns = []
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    while len(conns) < MAX_OPEN:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            break
        s.setblocking(False)
        kind = KINDS[opened % len(KINDS)]
        try:
            if kind:
                s.send(kind)
        except OSError:
            pass
        conns.append(s)
        opened += 1
    alive = []
    for s in conns:  # a connection the launcher closed reads as EOF or an error
        try:
            if s.recv(1) == b"":
                raise OSError
            alive.append(s)
        except BlockingIOError:
            alive.append(s)
        except OSError:
            s.close()
            closed += 1
    conns = alive
    time.sleep(0.01)
for s in conns:
    s.close()
print(f"flood: opened {opened}, closed by the launcher {closed}")
