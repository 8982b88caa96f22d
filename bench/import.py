"""Bulk import end to end: `flask --app wsgi import` of real texts written as files, on a fresh database,
against raw jieba cutting the same texts in the same run.

    .venv/bin/python bench/import.py [--docs 2000] [--backend whoosh|tantivy|postgres]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench_import] [--corpus ../shared/corpus]

The import does everything a submission does (decode, normalise, tag, duplicate check, store, score,
audit, index). The figure that matters is `ratio_vs_jieba` = jieba seconds ÷ import seconds (targets:
≥ 0.25 with tantivy and PostgreSQL, ≥ 0.1 with Whoosh). With `--backend postgres` the database named
by `--database-url` is dropped and recreated (never point it at a database you keep). The last line
printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jieba

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fresh_db import fresh_postgres
from ingest import DEFAULT_CORPUS, load_texts

ROOT = Path(__file__).resolve().parents[1]
FLASK = Path(sys.executable).with_name("flask")
TIMEOUT = 3600


def _env(work: Path, backend: str, database_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "XINXI_DATABASE_URL": database_url or f"sqlite:///{work / 'xinxi.db'}",
        "XINXI_SEARCH_BACKEND": backend,
        "XINXI_INDEX_DIR": str(work / "index"),
        "XINXI_IDF_FILE": str(work / "idf.json"),
        "XINXI_KIND_MODEL_FILE": str(work / "kind_model.json"),
        "XINXI_SECRET_KEY": "bench-secret",
        "XINXI_JIEBA_CACHE": str(work / "jieba"),
    }
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(FLASK), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if done.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--backend", default="whoosh", choices=("whoosh", "tantivy", "postgres"))
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/bench_import")
    parser.add_argument("--batch", type=int, default=None, help="import batch size (default: the command's)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    texts = load_texts(args.corpus, args.docs)
    chars = sum(len(title) + len(text) for title, text in texts)

    with tempfile.TemporaryDirectory(prefix="xinxi-import-") as tmp:
        work = Path(tmp)
        source = work / "来稿"
        source.mkdir()
        for number, (title, text) in enumerate(texts):
            (source / f"{number:06d}.txt").write_text(f"{title}\n{text}\n", encoding="utf-8")
        database_url = None
        if args.backend == "postgres":
            fresh_postgres(args.database_url)
            database_url = args.database_url
        env = _env(work, args.backend, database_url)
        _run(env, "db", "upgrade")
        seed = "from webapp.services import demo; demo.seed_structure()"
        subprocess.run(
            [sys.executable, "-c", f"from wsgi import app\nwith app.app_context():\n    {seed}"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=TIMEOUT,
        )
        command = ["import", str(source), "--unit", "yx"]
        if args.batch:
            command += ["--batch", str(args.batch)]
        start = time.perf_counter()
        done = _run(env, *command)
        import_seconds = time.perf_counter() - start
        peak_mb = _children_peak_mb()
        summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

        # jieba alone on the same texts, same run (a fresh tokenizer, loaded before timing; the
        # import's start-up pays its own dictionary load, which belongs to the import's cost).
        raw = jieba.Tokenizer()
        raw.initialize()
        start = time.perf_counter()
        for title, text in texts:
            raw.lcut(title)
            raw.lcut(text)
        jieba_seconds = time.perf_counter() - start

    print(f"docs {len(texts)}, chars {chars}, backend {args.backend}: {summary}")
    print(
        f"import {import_seconds:.1f} s ({len(texts) / import_seconds:.1f} items/s), "
        f"jieba {jieba_seconds:.1f} s"
    )
    print(
        json.dumps(
            {
                "docs": len(texts),
                "chars": chars,
                "backend": args.backend,
                "items_per_s": round(len(texts) / import_seconds, 1),
                "jieba_seconds": round(jieba_seconds, 2),
                "import_seconds": round(import_seconds, 2),
                "ratio_vs_jieba": round(jieba_seconds / import_seconds, 3),
                "peak_rss_mb": round(peak_mb),
            }
        )
    )


if __name__ == "__main__":
    main()
