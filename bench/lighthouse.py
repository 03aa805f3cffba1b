"""`make lighthouse`: Lighthouse's four scores for the article page, mobile and desktop, anonymous and
signed in, against a local `tribune serve` (one worker) on a seeded SQLite database.

The article is the 1,000-comment debate `make bench` reads (bench/seed.py); the signed-in reader has
voted on a third of its comments and answered its question. Lighthouse comes from npm
(tests/browser/package.json, `npm ci --prefix tests/browser`) and drives Debian's Chromium
(CHROME_PATH, /usr/bin/chromium by default). Prints the scores, each audit that cost points, and
exits 1 when a score is under LIGHTHOUSE_MIN (95).

Environment: CHROME_PATH, LIGHTHOUSE_MIN (95), LIGHTHOUSE_RUNS (3: the median of that many runs, as
Lighthouse's documentation advises; "bench index" is its measure of this machine's speed at the time,
which on a loaded machine pulls the mobile performance score down).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import RUN, WORK, log, seed_tribune, tribune_server  # noqa: E402

LIGHTHOUSE = ROOT / "tests" / "browser" / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
MINIMUM = int(os.environ.get("LIGHTHOUSE_MIN", "95"))
RUNS = int(os.environ.get("LIGHTHOUSE_RUNS", "3"))
OUT = WORK / "lighthouse"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking"


def lighthouse(url: str, form: str, cookie: str | None, report: Path) -> dict[str, object]:
    cmd = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--max-wait-for-load=60000",
    ]
    if form == "desktop":
        cmd.append("--preset=desktop")
    if cookie:
        cmd.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    for attempt in (1, 2):
        done = subprocess.run(cmd, env={**os.environ, "CHROME_PATH": CHROME}, capture_output=True, text=True)
        if done.returncode == 0:
            break
        # Lighthouse now and then loses the trace of a load (NO_NAVSTART) on a busy machine: once more.
        log(f"lighthouse failed ({done.returncode}), attempt {attempt}: {done.stderr.strip()[-300:]}")
    else:
        raise RuntimeError(f"lighthouse failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, object] = json.loads(report.read_text())
    return result


def lighthouse_version() -> str:
    package = LIGHTHOUSE.resolve().parent.parent / "package.json"
    return str(json.loads(package.read_text())["version"])


def lost_points(result: dict[str, object]) -> list[str]:
    """The weighted audits of each category that did not score full marks."""
    audits = result["audits"]  # type: ignore[index]
    out = []
    for name, category in result["categories"].items():  # type: ignore[attr-defined]
        for ref in category["auditRefs"]:
            audit = audits[ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                value = audit.get("displayValue", "")
                out.append(f"{name}: {ref['id']} {audit['score']:.2f} {value} — {audit['title']}")
    return out


def main() -> int:
    if not LIGHTHOUSE.exists():
        print("Lighthouse is not installed: npm ci --prefix tests/browser", file=sys.stderr)
        return 2
    if not shutil.which(CHROME) and not Path(CHROME).exists():
        print(f"no Chromium at {CHROME} (apt-get install chromium, or set CHROME_PATH)", file=sys.stderr)
        return 2
    shutil.rmtree(RUN, ignore_errors=True)
    (RUN / "instance").mkdir(parents=True)
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    data = seed_tribune(f"sqlite:///{RUN / 'tribune.db'}", sizes=(1000,), reader_votes=True)
    rows: list[tuple[str, str, dict[str, float], float]] = []
    failures: list[str] = []
    with tribune_server(data) as tribune:
        url = f"{tribune.server.base}/articles/{data.debates[1000].slug}"
        for form in ("mobile", "desktop"):
            for who, cookie in (("anonymous", None), ("signed in", data.creds[0].cookie)):
                runs: dict[str, list[float]] = {c: [] for c in CATEGORIES}
                speed: list[float] = []
                for n in range(RUNS):
                    report = OUT / f"{form}-{who.replace(' ', '-')}-{n + 1}.json"
                    log(f"lighthouse {form}, {who} (run {n + 1} of {RUNS})")
                    result = lighthouse(url, form, cookie, report)
                    for c in CATEGORIES:
                        runs[c].append(100 * result["categories"][c]["score"])  # type: ignore[index]
                    speed.append(result["environment"]["benchmarkIndex"])  # type: ignore[index]
                    failures += [f"{form}, {who}: {line}" for line in lost_points(result)]
                medians = {c: statistics.median(v) for c, v in runs.items()}
                rows.append((form, who, medians, statistics.median(speed)))

    print()
    print(f"Lighthouse {lighthouse_version()} on {url.split('/articles/')[0]}/articles/…"
          f" (1,000-comment debate), median of {RUNS}; reports in {OUT}")  # fmt: skip
    print()
    header = (
        f"| {'form':<8} | {'who':<10} | "
        + " | ".join(f"{c:>14}" for c in CATEGORIES)
        + f" | {'bench index':>11} |"
    )
    print(header)
    print("|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|")
    low = False
    for form, who, scores, index in rows:
        cells = " | ".join(f"{scores[c]:>14.0f}" for c in CATEGORIES)
        print(f"| {form:<8} | {who:<10} | {cells} | {index:>11.0f} |")
        low = low or any(scores[c] < MINIMUM for c in CATEGORIES)
    if failures:
        print("\nAudits that cost points:")
        for line in sorted(set(failures)):
            print("  " + line)
    print(f"\nEvery score ≥ {MINIMUM}: {'MISSED' if low else 'OK'}")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
