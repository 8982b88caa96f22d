"""Command-line tools: `flask --app wsgi <command>`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from nlp import build_idf
from webapp.engines import engines
from webapp.models import DEFAULT_LEVEL, KIND_LABELS, LEVELS
from webapp.services import artifacts, backup, demo, editing, indexing, ingest, items, kind_learning, users
from webapp.services.errors import DomainError
from webapp.services.files import ACCEPTED_SUFFIXES
from webapp.timeutil import local_today

IMPORT_BATCH = 100


def _fail(exc: DomainError) -> None:
    raise click.ClickException(exc.message)


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["reporter", "editor", "leader", "admin"]))
@click.option("--unit", "unit_code", help="报送单位编码（信息员必填）")
@click.option("--name", "display_name", default="", help="显示名")
@click.option(
    "--clearance", type=click.Choice(LEVELS), default=None, help=f"密级权限（默认 {DEFAULT_LEVEL}）"
)
def create_user_command(
    username: str, role: str, unit_code: str | None, display_name: str, clearance: str | None
) -> None:
    """Create a user; the password is read from standard input."""
    if role == "reporter" and not unit_code:  # the service's message is the web form's; name the flag here
        raise click.UsageError("信息员必须属于一个报送单位（--unit）")
    if sys.stdin.isatty():
        password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        users.create_user(username, password, role, unit_code, display_name=display_name, clearance=clearance)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"已创建用户 {username}（{role}）")


@click.command("api-token")
@click.argument("username")
@click.option("--name", default="", help="令牌名称（用途）")
@click.option("--expires-days", type=click.IntRange(min=1), default=None, help="有效天数（默认长期有效）")
def api_token_command(username: str, name: str, expires_days: int | None) -> None:
    """Print a new API token for a user (only its hash is stored)."""
    try:
        click.echo(users.issue_api_token(username, name, expires_days))
    except DomainError as exc:
        _fail(exc)


def _files(paths: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in ACCEPTED_SUFFIXES))
        elif path.is_file():
            found.append(path)
        else:
            raise click.ClickException(f"找不到文件或目录：{raw}")
    return found


@click.command("import")
@click.argument("paths", nargs=-1, required=True)
@click.option("--unit", "unit_code", required=True, help="这些信息的报送单位编码")
@click.option("--level", default="内部", help="密级（默认 内部）")
@click.option("--batch", "batch_size", default=IMPORT_BATCH, show_default=True, help="每批提交并索引的条数")
def import_command(paths: tuple[str, ...], unit_code: str, level: str, batch_size: int) -> None:
    """Import .docx/.txt/.html/.md files or folders of them as submitted items.

    Resumable: every `--batch` items are committed and indexed together, and a file whose content
    (unit, normalised title and text) is already stored is skipped, so a rerun after an interruption
    stores each file once.
    """
    files = _files(paths)
    items.backfill_content_hashes()  # archives from before content hashes: once, then a no-op
    indexing.repair_difference()  # an interrupted run may have committed items it did not index
    with click.progressbar(length=len(files), label="导入信息", show_pos=True) as bar:
        report = ingest.run_import(files, unit_code, level, local_today(), batch_size, bar.update)
    imported, skipped, failed = report.imported, report.skipped, report.failed or []
    skipped_note = f"跳过 {skipped} 条已导入，" if skipped else ""
    click.echo(f"已导入 {imported} 条，{skipped_note}失败 {len(failed)} 条")
    for line in failed:
        click.echo(f"  {line}", err=True)
    if failed and not imported and not skipped:
        raise SystemExit(1)


@click.command("items-hash")
def items_hash_command() -> None:
    """Give items stored before content hashes their hash (`import` also does this first)."""
    click.echo(f"已为 {items.backfill_content_hashes()} 条信息补算内容指纹")


@click.command("reindex")
@click.option(
    "--backend",
    type=click.Choice(["whoosh", "tantivy", "postgres"]),
    help="重建指定引擎的索引（默认：当前配置的引擎），可在切换 XINXI_SEARCH_BACKEND 之前预先建好",
)
def reindex_command(backend: str | None) -> None:
    """Rebuild the search index from the database."""
    target = None
    if backend:
        from webapp import build_search

        target = build_search(current_app, engines().segmenter, backend)
    total = indexing.item_count()
    with click.progressbar(length=total, label="重建索引", show_pos=True) as bar:
        count = indexing.reindex_all(progress=bar.update, backend=target)
    click.echo(f"已索引 {count} 条信息")


@click.command("index-check")
@click.option("--fix", is_flag=True, help="补建缺失、更新过期、删除多余的索引条目")
def index_check_command(fix: bool) -> None:
    """Compare the search index with the database (missing or stale items)."""
    total = indexing.item_count()
    with click.progressbar(length=total, label="检查索引", show_pos=True) as bar:
        report = indexing.check_index(fix=fix, progress=bar.update)
    click.echo(f"缺失 {len(report.missing)} 条，过期 {len(report.stale)} 条，多余 {len(report.extra)} 条")
    if report.clean:
        click.echo("索引与数据库一致")
    elif fix:
        click.echo("已修复")
    else:
        raise SystemExit(1)


@click.command("retag")
def retag_command() -> None:
    """Re-tag every item with the current topic word lists (editor corrections are kept)."""
    total = indexing.item_count()
    with click.progressbar(length=total, label="重新标注", show_pos=True) as bar:
        result = editing.retag_all(progress=bar.update)
    click.echo(
        f"已重新标注 {result.items} 条信息：类型变化 {result.kinds_changed} 条，"
        f"主题变化 {result.topics_changed} 条（编辑校正过的标注保持不变）"
    )


@click.command("refresh-idf")
def refresh_idf_command() -> None:
    """Recompute the keyword IDF table from the archive and store it for every host (new items
    use it within seconds, without a restart)."""
    total = indexing.item_count()
    with click.progressbar(length=total, label="统计词频", show_pos=True) as bar:
        idf = build_idf(indexing.archive_tokens(progress=bar.update))
    version = artifacts.save(artifacts.IDF, idf, "refresh-idf")
    artifacts.refresh_if_stale(force=True)
    click.echo(
        f"已根据 {total} 条信息生成关键词 IDF 表（{len(idf)} 个词，第 {version} 版），"
        "各服务进程数秒内对新信息生效"
    )


@click.command("train-kind")
def train_kind_command() -> None:
    """Refine the kind model with the editors' kind corrections (then `retag` applies it to the archive)."""
    try:
        result = kind_learning.train_from_corrections()
    except DomainError as exc:
        _fail(exc)
    counts = "，".join(f"{KIND_LABELS[label]} {n}" for label, n in result.per_label.items())
    click.echo(f"已用 {result.corrections} 条编辑校正训练类型模型（{counts}），第 {result.version} 版")
    click.echo(
        f"留出 {result.held_back} 条检验：原模型准确率 {result.accuracy_before:.1%}，"
        f"新模型 {result.accuracy_after:.1%}（新模型未见过这些信息）"
    )
    click.echo("各服务进程数秒内对新提交的信息使用新模型；已有信息请运行 flask --app wsgi retag")


@click.command("seed-demo")
@click.option("--corpus", type=click.Path(path_type=Path), help="公开语料目录（默认 ../shared/corpus）")
def seed_demo_command(corpus: Path | None) -> None:
    """Load the demo office (units, users, topics, publications, items) once."""
    corpus = corpus or (
        Path(current_app.config["XINXI_CORPUS_DIR"]) if current_app.config["XINXI_CORPUS_DIR"] else None
    )
    with click.progressbar(length=demo.TARGET_ITEMS, label="生成演示数据", show_pos=True) as bar:
        created = demo.seed_demo(corpus, progress=bar.update)
    if created == 0:
        click.echo("数据库中已有数据，跳过演示数据")
        return
    click.echo(f"已生成 {created} 条演示信息。演示账号（密码均为 {demo.DEMO_PASSWORD}）：")
    for username, role, unit in demo.seeded_users():
        click.echo(f"  {username:<14} {role:<9} {unit or ''}")


@click.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
def backup_command(dest: Path) -> None:
    """Copy the database and the instance files into DEST (a new folder, or a file ending .tar.gz)."""
    try:
        manifest = backup.create_backup(dest, progress=lambda step: click.echo(f"备份{step}……"))
    except DomainError as exc:
        _fail(exc)
    figures = "，".join(f"{name} {n}" for name, n in manifest.counts.items())
    click.echo(f"已备份到 {dest}（{manifest.database}，{figures}；用时 {manifest.seconds} 秒）")


@click.command("restore")
@click.argument("src", type=click.Path(path_type=Path, exists=True))
@click.option("--force", is_flag=True, help="目标数据库已有数据时仍然覆盖")
def restore_command(src: Path, force: bool) -> None:
    """Restore a backup into this instance's (empty) database and rebuild the search index."""
    try:
        result = backup.restore_backup(src, force=force, progress=lambda step: click.echo(f"恢复{step}……"))
    except DomainError as exc:
        _fail(exc)
    figures = "，".join(f"{name} {n}" for name, n in result.counts.items())
    click.echo(f"已从 {src} 恢复（{figures}；索引 {result.indexed} 条；用时 {result.seconds} 秒）")
    if result.counts != result.manifest.counts:
        click.echo(f"注意：备份清单中的条数为 {result.manifest.counts}", err=True)


@click.command("import-archive")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_archive_command(manifest: Path) -> None:
    """Import an archive with its history from a manifest (CSV or JSON: file, unit, date, level,
    status, publication, issue): items keep their dates and decisions, issues arrive published."""
    from webapp.services import archive_import

    try:
        rows = archive_import.read_manifest(manifest)
    except DomainError as exc:
        _fail(exc)
    with click.progressbar(length=len(rows), label="导入历史信息", show_pos=True) as bar:
        report = archive_import.import_archive(rows, progress=bar.update)
    click.echo(
        f"已导入 {report.imported} 条（新建已印发期次 {report.issues} 期），跳过 {report.skipped} 条已导入，"
        f"失败 {len(report.failed)} 条"
    )
    for line in report.failed:
        click.echo(f"  {line}", err=True)


def register(app: Flask) -> None:
    """Add the commands to `flask`."""
    for command in (
        create_user_command,
        api_token_command,
        import_command,
        items_hash_command,
        reindex_command,
        index_check_command,
        retag_command,
        refresh_idf_command,
        train_kind_command,
        seed_demo_command,
        backup_command,
        restore_command,
        import_archive_command,
    ):
        app.cli.add_command(command)
