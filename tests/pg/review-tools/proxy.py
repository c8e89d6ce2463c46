# unix-socket proxy: logs client->server chunks (hex, one per line) to OUT
import socket, sys, os, select
listen, target, out = sys.argv[1:4]
try: os.unlink(listen)
except FileNotFoundError: pass
s = socket.socket(socket.AF_UNIX); s.bind(listen); s.listen(1)
c, _ = s.accept()
u = socket.socket(socket.AF_UNIX); u.connect(target)
f = open(out, 'w')
while True:
    r, _, _ = select.select([c, u], [], [], 10)
    if not r: break
    done = False
    for x in r:
        d = x.recv(65536)
        if not d: done = True; break
        if x is c:
            f.write(d.hex() + "\n"); f.flush(); u.sendall(d)
        else:
            c.sendall(d)
    if done: break
