# Connects to each HOST:PORT from the host it runs on and prints one JSON object:
# {"HOST:PORT": "answered HTTP/1.0 200 OK" | "open" | "refused" | "timeout" | "error: ..."}.
import json
import socket
import sys

result = {}
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=3) as conn:
            conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
            line = conn.makefile("rb").readline().decode("latin-1").strip()
            result[target] = f"answered {line}" if line else "open"
    except ConnectionRefusedError:
        result[target] = "refused"
    except socket.timeout:
        result[target] = "timeout"
    except OSError as exc:
        result[target] = f"error: {exc!r}"
print(json.dumps(result, sort_keys=True))
