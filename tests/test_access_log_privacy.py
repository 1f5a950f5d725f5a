"""The access log of `devotion serve` records paths, never query strings (search terms are
e-mail addresses and names) nor referrers (which carry the previous page's query string)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

pytest.importorskip("gunicorn")
from gunicorn.config import Config
from gunicorn.glogging import Logger

from devotion.core.management.commands.serve import ACCESS_LOG_FORMAT, web_command


def _access_line(tmp_path, log_format: str) -> str:
    path = tmp_path / "access.log"
    config = Config()
    config.set("accesslog", str(path))
    config.set("access_log_format", log_format)
    logger = Logger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/customers/?q=ada.lovelace%40example.com",
        "PATH_INFO": "/customers/",
        "QUERY_STRING": "q=ada.lovelace%40example.com",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "http://shop.example/customers/?q=grace%40navy.example",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    logger.access(response, request, environ, timedelta(milliseconds=12))
    for handler in list(logger.access_log.handlers):
        handler.close()
        logger.access_log.removeHandler(handler)
    return path.read_text()


def test_the_access_log_keeps_the_method_path_and_status_but_no_query_string(tmp_path):
    line = _access_line(tmp_path, ACCESS_LOG_FORMAT)
    assert '"GET /customers/ HTTP/1.1" 200 512' in line
    assert "Mozilla/5.0" in line
    for secret in ("ada.lovelace", "grace", "q=", "%40"):
        assert secret not in line


def test_gunicorns_default_format_would_have_logged_the_search(tmp_path):
    """The check above can fail: the default format writes the search terms."""
    assert "ada.lovelace" in _access_line(tmp_path, Config().access_log_format)


def test_serve_starts_gunicorn_with_that_format():
    command = web_command("127.0.0.1:8000", workers=2)
    assert command[command.index("--access-logformat") + 1] == ACCESS_LOG_FORMAT
    assert command[command.index("--bind") + 1] == "127.0.0.1:8000"
