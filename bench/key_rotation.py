"""How long ``consortium keys rotate`` and ``consortium keys retire`` take for a hub's readers, on the local
adapters (SQLite profile store, local key file) in a temporary folder.

Makes ``--readers`` readers' wrapped data keys (as the profile service makes them: a context secret each, the key
wrapped under the current KEK), then times :func:`~consortium.adapters.key_rotation.rotate_readers_keys` (every
key moved, one transaction each) and :func:`~consortium.adapters.key_rotation.retire_unused_keks` (every key read
again, none to move). The reference, timed in the same process: making those wrapped keys in the first place
(``generate_data_key``: each reader's context secret written and synced, its key wrapped), so the printed ratio
puts a rotation against what the hub already spent on its readers' keys; a rotation only reads the secrets.

Usage: ``PYTHONPATH=$PWD python bench/key_rotation.py [--readers 20000]``. The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from consortium.adapters.key_rotation import retire_unused_keks, rotate_readers_keys
from consortium.adapters.local import LocalKeyFileService
from consortium.adapters.local.sqlite_profiles import SqliteProfileStore
from consortium.profiles.crypto import reader_context


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=20_000, help="readers with a wrapped data key")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        keys = LocalKeyFileService(Path(folder) / "keys" / "kek.json")
        store = SqliteProfileStore.open(Path(folder) / "profiles.sqlite3")
        started = time.perf_counter()
        wrapped = [keys.generate_data_key(reader_context(f"r{n}"))[1] for n in range(args.readers)]
        reference = time.perf_counter() - started
        with store.transaction():
            for n, key in enumerate(wrapped):
                store.put_key(f"r{n}", key)
        started = time.perf_counter()
        rotated = rotate_readers_keys(keys, store)
        rotating = time.perf_counter() - started
        started = time.perf_counter()
        retired = retire_unused_keks(keys, store)
        retiring = time.perf_counter() - started
        store.close()
    assert rotated.moved == args.readers and retired.moved == 0 and len(retired.retired) == 1
    result = {
        "readers": args.readers,
        "reference_s": round(reference, 3),
        "rotate_s": round(rotating, 3),
        "retire_s": round(retiring, 3),
        "rotate_per_reader_us": round(rotating / args.readers * 1e6, 1),
        "rotate_vs_reference": round(rotating / reference, 2),
    }
    print(f"{args.readers:,} readers: keys made in {reference:.2f} s (the reference); rotate {rotating:.2f} s "
          f"({result['rotate_per_reader_us']} µs a reader, {result['rotate_vs_reference']}× the reference); "
          f"retire {retiring:.2f} s")  # fmt: skip
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
