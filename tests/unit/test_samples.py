"""The sample generator (``samples/make_samples.py``): the builders reproduce the committed files byte for byte
from ``samples/facts``, and a fact with a bad check digit stops the run naming the record, before anything is
written."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
FILES = ["riverside.mrc", "westfield.mrc", "lakeside.xml", "lakeside-kbart.txt", "eastlake.iso"]

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from samples.samplegen import cli  # noqa: E402


def bad_facts(tmp_path: Path, file: str, good: str, bad: str) -> Path:
    """A copy of ``samples/facts`` where ``good`` (found once in ``file``) is replaced by ``bad``."""
    facts = tmp_path / "facts"
    shutil.copytree(SAMPLES / "facts", facts)
    text = (facts / file).read_text(encoding="utf-8")
    assert text.count(good) == 1
    (facts / file).write_text(text.replace(good, bad), encoding="utf-8")
    return facts


def test_builders_reproduce_the_committed_files(tmp_path: Path) -> None:
    assert cli.main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (("books.toml", '"9780262033848"', '"9780262033849"'), "books.toml [clrs3]: invalid ISBN '9780262033849'"),
        (("zh_books.toml", '"978-7-5366-9293-0"', '"978-7-5366-9293-1"'), "zh_books.toml [santi1]: invalid ISBN"),
        (("riverside.toml", '"9780387848587"', '"9780387848588"'), "riverside.toml ebooks 3 (esl): invalid ISBN"),
        (
            ("lakeside-kbart.toml", '"0001-0782"', '"0001-0783"'),
            "lakeside-kbart.toml row 1 (cacm) print_identifier: invalid ISSN",
        ),
    ],
)
def test_a_bad_check_digit_is_refused_naming_the_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: tuple[str, str, str], named: str
) -> None:
    facts = bad_facts(tmp_path, *edit)
    out = tmp_path / "out"
    out.mkdir()
    assert cli.main(["--facts", str(facts), "--out", str(out)]) == 1
    assert named in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_an_unknown_key_is_refused_naming_the_holding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = bad_facts(tmp_path, "westfield.toml", '{ book = "ggs99",', '{ book = "ggs99", shelf = "x",')
    assert cli.main(["--facts", str(facts), "--out", str(tmp_path)]) == 1
    assert "westfield.toml holdings 2 (ggs99): unknown key(s) shelf" in capsys.readouterr().err


def test_the_script_exits_with_status_1_and_a_message(tmp_path: Path) -> None:
    facts = bad_facts(tmp_path, "books.toml", '"0131103628"', '"0131103627"')
    run = subprocess.run(
        [sys.executable, str(SAMPLES / "make_samples.py"), "--facts", str(facts), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr.startswith("make_samples: books.toml [kr2]: invalid ISBN '0131103627'")
