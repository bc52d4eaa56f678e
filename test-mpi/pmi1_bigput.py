# pmi1_bigput.py [KEYS] - a PMI-1 client that puts KEYS keys of 960 bytes (70,000 by
# default: about 67 MB, more than one fence carries) and enters the barrier. Too much data
# must end the job with one clear line, not leave it waiting.
import os
import socket
import sys

sock = socket.socket(fileno=int(os.environ["PMI_FD"]))
replies = sock.makefile("rb")


def ask(line):
    sock.sendall(line.encode() + b"\n")
    return replies.readline().decode()


ask("cmd=init pmi_version=1 pmi_subversion=1")
kvs = ask("cmd=get_my_kvsname").split("kvsname=")[1].strip()
keys = int(sys.argv[1]) if len(sys.argv) > 1 else 70000
value = "x" * 960
# All puts in one go, then their replies: the agent queues replies and never
# stops reading, so this cannot deadlock, and it is much faster than lockstep.
sock.sendall("".join(f"cmd=put kvsname={kvs} key=k{i} value={value}\n" for i in range(keys)).encode())
for _ in range(keys):
    if "rc=0" not in replies.readline().decode():
        sys.exit("a put failed")
print("puts done", flush=True)
print(ask("cmd=barrier_in"), flush=True)
