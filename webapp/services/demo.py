"""Demo data: a credible city information office, composed from public government texts."""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from nlp import load_default_topics
from nlp.normalize import to_traditional
from webapp.extensions import db
from webapp.models import Item, Publication, Topic, Unit, UnitCategory, User
from webapp.services import bulletins, editing, indexing, items, requests, scoring, timeliness, upward
from webapp.services.units import office_unit
from webapp.services.users import create_user
from webapp.timeutil import SHANGHAI, local_today, to_local

DEMO_PASSWORD = "xinxi@2026demo"
SAMPLE_FILE = Path(__file__).resolve().parent.parent / "demo_sample.json"
DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
TARGET_ITEMS = 160

CATEGORIES = [("xq", "县区", 1), ("szbm", "市直部门", 2), ("zddw", "驻市单位", 3)]
# (code, name, category, direct-reporting point)
UNITS = [
    ("cq", "城区人民政府办公室", "xq", False),
    ("kq", "矿区人民政府办公室", "xq", False),
    ("jq", "郊区人民政府办公室", "xq", True),
    ("pdx", "平定县人民政府办公室", "xq", True),
    ("yx", "盂县人民政府办公室", "xq", True),
    ("gxq", "高新区管委会办公室", "xq", False),
    ("fgw", "市发展和改革委员会", "szbm", True),
    ("gxj", "市工业和信息化局", "szbm", False),
    ("czj", "市财政局", "szbm", False),
    ("nyj", "市农业农村局", "szbm", True),
    ("zjj", "市住房和城乡建设局", "szbm", False),
    ("sthj", "市生态环境局", "szbm", False),
    ("jyj", "市教育局", "szbm", False),
    ("wjw", "市卫生健康委员会", "szbm", False),
    ("yjj", "市应急管理局", "szbm", True),
    ("swj", "市商务局", "szbm", False),
    ("wlj", "市文化和旅游局", "szbm", False),
    ("sw", "国家税务总局市税务局", "zddw", False),
    ("rhz", "人民银行市分行", "zddw", False),
    ("dl", "国网市供电公司", "zddw", False),
]
USERS = [
    ("admin", "系统管理员", "admin", None),
    ("editor", "王编辑", "editor", None),
    ("editor2", "李编辑", "editor", None),
    ("leader", "张秘书长", "leader", None),
    ("reporter", "盂县信息员", "reporter", "yx"),
    ("reporter_nyj", "农业农村局信息员", "reporter", "nyj"),
    ("reporter_fgw", "发改委信息员", "reporter", "fgw"),
    ("reporter_sthj", "生态环境局信息员", "reporter", "sthj"),
]
PUBLICATIONS = [
    (
        "mrkb",
        "每日快报",
        "市委办公室信息科",
        "省委办公厅信息处",
        "市委、市政府领导同志",
        "各县（区）委办公室",
    ),
    ("yqxx", "阳泉信息", "市政府办公室信息科", "省政府办公厅", "市政府领导同志", "市直各部门"),
]
HEADING = re.compile(r"^[（(][一二三四五六七八九十]+[）)]|^[一二三四五六七八九十]+、|^\d+[.．、]")
PROBLEM_OPENINGS = ("清醒看到", "清醒认识到", "存在一些问题", "困难和问题", "问题和不足", "短板弱项")


@dataclass
class DemoText:
    """A title and a text to submit as a demo item."""

    title: str
    text: str


def _sentences_title(paragraph: str) -> DemoText | None:
    """Use a paragraph's heading sentence as the title and the rest as the body."""
    body = HEADING.sub("", paragraph.strip()).strip().lstrip("—-－·• ")
    head, sep, rest = body.partition("。")
    if not sep or not 6 <= len(head) <= 40 or len(rest) < 80:
        return None
    return DemoText(head, rest.strip())


def _provincial(corpus: Path) -> Iterator[DemoText]:
    csv.field_size_limit(1 << 30)
    for path in sorted((corpus / "gov-work-reports-provincial-2026").glob("2026_*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                for paragraph in row["full_text"].split("\n"):
                    if 120 <= len(paragraph) <= 900 and (text := _sentences_title(paragraph)):
                        yield text


def _problems(corpus: Path) -> Iterator[DemoText]:
    path = corpus / "gov-work-reports-problem-vs-achievement" / "review_paragraphs_silver.jsonl"
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["label"] == "problem" and len(row["text"]) <= 1200:
                yield DemoText(_problem_title(row["text"]), row["text"])


PROBLEM_WORDS = (
    "不足",
    "压力",
    "困难",
    "突出",
    "偏弱",
    "不强",
    "较多",
    "乏力",
    "偏紧",
    "不牢固",
    "不稳固",
    "薄弱",
    "矛盾",
    "下行",
    "堵点",
    "滞后",
)


def _problem_title(text: str) -> str:
    """A title as an office writes one for a problem item: the first problem named, 值得关注."""
    body = text.split("。", 1)[1] if "。" in text[:80] else text  # skip the 清醒看到… opening
    for clause in re.split(r"[。；;，,：:]", body):
        clause = clause.strip()
        if 6 <= len(clause) <= 22 and any(word in clause for word in PROBLEM_WORDS):
            return f"{clause}值得关注" if "问题" in clause else f"{clause}等问题值得关注"
    return "当前经济社会发展中值得关注的几个问题"


def _news(corpus: Path) -> Iterator[DemoText]:
    path = corpus / "xinwenlianbo-2022-2026" / "xwlb_items.jsonl.gz"
    if not path.exists():
        return
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            title = re.sub(r"^【[^】]*】", "", row["title"]).strip()
            if 200 <= len(row["text"]) <= 1500 and 6 <= len(title) <= 40:
                yield DemoText(title, row["text"])


def demo_texts(corpus: Path | None, rng: random.Random) -> list[DemoText]:
    """About TARGET_ITEMS texts from the corpus (a mix of reports, problem paragraphs and news)."""
    if corpus is None or not corpus.is_dir():
        with SAMPLE_FILE.open(encoding="utf-8") as fh:
            return [DemoText(**row) for row in json.load(fh)]
    pools = [list(_provincial(corpus)), list(_problems(corpus)), list(_news(corpus))]
    wanted = [TARGET_ITEMS * 55 // 100, TARGET_ITEMS * 20 // 100, TARGET_ITEMS * 25 // 100]
    chosen: list[DemoText] = []
    for pool, count in zip(pools, wanted, strict=True):
        chosen.extend(rng.sample(pool, min(count, len(pool))))
    if not chosen:
        return demo_texts(None, rng)
    rng.shuffle(chosen)
    return chosen


def seed_structure() -> None:
    """Create the demo categories, units, topics, publications and users."""
    categories = {}
    for code, name, order in CATEGORIES:
        categories[code] = UnitCategory(code=code, name=name, sort_order=order)
        db.session.add(categories[code])
    for code, name, category, direct in UNITS:
        db.session.add(Unit(code=code, name=name, category=categories[category], direct_reporting=direct))
    office_unit()
    for order, (name, words) in enumerate(load_default_topics().items()):
        db.session.add(Topic(name=name, words=words, sort_order=order))
    for code, name, office, up, peers, down in PUBLICATIONS:
        db.session.add(
            Publication(
                code=code,
                name=name,
                issuing_office=office,
                distribution_upward=up,
                distribution_peers=peers,
                distribution_downward=down,
            )
        )
    db.session.commit()
    for username, display, role, unit in USERS:
        # The demo office handles 秘密 items (see _submit_and_review); its reporters keep the default.
        clearance = None if role == "reporter" else "秘密"
        create_user(username, DEMO_PASSWORD, role, unit, display_name=display, clearance=clearance)


def _submit_and_review(
    texts: list[DemoText], editor: User | None, rng: random.Random, progress: Callable[[int], None] | None
) -> list[Item]:
    """Submit each text as some unit, backdate it, and let the editor decide on most; return the adopted."""
    units = [u for u, *_ in UNITS]
    today = local_today()
    adopted: list[Item] = []
    for n, demo in enumerate(texts):
        event = today - timedelta(days=rng.randint(0, 330))
        title, text = demo.title, demo.text
        if n % 12 == 5:  # some units still write in traditional script
            title, text = to_traditional(title), to_traditional(text)
        result = items.submit_item(
            None,
            items.ItemInput(
                title=title,
                text=text,
                unit_code=rng.choice(units),
                event_date=event,
                level=rng.choices(["公开", "内部", "秘密"], weights=[3, 6, 1])[0],
                author=rng.choice(["王伟", "李静", "张磊", "刘洋", "陈晨", "赵敏"]),
            ),
        )
        item = result.item
        item.submitted_at = datetime.combine(event, time(rng.randint(8, 18), rng.randint(0, 59)), SHANGHAI)
        roll = rng.random()
        if event < today - timedelta(days=2) and roll < 0.7:
            if roll < 0.4:
                items.review_item(editor, item.id, "adopt", rng.choice(PUBLICATIONS)[0])
                adopted.append(item)
            elif roll < 0.6:
                items.review_item(editor, item.id, "reject", reason="内容与近期已编发信息重复，价值不高")
            else:
                items.review_item(editor, item.id, "return", reason="请补充具体数据和典型事例后重新报送")
        db.session.commit()
        if progress:
            progress(1)
    return adopted


def _office_life(editor: User | None, adopted: list[Item], rng: random.Random) -> None:
    """Upward adoptions, leaders' instructions, requests (answered, late, unanswered), an emergency
    reported late and a missed report, so the dashboard and rankings have something to show."""
    today = local_today()
    for item in adopted[: max(1, len(adopted) // 3)]:
        sent = max(to_local(item.submitted_at).date(), min(today, item.event_date + timedelta(days=1)))
        upward.record_upward(editor, item.id, "province", "sent", sent)
        if rng.random() < 0.5:
            day = min(today, sent + timedelta(days=rng.randint(1, 7)))
            outlet = rng.choice(["province", "province", "central", "zryq"])
            upward.record_upward(editor, item.id, outlet, "adopted", day)
    for item in adopted[: max(1, len(adopted) // 10)]:
        day = min(today, item.event_date + timedelta(days=rng.randint(1, 5)))
        editing.record_instruction(
            editor,
            item.id,
            rng.choice(["王书记", "张市长", "李副市长"]),
            "municipal",
            day,
            "请有关部门认真研究，抓好落实。",
        )
    past = requests.create_request(
        editor,
        "秋粮收购和农民增收情况",
        "请报送本地秋粮收购进度、价格和存在的问题。",
        today + timedelta(days=1),
        category_codes=["xq"],
    )
    answers = {
        "yx": "截至目前，我县已收购玉米2.3万吨、谷子0.4万吨，收购价格同比基本持平。"
        "部分农户看涨惜售，村级烘干设施不足，雨后玉米霉变风险上升。",
        "pdx": "全县秋粮收购已完成计划的六成，新增烘干塔3座。"
        "但收购网点偏少，山区农户售粮运距较长，部分小农户反映结算周期偏长。",
        "cq": "城区涉农街道秋粮产量不大，已全部进入市场流通。"
        "个别收购商压级压价，已会同市场监管部门开展专项检查。",
    }
    for unit, text in answers.items():
        answer = items.submit_item(
            None,
            items.ItemInput(
                f"{unit_name(unit).removesuffix('人民政府办公室')}秋粮收购进展情况",
                text,
                unit_code=unit,
                request_id=past.id,
            ),
        ).item
        answer.submitted_at = datetime.combine(
            today - timedelta(days=12 if unit != "cq" else 6), time(10), SHANGHAI
        )
    past.deadline = today - timedelta(days=8)
    requests.create_request(
        editor,
        "今冬明春安全生产隐患排查",
        "请报送隐患排查整治进展和典型问题。",
        today + timedelta(days=10),
        category_codes=["szbm"],
    )
    late = items.submit_item(
        None,
        items.ItemInput(
            "某镇一化工企业发生火情",
            "11月某日上午8时许，某镇一化工企业仓库发生火情，未造成人员伤亡，火情已扑灭。事故原因正在调查中。",
            unit_code="jq",
            genre="emergency",
            event_time=datetime.combine(today - timedelta(days=3), time(8), SHANGHAI),
        ),
    ).item
    late.submitted_at = datetime.combine(today - timedelta(days=3), time(13, 20), SHANGHAI)
    db.session.commit()
    timeliness.record_missed(
        editor, "kq", today - timedelta(days=20), "某村发生一起道路交通事故，造成2人受伤，未按规定报送"
    )
    scoring.rescore_all()


def unit_name(code: str) -> str:
    """A demo unit's name by code."""
    return next(name for c, name, *_ in UNITS if c == code)


def seed_demo(corpus: Path | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Load the demo office once; return how many items were created (0 when data already exists)."""
    if db.session.scalar(db.select(db.func.count(Unit.id))):
        return 0
    rng = random.Random(20261123)
    seed_structure()
    editor = db.session.scalar(db.select(User).where(User.username == "editor"))
    texts = demo_texts(corpus if corpus is not None else DEFAULT_CORPUS, rng)
    with indexing.batched():
        adopted = _submit_and_review(texts, editor, rng, progress)
    _office_life(editor, adopted, rng)
    for code, *_ in PUBLICATIONS:
        picked = [i.id for i in adopted if i.adoptions[0].publication.code == code]
        for start in range(0, min(len(picked), 12), 4):
            entries = [bulletins.EntryInput(item_id) for item_id in picked[start : start + 4]]
            issue = bulletins.create_issue(editor, code, entries)
            bulletins.publish_issue(editor, issue.id)
    return len(texts)


def seeded_users() -> list[tuple[str, str, str | None]]:
    """(username, role, unit code) of the demo logins, for the README and the CLI."""
    return [(u, role, unit) for u, _, role, unit in USERS]
