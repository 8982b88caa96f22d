"""Analysis of information items: kind, topics, keywords, fingerprints, one segmentation per text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nlp import Analyzer, Segmenter, Token, similarity
from nlp.analyze import load_stopwords


class CountingSegmenter(Segmenter):
    """A real Segmenter that counts how often it is asked to cut a text."""

    calls = 0

    def tokens(self, text: str) -> list[Token]:
        self.calls += 1
        return super().tokens(text)


@pytest.fixture(scope="module")
def segmenter() -> CountingSegmenter:
    segmenter = CountingSegmenter()
    segmenter.initialize()
    return segmenter


@pytest.fixture(scope="module")
def analyzer(segmenter: CountingSegmenter) -> Iterator[Analyzer]:
    yield Analyzer(segmenter)


PROBLEM, ACHIEVEMENT, OTHER = "problem", "achievement", "other"

KIND_CASES = [
    # problems
    (PROBLEM, "", "部分乡镇对秸秆禁烧工作重视不够，巡查监管不到位，火点时有发生。"),
    (PROBLEM, "", "今年1至5月，全市规模以上工业增加值同比下滑3.2%，部分企业订单不足、资金周转困难。"),
    (PROBLEM, "", "该县农村饮水安全工程建设滞后，目前仍有12个村存在季节性缺水问题。"),
    (PROBLEM, "", "今年上半年我单位共报送信息30条，没有一条信息被采用。"),
    (PROBLEM, "", "近期群众投诉物业服务问题增多，部分小区长期拖欠保洁人员工资，矛盾较为突出。"),
    (PROBLEM, "", "虽然我市营商环境持续改善，但企业反映审批环节多、办理时限长的问题依然存在。"),
    (PROBLEM, "", "尽管全县教育投入逐年增加，然而农村学校师资力量薄弱、优秀教师流失的短板仍未补齐。"),
    (PROBLEM, "", "个别单位对突发事件信息迟报漏报，信息报送工作缺乏专人负责，制度尚未落实。"),
    (PROBLEM, "", "部分老旧小区燃气管道老化，存在较大安全隐患。"),
    (PROBLEM, "", "部分鄉鎮對防汛工作重視不夠，應急物資儲備不足，存在較大風險隱患。"),
    (PROBLEM, "关于我县农村集体经济发展面临困难的调研报告", "全县村集体经济收入普遍偏低。"),
    # achievements
    (ACHIEVEMENT, "", "今年以来，全市实现地区生产总值1250亿元，同比增长6.1%，增速居全省第一。"),
    (ACHIEVEMENT, "", "我县高标准农田建设取得明显成效，全年新建高标准农田5万亩，粮食总产量突破40万吨。"),
    (ACHIEVEMENT, "", "市政务服务中心全面推行一网通办，95%的事项实现网上办理，群众满意度提高到98%。"),
    (ACHIEVEMENT, "", "该区成功创建国家生态文明建设示范区，空气质量优良天数比例达到92%。"),
    (ACHIEVEMENT, "", "全縣今年新增城鎮就業5200人，農村居民人均可支配收入增長7.5%，順利完成年度目標。"),
    (ACHIEVEMENT, "", "通过集中整治，全县排查化解矛盾纠纷320件，信访总量下降25%，未发生重大安全事故。"),
    # other: plans, instructions, meetings
    (OTHER, "", "会议要求，各单位要进一步提高认识，切实做好汛期信息报送工作。"),
    (OTHER, "", "下一步，我市将加快推进城市更新，计划年内开工改造老旧小区80个。"),
    (OTHER, "", "各乡镇必须于每月5日前报送上月工作进展，务必确保数据真实准确。"),
    # a goal frame: 更加…地 names how the work is to be done, not what was achieved
    (OTHER, "", "坚持以人民为中心，更加扎实地推动共同富裕取得实质性进展。"),
    (OTHER, "", "希望各地认真学习借鉴先进经验，结合实际抓好贯彻落实。"),
]


@pytest.mark.parametrize(("expected", "title", "text"), KIND_CASES)
def test_kind_of_real_style_sentences(analyzer: Analyzer, expected: str, title: str, text: str) -> None:
    result = analyzer.analyze(title, text)
    assert result.kind.label == expected, (result.kind, result.sentences)
    assert 0.0 < result.kind.score <= 1.0
    assert result.kind.evidence
    for word in result.kind.evidence:
        # evidence words come from the text (negations are shown as 没有…采用)
        for part in word.split("…"):
            assert part in result.simplified_title + result.simplified_text


def test_kind_gives_negation_as_evidence(analyzer: Analyzer) -> None:
    result = analyzer.analyze("", "今年上半年我单位共报送信息30条，没有一条信息被采用。")
    assert "没有…采用" in result.kind.evidence


def test_kind_of_a_text_without_cues_is_other_with_zero_score(analyzer: Analyzer) -> None:
    result = analyzer.analyze("", "这是一段说明文字。")
    assert result.kind.label == "other"
    assert result.kind.score == 0.0
    assert result.kind.evidence == ()


def test_problem_sentences_are_located_for_highlighting(analyzer: Analyzer) -> None:
    text = (
        "今年以来，我县新建农村公路120公里，完成投资2.3亿元，同比增长15%。"
        "但部分路段养护不到位，存在坑槽、积水等安全隐患。"
        "下一步，我县将建立健全农村公路管护机制。"
    )
    result = analyzer.analyze("", text)
    # A record of results that then names a shortfall: an achievement item containing problems
    # (DOMAIN.md, mixed texts); the problem sentence is still located for highlighting.
    assert result.kind.label == "achievement" and result.contains_problems
    labels = [(result.simplified_text[s.start : s.end], s.label) for s in result.sentences]
    assert labels == [
        ("今年以来，我县新建农村公路120公里，完成投资2.3亿元，同比增长15%。", "achievement"),
        ("但部分路段养护不到位，存在坑槽、积水等安全隐患。", "problem"),
        ("下一步，我县将建立健全农村公路管护机制。", "other"),
    ]


@pytest.mark.parametrize(
    ("topic", "title", "text"),
    [
        (
            "三农",
            "我县多措并举抓好春耕生产",
            "今年全县粮食播种面积稳定在35万亩，落实种粮补贴2100万元，组织农机手500余人下田作业，"
            "农技人员深入田间指导农民科学施肥，确保小麦、玉米稳产增产。",
        ),
        (
            "生态环境",
            "我市加大大气污染防治力度",
            "今年以来，我市持续开展扬尘污染专项整治，关停违规排放企业23家，"
            "PM2.5平均浓度下降8.5%，空气质量优良天数比例达到85%，全市河流水质稳定达标。",
        ),
        (
            "安全稳定",
            "关于近期安全生产事故情况的报告",
            "5月12日，某化工企业发生一起爆炸事故，造成2人死亡、3人受伤。事故暴露出企业安全隐患排查不彻底、"
            "应急处置能力不足等问题，应急管理部门已组织力量开展救援和调查。",
        ),
        (
            "科技教育",
            "",
            "全市新增高新技术企业85家，研发投入增长12%，新建省级重点实验室3个；"
            "全市中小学新增学位1.2万个，义务教育学校师资配置持续优化。",
        ),
    ],
)
def test_topics_for_clear_cases(analyzer: Analyzer, topic: str, title: str, text: str) -> None:
    result = analyzer.analyze(title, text)
    names = [tag.name for tag in result.topics]
    assert names, result.topics
    assert names[0] == topic, result.topics
    assert 1 <= len(names) <= 3
    scores = [tag.score for tag in result.topics]
    assert scores == sorted(scores, reverse=True)
    for tag in result.topics:
        assert tag.evidence
        assert len(set(tag.evidence)) == len(tag.evidence)
        for word in tag.evidence:
            assert word in result.simplified_title + result.simplified_text


def test_topics_override_uses_the_given_lexicon(analyzer: Analyzer) -> None:
    lexicon = {"信息工作": {"信息": 2.0, "报送": 3.0, "约稿": 3.0}, "会务": {"会议": 2.0}}
    result = analyzer.analyze("", "各单位要按时报送约稿信息。", topics=lexicon)
    assert [tag.name for tag in result.topics] == ["信息工作"]
    assert result.topics[0].evidence == ("报送", "约稿", "信息")
    # The override is cached per lexicon object and does not replace the default.
    assert analyzer.analyze("", "各单位要按时报送约稿信息。", topics=lexicon).topics == result.topics
    assert "信息工作" not in [t.name for t in analyzer.analyze("", "各单位要按时报送约稿信息。").topics]


def test_keywords_exclude_stop_words_numbers_and_single_characters(analyzer: Analyzer) -> None:
    text = (
        "今年以来，我县进一步加强秸秆综合利用工作，认真开展秸秆禁烧巡查，积极推进秸秆还田，"
        "全面推广秸秆饲料化利用技术，全县秸秆综合利用率达到92%，比去年提高3个百分点。"
    )
    result = analyzer.analyze("我县全面推进秸秆综合利用", text)
    keywords = result.keywords
    assert 1 <= len(keywords) <= 8
    assert keywords[0] == "秸秆"
    stopwords = load_stopwords()
    for word in keywords:
        assert word not in stopwords
        assert len(word) >= 2
        assert not any(ch.isdigit() for ch in word)
        assert word in result.simplified_title + result.simplified_text
    for filler in ("进一步", "加强", "认真", "工作", "开展", "积极", "推进", "全面"):
        assert filler not in keywords


ORIGINAL = (
    "今年以来，我市坚持把稳就业作为民生工作的重中之重。"
    "全市城镇新增就业3.2万人，城镇调查失业率控制在5%以内。"
    "我市组织开展春风行动等专项招聘活动85场，提供岗位4.6万个。"
    "发放一次性扩岗补助和创业担保贷款2.1亿元，支持企业稳岗扩岗。"
    "新建零工市场12个，为灵活就业人员提供免费职业介绍服务。"
    "全年开展职业技能培训2.8万人次，农村劳动力转移就业人数稳中有升。"
)
NEAR_DUPLICATE = ORIGINAL.replace(
    "新建零工市场12个，为灵活就业人员提供免费职业介绍服务。",
    "在各县区设立零工驿站，为求职者提供岗位推荐和政策咨询。",
)
UNRELATED = (
    "入汛以来，我县遭遇多轮强降雨过程，部分河道水位超过警戒线。"
    "县防汛抗旱指挥部及时启动应急响应，转移受威胁群众1200余人。"
    "各乡镇加强山洪灾害隐患点巡查，组织抢险队伍24小时值守。"
    "目前全县水库运行平稳，未发生人员伤亡，灾后恢复重建工作正在有序开展。"
)


def test_near_duplicates_have_similar_fingerprints(analyzer: Analyzer) -> None:
    a = analyzer.analyze("我市多措并举稳就业", ORIGINAL)
    b = analyzer.analyze("我市多措并举稳就业", NEAR_DUPLICATE)
    c = analyzer.analyze("我县全力做好防汛工作", UNRELATED)
    assert similarity(a.fingerprint, a.fingerprint) == 1.0
    assert similarity(a.fingerprint, b.fingerprint) >= 0.8
    assert similarity(a.fingerprint, c.fingerprint) < 0.8
    assert -(2**63) <= a.fingerprint < 2**63


def test_fingerprint_is_stable_across_analyzers(segmenter: CountingSegmenter) -> None:
    # blake2b, not Python's salted hash(): the same text gives the same fingerprint in every process
    one = Analyzer(segmenter).analyze("", ORIGINAL).fingerprint
    two = Analyzer(segmenter).analyze("", ORIGINAL).fingerprint
    assert one == two != 0


def test_tokens_cover_the_simplified_text(analyzer: Analyzer) -> None:
    result = analyzer.analyze(
        "全縣糧食生產再獲豐收", "今年全縣糧食總產量達到50萬噸，同比增長3.2%。\n農民收入穩步提高。"
    )
    assert result.simplified_title == "全县粮食生产再获丰收"
    assert "".join(t.text for t in result.title_tokens) == result.simplified_title
    assert "".join(t.text for t in result.tokens) == result.simplified_text
    for token in result.tokens:
        assert result.simplified_text[token.start : token.end] == token.text
    assert result.clean_text.startswith("今年全縣糧食")  # the cleaned copy keeps the original script


def test_clean_copies_are_cleaned(analyzer: Analyzer) -> None:
    result = analyzer.analyze(
        "我县推进?quot;放管服?quot;改革", "下载\n打印\n全面推进?quot;放管服?quot;改革,成效明显."
    )
    assert result.clean_title == "我县推进“放管服”改革"
    assert result.clean_text == "全面推进“放管服”改革，成效明显."


def test_analyze_segments_title_and_text_exactly_once_each(
    analyzer: Analyzer, segmenter: CountingSegmenter
) -> None:
    before = segmenter.calls
    analyzer.analyze("我县秸秆禁烧工作存在三方面问题", ORIGINAL)
    assert segmenter.calls - before == 2
    before = segmenter.calls
    analyzer.analyze("", UNRELATED, topics={"防汛": {"防汛": 3.0, "强降雨": 2.0}})
    assert segmenter.calls - before == 2


@pytest.mark.parametrize(
    ("text", "token", "expected"),
    [
        ("今年以来，我县推进乡村振兴取得成效。", "取得成效", ACHIEVEMENT),
        ("全县生态环境、安全生产等仍有薄弱环节。", "薄弱环节", PROBLEM),
        ("公共服务设施、人均绿地面积不断扩大。", "不断扩大", ACHIEVEMENT),
    ],
)
def test_kind_cues_inside_longer_tokens_count(
    analyzer: Analyzer, text: str, token: str, expected: str
) -> None:
    result = analyzer.analyze("", text)
    assert token in [t.text for t in result.tokens]  # jieba keeps the cue inside one token
    assert result.kind.label == expected, result.kind
    assert token in result.kind.evidence
    assert result.kind.score > 0
    assert [s.label for s in result.sentences] == [expected]


def test_a_problem_word_inside_a_group_or_a_fight_is_no_problem(analyzer: Analyzer) -> None:
    assert analyzer.analyze("", "我县为困难群众发放救助金120万元，惠及3000户。").kind.label == ACHIEVEMENT
    assert analyzer.analyze("", "深入推进党风廉政建设和反腐败斗争。").kind.label == OTHER
