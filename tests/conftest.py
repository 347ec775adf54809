"Test settings shared by every test: no hub access, and a private cache folder per session unless one is given."
import os, tempfile

# Nothing may download models or data from a hub during tests.
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('HF_DATASETS_OFFLINE', '1')
# Keep OpenMP threads from spinning while another process holds the other core.
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

import functools, http.server, threading
import pytest

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass

@pytest.fixture
def loopback():
    "`loopback(root)` serves the folder `root` over HTTP on 127.0.0.1 and returns the server (`.url`: its address); every server still running stops after the test."
    servers = []
    def serve(root):
        srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_QuietHandler, directory=str(root)))
        srv.url = f'http://127.0.0.1:{srv.server_port}'
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return srv
    yield serve
    for srv in servers: srv.shutdown(); srv.server_close()  # shutdown() returns at once for a server the test already stopped
