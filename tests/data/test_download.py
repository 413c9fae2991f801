"""gru_core.data.download: verify and cache, against a local HTTP server that
can corrupt or cut what it sends; the offline message; the data folder."""
from __future__ import annotations

import http.server
import socket
import threading

import pytest

from gru_core import data
from gru_core.data import CorpusError


class CorpusServer:
    """A local HTTP server on a free port; ``mode`` decides what it sends."""

    def __init__(self, payload: bytes):
        self.payload, self.mode, self.requests = payload, "ok", 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                body = server.payload
                if server.mode == "corrupt":
                    body = body[:-10] + b"0123456789"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.mode == "cut":  # promise the whole body, send half, hang up
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/timemachine.txt"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server(shared_text):
    server = CorpusServer(shared_text.read_bytes())
    yield server
    server.close()


def test_download_verifies_and_caches(server, tmp_path, shared_text):
    path = data.download_time_machine(cache=tmp_path, url=server.url, timeout=10)
    assert path == tmp_path / "timemachine.txt"
    assert path.read_bytes() == shared_text.read_bytes()
    assert data.sha1_of(path) == data.TIME_MACHINE_SHA1
    data.download_time_machine(cache=tmp_path, url=server.url, timeout=10)
    assert server.requests == 1  # the verified cache is reused
    assert sorted(p.name for p in tmp_path.iterdir()) == ["timemachine.txt"]


def test_corrupted_download_is_rejected_and_not_cached(server, tmp_path):
    server.mode = "corrupt"
    cache = tmp_path / "cache"
    with pytest.raises(CorpusError, match="has SHA-1 .* expected 090b5e7e"):
        data.download_time_machine(cache=cache, url=server.url, timeout=10)
    assert not cache.exists() or list(cache.iterdir()) == []  # no file, no temp leftovers


def test_connection_cut_mid_body_is_an_error_and_not_cached(server, tmp_path):
    server.mode = "cut"
    with pytest.raises(CorpusError, match="Could not download"):
        data.download_time_machine(cache=tmp_path, url=server.url, timeout=10)
    assert list(tmp_path.iterdir()) == []


def test_cached_file_with_wrong_hash_is_fetched_again(server, tmp_path, shared_text):
    stale = tmp_path / "timemachine.txt"
    stale.write_text("not the time machine")
    data.download_time_machine(cache=tmp_path, url=server.url, timeout=10)
    assert server.requests == 1
    assert stale.read_bytes() == shared_text.read_bytes()


def test_offline_error_names_the_exact_path(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cache = tmp_path / "offline cache"
    with pytest.raises(CorpusError) as error:
        data.download_time_machine(cache=cache, url=f"http://127.0.0.1:{port}/tm.txt", timeout=5)
    message = str(error.value)
    assert str(cache / "timemachine.txt") in message
    assert data.TIME_MACHINE_SHA1 in message and data.DATA_DIR_ENV in message


def test_data_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    assert data.data_dir() == tmp_path
    monkeypatch.delenv(data.DATA_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.data_dir() == tmp_path / "xdg" / "gru_explainer"
