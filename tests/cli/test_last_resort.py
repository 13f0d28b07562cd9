"""A bug in a command is one redacted line on stderr; the traceback goes to the log (and stderr with MOA_DEBUG=1)."""
import argparse

import pytest

import moa_core.cli as cli

SECRET = "sk-proj-abcdefghijklmnop1234"


@pytest.fixture
def broken(monkeypatch):
    def handler(args):
        raise RuntimeError(f"provider said: bad key {SECRET}\nsecond line of the message")

    def parser():
        p = argparse.ArgumentParser()
        p.set_defaults(handler=handler)
        return p
    monkeypatch.setattr(cli, "build_parser", parser)


def test_an_unexpected_error_is_one_redacted_line_and_the_traceback_is_logged(broken, private_data_dir, capsys,
                                                                               monkeypatch):
    monkeypatch.delenv("MOA_DEBUG", raising=False)
    assert cli.main([]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and SECRET not in err and "Traceback" not in err, err
    assert err.startswith("moa: error: unexpected RuntimeError: provider said: bad key [REDACTED]")
    assert "details in" in err
    log = (private_data_dir / "moa-cli.log").read_text()
    assert "Traceback" in log and "RuntimeError" in log and SECRET not in log


def test_moa_debug_prints_the_traceback(broken, capsys, monkeypatch):
    monkeypatch.setenv("MOA_DEBUG", "1")
    assert cli.main([]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and SECRET not in err
