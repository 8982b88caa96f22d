"""Demo data: a credible city information office, composed from public government texts."""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from nlp import load_default_topics
from nlp.normalize import to_traditional
from webapp.extensions import db
from webapp.models import (
    REQUEST_VERDICTS,
    Adoption,
    AuditEvent,
    Item,
    Publication,
    Topic,
    Unit,
    UnitCategory,
    User,
)
from webapp.services import (
    bulletins,
    editing,
    indexing,
    items,
    requests,
    scoring,
    timeliness,
    upward,
    writers,
)
from webapp.services.units import office_unit
from webapp.services.users import create_user
from webapp.timeutil import SHANGHAI, local_today, to_local

DEMO_PASSWORD = "xinxi@2026demo"
SAMPLE_FILE = Path(__file__).resolve().parent.parent / "demo_sample.json"
DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
TARGET_ITEMS = 1500
# Texts written to report problems; with those the tagger finds among the others, about a fifth of the
# items are problems, as offices aim.
PROBLEM_SHARE = 0.1
ADOPTION_SHARE = 0.2  # of the items decided on
DEMO_BATCH = 100  # items per transaction and index commit while seeding
QUIET_DIRECT_POINT = "pdx"
DIRECT_POINTS = frozenset({"jq", "pdx", "yx", "fgw", "nyj", "yjj"})
TARGET_BASELINE = {"xq": 28, "szbm": 12, "zddw": 8}  # adopted items per unit a year, this first year
NATIONAL_RANKS = (8, 4, 6, 4, 12, 9)  # the last six months, latest first
MERGE_THEMES = (
    "秋粮收购",
    "安全生产",
    "民生实事",
    "项目建设",
    "生态环境治理",
    "基层治理",
    "营商环境",
    "乡村振兴",
)  # a direct-reporting point with nothing taken upward for five months
UNIT_WEIGHTS = {"xq": 6, "szbm": 3, "zddw": 1}  # counties write most
WRITERS = [("王伟", True), ("李静", False)]
REQUEST_TOPICS = [
    ("秋粮收购和农民增收", "请报送秋粮收购进度、价格和存在的问题。"),
    ("今冬明春安全生产隐患排查", "请报送隐患排查整治进展和典型问题。"),
    ("冬季清洁取暖保障", "请报送清洁取暖改造和燃气保供情况。"),
    ("民营企业发展环境", "请报送企业反映的突出困难和解决情况。"),
    ("基层减负", "请报送为基层减负的做法和仍存在的问题。"),
    ("防汛备汛", "请报送隐患排查和物资储备情况。"),
    ("农村人居环境整治", "请报送进展、做法和难点。"),
    ("稳就业", "请报送高校毕业生和农民工就业情况。"),
]
ANSWER_BODIES = [
    "截至目前，已完成年度任务的七成，主要做法是压实责任、强化督导。但部分乡镇进度偏慢，资金到位不及时，群众反映较多。",
    "我们成立专班，逐村逐企排查，建立问题清单，已整改问题126个。下一步将加强跟踪问效。",
    "总体平稳有序。存在的主要问题是专业力量不足、基层人员流动性大，建议加强培训和保障。",
    "这项工作十分重要，我们高度重视，将认真贯彻落实上级部署要求，确保取得实效。",
]
EMERGENCIES = [
    (
        "某镇发生一起道路交通事故",
        "今日上午8时许，某镇境内发生一起两车相撞交通事故，造成3人受伤，伤者已送医救治，事故原因正在调查。",
        "general",
    ),
    (
        "一企业仓库发生火情",
        "今日上午8时许，某企业仓库发生火情，未造成人员伤亡，火情已扑灭，事故原因正在调查中。",
        "general",
    ),
    (
        "突降暴雨致部分村庄受灾",
        "今日凌晨突降暴雨，部分村庄道路和农田受损，已转移群众46人，无人员伤亡。",
        "large",
    ),
    ("一煤矿发生透水事故", "今日上午8时许，某煤矿井下发生透水，2名矿工被困，救援工作正在全力进行。", "major"),
]
MISSED = [
    ("missed", "某村发生一起道路交通事故，造成2人受伤，报告内容不全"),
    ("unreported", "某企业发生一起火情，从其他渠道获悉，始终未报"),
    ("missed", "一处山体滑坡阻断乡道，迟迟未报送进展"),
]

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
# Openings a work report uses to enumerate ("一是", "首先") that an information title never starts with.
ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+是|首先|其次|再次|最后|同时|此外|另外|特别是)[，,、：:]?")
# How each kind of unit names its own area in an item ("我县", "全区", "全市").
AREA_WORDS = {"县": ("我县", "全县", "县委", "县政府"), "区": ("我区", "全区", "区委", "区政府")}
CITY_WORDS = ("我市", "全市", "市委", "市政府")
COASTAL_WORDS = (
    "海洋",
    "海岛",
    "港口",
    "沿海",
    "边境",
    "口岸",
    "海上",
    "自贸",
    "首都",
    "京津冀",
    "大湾区",
    "长三角",
)


@dataclass(frozen=True)
class DemoUnit:
    """What the seeding needs of a unit (plain data: the session is cleared between batches)."""

    code: str
    name: str
    category: str

    @classmethod
    def of(cls, unit: Unit) -> DemoUnit:
        return cls(unit.code, unit.name, unit.category.code)


@dataclass
class DemoText:
    """A title and a text to submit as a demo item (`problem`: written to report a problem)."""

    title: str
    text: str
    problem: bool = False


def _sentences_title(paragraph: str) -> DemoText | None:
    """Use a paragraph's heading sentence as the title and the rest as the body."""
    body = HEADING.sub("", paragraph.strip()).strip().lstrip("—-－·• ")
    head, sep, rest = body.partition("。")
    head = ORDINAL.sub("", head).strip("，,；; ")
    if not sep or not 6 <= len(head) <= 30 or len(rest) < 80 or "年" in head[:6]:
        return None
    if any(word in head for word in ("代表", "同志", "各位", "！", "？", "!", "?")):  # speech, not news
        return None
    if any(word in head + rest[:60] for word in COASTAL_WORDS):  # the demo city is inland
        return None
    return DemoText(head, rest.strip())


def _provincial(corpus: Path) -> Iterator[DemoText]:
    csv.field_size_limit(1 << 30)
    for path in sorted((corpus / "gov-work-reports-provincial-2026").glob("2026_*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                for paragraph in row["full_text"].split("\n"):
                    if 100 <= len(paragraph) <= 1000 and (text := _sentences_title(paragraph)):
                        yield text


def _problems(corpus: Path) -> Iterator[DemoText]:
    path = corpus / "gov-work-reports-problem-vs-achievement" / "review_paragraphs_silver.jsonl"
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["label"] == "problem" and 80 <= len(row["text"]) <= 1200:
                yield DemoText(_problem_title(row["text"]), row["text"], problem=True)


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
        clause = ORDINAL.sub("", clause.strip())
        if 6 <= len(clause) <= 22 and any(word in clause for word in PROBLEM_WORDS):
            return f"{clause}值得关注" if "问题" in clause else f"{clause}等问题值得关注"
    return "当前工作中值得关注的几个问题"


# Problems as units report them, for the share the public reports cannot fill: (title, text) patterns
# with a place, a field and a figure drawn for each item.
PROBLEM_PATTERNS = [
    (
        "{place}{field}项目推进缓慢问题值得关注",
        "今年以来，{place}共谋划{field}项目{n}个，截至目前仅开工{m}个。主要原因是资金到位不及时、"
        "用地手续办理周期长，部分项目前期工作不扎实。群众对此反映较多，亟待协调解决。",
    ),
    (
        "{place}部分{field}企业生产经营困难加剧",
        "近期调研发现，{place}{n}家{field}企业中有{m}家订单下滑、资金周转紧张，个别企业拖欠职工工资。"
        "企业反映融资难、融资贵问题突出，用工成本持续上升，需引起重视。",
    ),
    (
        "{place}{field}领域安全隐患不容忽视",
        "在今冬明春安全生产大检查中，{place}排查{field}领域隐患{n}处，其中重大隐患{m}处。"
        "部分经营主体安全责任落实不到位，基层监管力量薄弱，隐患整改存在反弹风险。",
    ),
    (
        "群众反映{place}{field}服务不到位",
        "近期，{place}12345热线受理{field}方面投诉{n}件，同比增长{m}%。群众反映办事来回跑、"
        "答复不及时、推诿扯皮等问题，部分诉求长期得不到解决，群众满意度下降。",
    ),
    (
        "{place}{field}存在资金缺口",
        "{place}{field}今年计划投入{n}万元，目前到位资金仅占{m}%。受财政收支矛盾影响，"
        "部分配套资金难以落实，已建成设施运维经费不足，存在建而不用、用而不管的问题。",
    ),
    (
        "{place}{field}人才流失问题突出",
        "调查显示，{place}近三年{field}岗位流失专业人员{n}人，空编率达{m}%。待遇偏低、"
        "发展空间有限是主要原因，基层服务能力受到影响，需从政策上加以解决。",
    ),
]
PROBLEM_PLACES = ["部分乡镇", "城郊结合部", "一些行政村", "个别街道", "山区乡镇", "部分社区"]
PROBLEM_FIELDS = [
    "农村供水",
    "养老服务",
    "冬季供暖",
    "中小学",
    "物业管理",
    "农产品加工",
    "建筑施工",
    "燃气",
    "基层医疗",
    "文旅",
]


def _problem_patterns(count: int, rng: random.Random) -> list[DemoText]:
    texts = []
    for _ in range(count):
        title, text = rng.choice(PROBLEM_PATTERNS)
        slots = {
            "place": rng.choice(PROBLEM_PLACES),
            "field": rng.choice(PROBLEM_FIELDS),
            "n": rng.randint(12, 90),
            "m": rng.randint(3, 11),
        }
        texts.append(DemoText(title.format(**slots), text.format(**slots), problem=True))
    return texts


def demo_texts(corpus: Path | None, rng: random.Random) -> list[DemoText]:
    """About TARGET_ITEMS texts from the public reports: local work (the provinces' report paragraphs)
    and, for about PROBLEM_SHARE of them, the problems those reports name; no national or foreign news."""
    if corpus is None or not corpus.is_dir():
        with SAMPLE_FILE.open(encoding="utf-8") as fh:
            return [DemoText(**row) for row in json.load(fh)]
    work, problems = list(_provincial(corpus)), list(_problems(corpus))
    wanted_problems = round(TARGET_ITEMS * PROBLEM_SHARE)
    chosen = rng.sample(problems, min(wanted_problems, len(problems)))
    chosen += _problem_patterns(wanted_problems - len(chosen), rng)
    chosen += rng.sample(work, min(TARGET_ITEMS - len(chosen), len(work)))
    if not chosen:
        return demo_texts(None, rng)
    rng.shuffle(chosen)
    return chosen


def localised(demo: DemoText, unit: DemoUnit) -> DemoText:
    """The text in the unit's own voice: a county writes 我县 and 全县, a department 我市; the title
    names the unit as an information item's title does (盂县扎实推进…)."""
    suffix = next((s for s in AREA_WORDS if unit.category == "xq" and short_name(unit).endswith(s)), None)
    own, whole, party, government = AREA_WORDS[suffix] if suffix else CITY_WORDS
    text = demo.text
    for old, new in (("我省", own), ("全省", whole), ("省委", party), ("省政府", government), ("本省", own)):
        text = text.replace(old, new)
    title = demo.title
    for old, new in (("我省", own), ("全省", whole), ("强省", "强市"), ("省域", "市域")):
        title = title.replace(old, new)
    name = short_name(unit)
    if not title.startswith(name):
        title = f"{name}{title}"
    return DemoText(title[:60], text, demo.problem)


def short_name(unit: DemoUnit) -> str:
    """盂县人民政府办公室 → 盂县; 市农业农村局 stays as it is."""
    return unit.name.removesuffix("人民政府办公室").removesuffix("管委会办公室")


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


def _office_year(texts: list[DemoText], rng: random.Random, progress: Callable[[int], None] | None) -> None:
    """A year of the office's work, each fact on its own day: submissions spread over twelve months,
    decisions within days, 《每日快报》 three times a week, 《阳泉信息》 monthly, upward reporting,
    约稿 with judged answers, 批示, emergencies and missed reports."""
    active = db.select(Unit).where(Unit.active, Unit.is_office.is_(False))
    units = [DemoUnit.of(u) for u in db.session.scalars(active)]
    today = local_today()
    _rosters(units)
    stored: list[Submitted] = []
    batch: list[items.SubmitResult] = []
    for n, demo in enumerate(texts):
        unit = _author_unit(demo, units, rng)
        day = _workday(today - timedelta(days=rng.randint(0, 364)))
        text = localised(demo, unit)
        traditional = n % 25 == 7  # some units still write in traditional script
        result = items.submit_item(
            None,
            items.ItemInput(
                title=to_traditional(text.title) if traditional else text.title,
                text=to_traditional(text.text) if traditional else text.text,
                unit_code=unit.code,
                event_date=day,
                level=rng.choices(["公开", "内部", "秘密"], weights=[3, 6, 1])[0],
                writer=rng.choice(_roster(unit))[0],
                genre="research" if rng.random() < 0.03 else "dynamic",
            ),
            commit=False,
        )
        item = result.item
        item.submitted_at = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), SHANGHAI)
        if demo.problem and item.kind != "problem":
            # The report names a problem where the tagger saw none: the editor's correction.
            item.kind, item.kind_locked = "problem", True
        batch.append(result)
        if len(batch) == DEMO_BATCH or n == len(texts) - 1:
            items.commit_submissions(batch)
            stored.extend(Submitted(r.item.id, r.item.kind, _local_day(r.item)) for r in batch)
            batch = []
            db.session.expunge_all()  # a small session keeps each commit cheap
        if progress:
            progress(1)
    stored = _merge(stored, rng, today)
    adopted = _decide(stored, rng, today)
    _publish(adopted, today)
    _upward(adopted, rng, today)
    _requests(units, rng, today)
    _incidents(units, rng, today)
    _standings(today)
    scoring.save_setting(None, f"{scoring.BASELINE_KEY}:{today.year}", TARGET_BASELINE)
    scoring.rescore_all()


@dataclass(frozen=True)
class Submitted:
    """What the seeding keeps of a submitted item (ids, not objects: the session stays small)."""

    id: int
    kind: str
    day: date
    comprehensive: bool = False


def _merge(stored: list[Submitted], rng: random.Random, today: date) -> list[Submitted]:
    """Twice a month the office composes a comprehensive item (综合信息) from three units' items of
    the same fortnight: the office's own product, which it also reports upward most."""
    by_fortnight: dict[int, list[Submitted]] = {}
    for item in stored:
        if item.day <= today - timedelta(days=5):
            by_fortnight.setdefault((today - item.day).days // 15, []).append(item)
    merged_ids: set[int] = set()
    composed: list[Submitted] = []
    for _, pool in sorted(by_fortnight.items()):
        if len(pool) < 3:
            continue
        sources = rng.sample(pool, 3)
        theme = rng.choice(MERGE_THEMES)
        merged = editing.merge_items(_editor(), [s.id for s in sources], f"全市{theme}工作情况综述")
        day = min(today, max(s.day for s in sources) + timedelta(days=1))
        merged.submitted_at = datetime.combine(day, time(15), SHANGHAI)
        db.session.commit()
        composed.append(Submitted(merged.id, merged.kind, day, comprehensive=True))
        merged_ids.update(s.id for s in sources)
        db.session.expunge_all()
    return [s for s in stored if s.id not in merged_ids] + composed


def _standings(today: date) -> None:
    """The figures the upper offices published about the city: monthly national ranks, the year's
    quality coefficient and provincial rank (as the office records them from their 通报)."""
    month = today.replace(day=1)
    for rank in NATIONAL_RANKS:
        month = (month - timedelta(days=1)).replace(day=1)
        upward.record_standing(_editor(), f"{month:%Y-%m}", "national_rank", rank, 31)
    last_year = str(today.year - 1)
    upward.record_standing(
        _editor(), last_year, "quality_coefficient", 42, 240, "中办信息质量系数，全国第61位"
    )
    upward.record_standing(_editor(), last_year, "provincial_rank", 8, 11, "省办积分373分")


@dataclass(frozen=True)
class Adopted:
    """An adopted item: where and when."""

    id: int
    unit_code: str
    publication: str
    day: date


def _local_day(item: Item) -> date:
    return to_local(item.submitted_at).date()


# Which department writes about what: a text that names its field goes to it now and then.
DEPARTMENT_WORDS = {
    "nyj": ("农业", "粮食", "农村", "农民", "乡村"),
    "jyj": ("教育", "学校", "教师", "学生"),
    "sthj": ("生态", "环境", "污染", "减排", "大气"),
    "swj": ("消费", "商贸", "外贸", "招商"),
    "zjj": ("住房", "城市更新", "建筑", "城镇"),
    "wjw": ("医疗", "卫生", "健康", "医院"),
    "yjj": ("安全生产", "应急", "防汛", "灾害"),
    "wlj": ("文化", "旅游", "文旅"),
    "fgw": ("投资", "项目", "改革", "发展规划"),
    "gxj": ("工业", "制造", "企业", "数字经济"),
    "czj": ("财政", "预算", "债务"),
    "sw": ("税", "减税", "退税"),
    "rhz": ("金融", "信贷", "贷款"),
    "dl": ("电力", "电网", "供电", "新能源"),
}


def _author_unit(demo: DemoText, units: list[DemoUnit], rng: random.Random) -> DemoUnit:
    """A department when the text is about its field (some of the time), else a unit by weight."""
    by_code = {u.code: u for u in units}
    fitting = [
        code
        for code, words in DEPARTMENT_WORDS.items()
        if code in by_code and any(w in demo.text[:200] for w in words)
    ]
    if fitting and rng.random() < 0.45:
        return by_code[rng.choice(fitting)]
    counties = [u for u in units if u.category == "xq"]
    return rng.choice(counties) if rng.random() < 0.8 else rng.choice(units)


def _editor() -> User:
    """The demo editor, from the current session (which the seeding clears between batches)."""
    editor = db.session.scalar(db.select(User).where(User.username == "editor"))
    assert editor is not None
    return editor


def _workday(day: date) -> date:
    """The nearest working day on or before `day` (offices submit on weekdays)."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _roster(unit: DemoUnit) -> list[tuple[str, bool]]:
    """Counties keep a full-time and a part-time writer; other units one."""
    return WRITERS if unit.category == "xq" else WRITERS[:1]


def _rosters(units: list[DemoUnit]) -> None:
    for unit in units:
        for name, full_time in _roster(unit):
            writers.save_writer(
                _editor(),
                unit.code,
                name,
                full_time=full_time,
                leader_in_charge="分管副职",
                trainings="全市信息工作业务培训班",
            )


def _decide(stored: list[Submitted], rng: random.Random, today: date) -> list[Adopted]:
    """Editors decide within days: about ADOPTION_SHARE adopted (problem items a little more often),
    most of the rest not adopted, a few returned; the last few days' items still wait."""
    choices: dict[tuple[str, str | None], list[int]] = {}
    decided_on: dict[int, date] = {}
    for item in stored:
        if item.day > today - timedelta(days=4):
            continue
        roll = rng.random() * (0.8 if item.kind == "problem" else 1.0)
        outlet: str | None
        if item.comprehensive or roll < ADOPTION_SHARE:  # the office's own items are adopted
            action, outlet = "adopt", "mrkb" if rng.random() < 0.8 else "yqxx"
        else:
            action, outlet = ("return", None) if roll > 0.95 else ("reject", None)
        choices.setdefault((action, outlet), []).append(item.id)
        decided_on[item.id] = min(
            today, max(item.day, _workday(item.day + timedelta(days=rng.randint(1, 3))))
        )
    reasons = {"reject": "内容与近期已编发信息重复，价值不高", "return": "请补充具体数据和典型事例后重新报送"}
    for (action, outlet), chosen in choices.items():
        for start in range(0, len(chosen), DEMO_BATCH):
            items.bulk_review(
                _editor(), chosen[start : start + DEMO_BATCH], action, outlet, reasons.get(action, "")
            )
            db.session.expunge_all()
    # Each adoption, decision and submission on the day it happened.
    rows = db.session.execute(db.select(Adoption.id, Adoption.item_id, Item.unit_id).join(Item)).all()
    db.session.execute(
        db.update(Adoption),
        [
            {"id": aid, "adopted_at": datetime.combine(decided_on[iid], time(16), SHANGHAI)}
            for aid, iid, _ in rows
        ],
    )
    events = db.session.execute(
        db.select(AuditEvent.id, AuditEvent.entity_id).where(
            AuditEvent.entity == "item", AuditEvent.action.in_(("adopt", "reject", "return"))
        )
    ).all()
    db.session.execute(
        db.update(AuditEvent),
        [
            {"id": eid, "at": datetime.combine(decided_on[iid], time(16), SHANGHAI)}
            for eid, iid in events
            if iid in decided_on
        ],
    )
    submitted = db.select(Item.submitted_at).where(Item.id == AuditEvent.entity_id).scalar_subquery()
    db.session.execute(
        db.update(AuditEvent)
        .where(AuditEvent.entity == "item", AuditEvent.action == "submit")
        .values(at=submitted)
    )
    db.session.commit()
    codes = dict(db.session.execute(db.select(Unit.id, Unit.code)).tuples().all())
    publications = {
        outlet: ids for (action, outlet), ids in choices.items() if action == "adopt" and outlet is not None
    }
    adopted = [
        Adopted(item_id, codes[unit_id], code, decided_on[item_id])
        for code, ids in publications.items()
        for item_id, unit_id in db.session.execute(
            db.select(Item.id, Item.unit_id).where(Item.id.in_(ids))
        ).all()
    ]
    return sorted(adopted, key=lambda a: (a.day, a.id))


def _publish(adopted: list[Adopted], today: date) -> None:
    """《每日快报》 on Mondays, Wednesdays and Fridays with what was adopted since; 《阳泉信息》 monthly."""
    by_issue: dict[tuple[str, date], list[int]] = {}
    for item in adopted:
        if item.publication == "mrkb":  # the next Monday, Wednesday or Friday
            issue_day = next(
                item.day + timedelta(days=d)
                for d in range(7)
                if (item.day + timedelta(days=d)).weekday() in (0, 2, 4)
            )
        else:  # the month's last day
            issue_day = (item.day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        if issue_day <= today:
            by_issue.setdefault((item.publication, issue_day), []).append(item.id)
    for (code, issue_day), chosen in sorted(by_issue.items(), key=lambda kv: kv[0][1]):
        issue = bulletins.create_issue(
            _editor(), code, [bulletins.EntryInput(i) for i in chosen[:8]], issue_date=issue_day
        )
        bulletins.publish_issue(_editor(), issue.id)
        issue.published_at = datetime.combine(issue_day, time(17), SHANGHAI)
        db.session.commit()
        db.session.expunge_all()


def _upward(adopted: list[Adopted], rng: random.Random, today: date) -> None:
    """About a third of the adopted items go up to the province; the upper offices take some; one
    direct-reporting point has had nothing taken upward for five months."""
    quiet_since = today - timedelta(days=155)
    for item in adopted:
        office, direct = item.unit_code == "office", item.unit_code in DIRECT_POINTS
        if rng.random() > (0.9 if office else 0.55 if direct else 0.3):
            continue
        upward.record_upward(_editor(), item.id, "province", "sent", item.day)
        if item.unit_code == QUIET_DIRECT_POINT and item.day >= quiet_since:
            continue
        if rng.random() < (0.7 if office else 0.45 if direct else 0.3):
            outlet = rng.choices(["province", "central", "zryq"], weights=[12, 3, 1])[0]
            day = min(today, item.day + timedelta(days=rng.randint(1, 6)))
            upward.record_upward(_editor(), item.id, outlet, "adopted", day)
            if rng.random() < 0.25:
                editing.record_instruction(
                    _editor(),
                    item.id,
                    rng.choice(["王书记", "张市长"]),
                    "municipal",
                    min(today, day + timedelta(days=2)),
                    "请有关部门认真研究，抓好落实。",
                )
        db.session.expunge_all()


def _requests(units: list[DemoUnit], rng: random.Random, today: date) -> None:
    """Two 约稿 a month to a few units; most answer, some late, some not; editors judge the answers."""
    counties = [u for u in units if u.category == "xq"]
    for month in range(12, 0, -1):
        for topic, ask in rng.sample(REQUEST_TOPICS, 2):
            issued = _workday(today - timedelta(days=30 * month + rng.randint(0, 20)))
            deadline = issued + timedelta(days=7)
            targets = rng.sample(counties, 3) + rng.sample([u for u in units if u not in counties], 1)
            commissioned = requests.create_request(
                _editor(), topic, ask, today + timedelta(days=1), unit_codes=[u.code for u in targets]
            )
            for unit in targets:
                if rng.random() < 0.15:
                    continue  # never answered
                answered = (
                    deadline + timedelta(days=rng.randint(1, 4))
                    if rng.random() < 0.15
                    else issued + timedelta(days=rng.randint(1, 6))
                )
                result = items.submit_item(
                    None,
                    items.ItemInput(
                        f"{short_name(unit)}{topic}情况",
                        f"按照市委办公室约稿要求，现将{topic}情况报告如下。{rng.choice(ANSWER_BODIES)}",
                        unit_code=unit.code,
                        request_id=commissioned.id,
                        event_date=min(answered, today),
                    ),
                )
                result.item.submitted_at = datetime.combine(min(answered, today), time(10), SHANGHAI)
                verdict = rng.choices(list(REQUEST_VERDICTS), weights=[50, 15, 10, 10, 5, 10])[0]
                requests.judge_answer(_editor(), result.item.id, verdict)
                judged = datetime.combine(min(today, answered + timedelta(days=2)), time(9), SHANGHAI)
                db.session.execute(
                    db.update(AuditEvent)
                    .where(AuditEvent.entity_id == result.item.id, AuditEvent.action == "judge_answer")
                    .values(at=judged)
                )
            commissioned.deadline = deadline
            commissioned.created_at = datetime.combine(issued, time(9), SHANGHAI)
            db.session.commit()
            db.session.expunge_all()


def _incidents(units: list[DemoUnit], rng: random.Random, today: date) -> None:
    """A few emergencies over the year, some reported late, and events missed or never reported."""
    for n, (title, body, grade) in enumerate(EMERGENCIES):
        unit = rng.choice([u for u in units if u.category == "xq"])
        happened = datetime.combine(_workday(today - timedelta(days=20 + 40 * n)), time(8, 10), SHANGHAI)
        item = items.submit_item(
            None,
            items.ItemInput(
                f"{short_name(unit)}{title}",
                body,
                unit_code=unit.code,
                genre="emergency",
                event_time=happened,
                event_grade=grade,
            ),
        ).item
        item.submitted_at = happened + timedelta(minutes=rng.choice([40, 70, 150, 300]))
    for n, (kind, description) in enumerate(MISSED):
        unit = rng.choice(units)
        timeliness.record_missed(
            _editor(), unit.code, today - timedelta(days=30 + 50 * n), description, kind=kind
        )
    db.session.commit()


def seed_demo(corpus: Path | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Load the demo office once; return how many items were created (0 when data already exists)."""
    if db.session.scalar(db.select(db.func.count(Unit.id))):
        return 0
    rng = random.Random(20261123)
    seed_structure()
    texts = demo_texts(corpus if corpus is not None else DEFAULT_CORPUS, rng)
    with indexing.batched():
        _office_year(texts, rng, progress)
    return len(texts)


def seeded_users() -> list[tuple[str, str, str | None]]:
    """(username, role, unit code) of the demo logins, for the README and the CLI."""
    return [(u, role, unit) for u, _, role, unit in USERS]
