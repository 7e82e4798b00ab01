"""The live protocol: who is connected (presence), per-account event logs, the hub that carries
events to sockets, and the frames a socket sends."""
