# hello.py - mpi4py hello: one line per rank, the same format as hello.c.
import os

from mpi4py import MPI

comm = MPI.COMM_WORLD
print(f"hello from rank {comm.Get_rank()} of {comm.Get_size()} on {MPI.Get_processor_name()} (pid {os.getpid()})", flush=True)
