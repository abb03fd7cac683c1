# A plain HTTP listener on several ports (the scenario's stand-in for services behind the firewall).
# Usage: python3 listen.py ADDRESS PORT [PORT ...]
import http.server
import sys
import threading

for port in sys.argv[2:]:
    server = http.server.ThreadingHTTPServer((sys.argv[1], int(port)), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
threading.Event().wait()
