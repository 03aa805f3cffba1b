"""Seed the peer's database with the same debate. Runs with the peer's own interpreter
(bench/.work/isso-venv), never imported by Tribune: `python isso_seed.py CONFIG PLAN.json`."""

from __future__ import annotations

import json
import sys


def main() -> None:
    from isso import config
    from isso.db import SQLite3
    from isso.utils import Bloomfilter

    conf = config.load(config.default_file(), sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        plan = json.load(f)
    db = SQLite3(conf.get("general", "dbpath"), conf)  # builds the peer's own schema
    db.execute("INSERT INTO threads (uri, title) VALUES (?, ?)", (plan["uri"], plan["title"]))
    tid = db.execute("SELECT id FROM threads WHERE uri = ?", (plan["uri"],)).fetchone()[0]
    rows = []
    for c in plan["comments"]:
        voters = Bloomfilter(
            iterable=[f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}" for i in c["voters"]]
        )
        rows.append(
            (
                tid,
                c["id"],
                c["parent"],  # the peer keeps one level of nesting: replies point at their top-level comment
                c["created"],
                None,
                1,
                "192.0.2.1",
                c["text"],
                c["author"],
                None,
                None,
                c["likes"],
                c["dislikes"],
                memoryview(bytes(voters.array)),
                0,
            )
        )
    import sqlite3

    with sqlite3.connect(db.path) as conn:  # one transaction
        conn.executemany(
            "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text, author,"
            " email,"
            " website, likes, dislikes, voters, notification) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    print(len(rows))


if __name__ == "__main__":
    main()
