"""The model server hands Rasa the newest model, and only when it changed."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import requests

from assistant.model_server import MODEL_PATH, serve


@pytest.fixture
def models(tmp_path: Path) -> Path:
    directory = tmp_path / "models"
    directory.mkdir()
    return directory


@pytest.fixture
def url(models: Path):
    server = serve("127.0.0.1", 0, models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def add_model(models: Path, name: str, body: bytes) -> Path:
    path = models / f"{name}.tar.gz"
    path.write_bytes(body)
    time.sleep(0.02)
    os.utime(path)
    return path


def test_no_model_yet_is_not_found(url):
    assert requests.get(url + MODEL_PATH, timeout=5).status_code == 404


def test_the_newest_model_is_served_once_then_not_modified(models, url):
    add_model(models, "20260101-000000-aaaaaaaaaaaa", b"old")
    add_model(models, "20260201-000000-bbbbbbbbbbbb", b"new")
    first = requests.get(url + MODEL_PATH, timeout=5)
    assert first.status_code == 200 and first.content == b"new"
    assert first.headers["filename"] == "20260201-000000-bbbbbbbbbbbb.tar.gz"
    again = requests.get(url + MODEL_PATH, headers={"If-None-Match": first.headers["ETag"]}, timeout=5)
    assert again.status_code == 304 and again.content == b""


def test_a_promotion_and_a_rollback_change_what_is_served(models, url):
    add_model(models, "20260101-000000-aaaaaaaaaaaa", b"old")
    old_tag = requests.get(url + MODEL_PATH, timeout=5).headers["ETag"]
    newest = add_model(models, "20260201-000000-bbbbbbbbbbbb", b"new")
    promoted = requests.get(url + MODEL_PATH, headers={"If-None-Match": old_tag}, timeout=5)
    assert promoted.status_code == 200 and promoted.content == b"new"
    (models / "retired").mkdir()
    newest.rename(models / "retired" / newest.name)
    back = requests.get(url + MODEL_PATH, headers={"If-None-Match": promoted.headers["ETag"]}, timeout=5)
    assert back.status_code == 200 and back.content == b"old"


@pytest.mark.parametrize("path", ["/", "/models", "/model/../secret", "/../../etc/passwd"])
def test_nothing_else_is_served(models, url, path):
    add_model(models, "20260101-000000-aaaaaaaaaaaa", b"old")
    assert requests.get(url + path, timeout=5).status_code == 404
