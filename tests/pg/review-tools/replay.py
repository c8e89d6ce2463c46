# connect to admin socket; send hello chunk, read welcome; wait for the file GO; send request chunk; print reply
import socket, sys, os, time
sock, chunks, go = sys.argv[1:4]
lines = [bytes.fromhex(l.strip()) for l in open(chunks) if l.strip()]
s = socket.socket(socket.AF_UNIX); s.connect(sock)
s.sendall(lines[0]); s.settimeout(10)
print("welcome:", s.recv(65536).hex(), flush=True)
open(go + ".ready", "w").close()
while not os.path.exists(go): time.sleep(0.01)
for l in lines[1:]: s.sendall(l)
open(go + ".sent", "w").close()
s.settimeout(15)
buf = b''
try:
    while True:
        d = s.recv(65536)
        if not d: break
        buf += d
        if len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(buf[:4], 'big'): break
except Exception as e:
    print("exc", e)
print("reply:", buf, flush=True)
