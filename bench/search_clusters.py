"""The search benchmarks' corpus: clusters generated as a Chinese-English union catalogue holds them.

About half Chinese titles (words from a vocabulary, Zipf-distributed, so some words are in many titles and most
in few), a third English, the rest German, French, Japanese and Russian records with English-vocabulary titles;
authors (Chinese names, or ``Surname, Given``), years 1950-2025 (more recent ones more often), 5 members with
overlapping holdings (most clusters held by one library, some by two to five), formats, CLC classes for Chinese
records and LCC and/or Dewey for the others, subject headings, publishers and valid ISBNs (ISSNs for journals).
:class:`Corpus` generates them deterministically and keeps a sample for the queries (``search_queries``).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from consortium.models import Classification, ClassScheme, Cluster, Identifier, IdentifierScheme, ResourceFormat

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "EN_WORDS",
    "MEMBERS",
    "ZH_WORDS",
    "Corpus",
    "check_digit13",
    "isbn13",
    "issn",
    "zipf_weights",
]

# -- vocabularies ------------------------------------------------------------------------------------------

EN_WORDS = (
    "data systems theory practice history modern introduction advanced principles design analysis learning "
    "networks computing science art music law economics politics society culture language china world war "
    "peace river mountain city life death love time space energy health medicine biology chemistry physics "
    "mathematics statistics algorithms programming software engineering management finance markets logic "
    "education psychology philosophy religion literature poetry novel stories letters essays studies review "
    "handbook guide manual dictionary encyclopedia atlas survey report proceedings conference journal "
    "development environment climate ocean forest agriculture food water population urban rural industry "
    "trade policy reform revolution empire dynasty republic democracy state power identity gender family "
    "children women youth memory nature evolution genetics cells brain mind cognition behavior language "
    "grammar translation communication media film theatre painting architecture sculpture design photography "
    "machine intelligence robots computer database security cryptography quantum relativity particles stars "
    "galaxies universe planets earth geology minerals metals materials polymers chemical reactions catalysis "
    "electrical circuits signals control optimization probability inference regression bayesian models methods "
    "applications foundations elements topics problems solutions perspectives approaches frameworks questions "
    "ancient medieval early late century western eastern asian european american african global international "
    "national local regional comparative critical practical applied general special new old great small"
).split()
EN_STOP = ["the", "of", "and", "in", "to", "for", "on", "a"]
ZH_WORDS = (
    "中国 历史 经济 社会 文化 研究 发展 理论 实践 技术 管理 教育 科学 计算机 程序 设计 数据 分析 系统 网络 "
    "人工智能 机器学习 深度学习 算法 数学 物理 化学 生物 医学 法律 政治 哲学 文学 小说 诗歌 散文 艺术 音乐 "
    "建筑 城市 农村 农业 工业 金融 市场 企业 改革 开放 现代 古代 近代 当代 传统 思想 语言 汉语 英语 翻译 "
    "教程 导论 概论 原理 方法 基础 应用 实验 手册 词典 史 论 集 选 全集 文集 新编 简明 高等 大学 中学 儿童 "
    "青年 女性 家庭 生活 健康 心理 环境 生态 气候 能源 交通 旅游 地理 地质 海洋 天文 宇宙 量子 材料 电子 "
    "通信 信息 软件 数据库 操作系统 编译 网络安全 大数据 云计算 区块链 统计 概率 线性代数 微积分 力学 "
    "电路 信号 控制 自动化 机械 工程 土木 水利 电力 新能源 汽车 航空 航天 军事 战争 和平 国际 关系 外交 "
    "民族 宗教 佛教 道教 儒家 红楼梦 三国 水浒 西游 唐诗 宋词 元曲 明清 民国 北京 上海 长江 黄河 丝绸之路 "
    "故事 人物 传记 回忆录 评论 考古 博物馆 图书馆 档案 出版 新闻 传播 电影 戏剧 书法 绘画 摄影 设计 服装 "
    "饮食 中医 药学 护理 体育 足球 围棋 问题 对策 战略 政策 制度 创新 创业 营销 会计 审计 税收 保险 银行"
).split()
ZH_SURNAMES = (
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 钱 欧阳 司马".split()
)
ZH_GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 秀 华 平 刚 桂 文 辉 建 国 红 鹏 晓 志 海 春 云 锺 书".split()
)
EN_SURNAMES = (
    "smith johnson williams brown jones miller davis wilson anderson taylor thomas moore martin jackson white "
    "harris clark lewis robinson walker young allen king wright scott green baker adams nelson hill campbell "
    "mitchell roberts carter phillips evans turner parker collins edwards stewart morris murphy cook rogers "
    "morgan cooper peterson bailey reed kelly howard knuth cormen hawking austen kahneman wang li zhang liu chen "
    "müller schmidt schneider fischer weber dubois martin bernard petit ivanov petrov tanaka suzuki watanabe"
).split()
EN_GIVEN = (
    "john mary james patricia robert jennifer michael linda william elizabeth david barbara richard susan joseph "
    "jessica thomas sarah charles karen daniel nancy anna peter laura wei jun ming hans klaus marie pierre olga"
).split()
EN_PUBLISHERS = [
    "MIT Press", "Springer", "Wiley", "Oxford University Press", "Cambridge University Press", "Elsevier",
    "Routledge", "Penguin", "Pearson", "O'Reilly Media", "Princeton University Press", "Harvard University Press",
]  # fmt: skip
ZH_PUBLISHERS = [
    "人民出版社", "商务印书馆", "中华书局", "人民文学出版社", "科学出版社", "清华大学出版社", "北京大学出版社",
    "高等教育出版社", "机械工业出版社", "人民邮电出版社", "电子工业出版社", "上海古籍出版社", "三联书店",
]  # fmt: skip
EN_SUBJECTS = [
    "Computer science", "Machine learning", "Artificial intelligence", "Computer programming", "Data structures",
    "Mathematics", "Statistics", "Physics", "Chemistry", "Biology", "Medicine", "Economics", "Finance", "History",
    "China -- History", "World politics", "Philosophy", "Psychology", "Education", "Linguistics", "English fiction",
    "American literature", "Chinese literature", "Art", "Music", "Architecture", "Law", "Sociology",
    "Environmental sciences", "Climatic changes", "Engineering", "Electrical engineering", "Quantum theory",
]  # fmt: skip
ZH_SUBJECTS = [
    "计算机科学", "机器学习", "人工智能", "程序设计", "数据结构", "高等数学", "统计学", "物理学", "化学", "生物学",
    "中医学", "经济学", "金融", "中国历史", "中国 — 历史 — 明清时代", "国际政治", "哲学", "心理学", "教育学",
    "汉语 — 语法", "长篇小说 — 中国 — 当代", "古典小说 — 中国", "唐诗 — 诗歌研究", "艺术", "音乐", "建筑学",
    "法律", "社会学", "环境科学", "经济改革 — 研究 — 中国", "电子技术", "量子力学", "科学幻想小说 — 中国",
]  # fmt: skip
CLC_CLASSES = "A B C D F G H I J K N O P Q R S TB TD TG TH TM TN TP TQ TU U V X Z".split()
LCC_CLASSES = "B BF BL D DS E G H HB HC HD HF HG J K KNQ L M N P PL PN PR PS Q QA QB QC QD QH R S T TA TK U Z".split()
MEMBERS = ["pku", "thu", "fudan", "mit", "ntu"]
MEMBER_WEIGHTS = [0.3, 0.25, 0.2, 0.15, 0.1]
LANGUAGES = [("chi", 0.52), ("eng", 0.33), ("ger", 0.04), ("fre", 0.04), ("jpn", 0.04), ("rus", 0.03)]
FORMATS = [
    (ResourceFormat.BOOK, 0.74), (ResourceFormat.EBOOK, 0.12), (ResourceFormat.JOURNAL, 0.03),
    (ResourceFormat.EJOURNAL, 0.03), (ResourceFormat.THESIS, 0.03), (ResourceFormat.AUDIO, 0.01),
    (ResourceFormat.VIDEO, 0.01), (ResourceFormat.MAP, 0.01), (ResourceFormat.SCORE, 0.01),
    (ResourceFormat.DATABASE, 0.01),
]  # fmt: skip
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def zipf_weights(count: int, exponent: float = 1.0) -> list[float]:
    """Weights ``1 / rank ** exponent`` for ``count`` ranks, the first the heaviest."""
    return [1 / (rank + 1) ** exponent for rank in range(count)]


def check_digit13(body: str) -> str:
    """The ISBN-13 check digit of 12 digits."""
    return str((10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body)) % 10) % 10)


def isbn13(n: int, rng: random.Random) -> str:
    """A valid ISBN-13: 978-7 (Chinese), 978-0/1 (English) or, rarely, 979-1/8 (no ISBN-10 form)."""
    prefix = rng.choices(["9787", "9780", "9781", "9783", "9791"], weights=[50, 25, 15, 7, 3])[0]
    body = f"{prefix}{n % 10**8:08d}"
    return body + check_digit13(body)


def issn(n: int) -> str:
    """A valid ISSN made from ``n``."""
    digits = f"{n % 10**7:07d}"
    total = sum(int(d) * (8 - i) for i, d in enumerate(digits))
    check = (11 - total % 11) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


class Corpus:
    """Generates clusters deterministically, and keeps a sample of what was generated for the queries."""

    def __init__(self, count: int, seed: int = 11, sample_size: int = 5000) -> None:
        self.count = count
        self.seed = seed
        self.sample_size = sample_size
        self.sample: list[Cluster] = []
        self.seconds = 0.0
        """Time spent generating (to leave out of the build rate)."""
        self.first_first_seen = T0
        """When the first generated work was first seen (work ``n`` came ``n`` minutes later)."""
        self._en_weights = zipf_weights(len(EN_WORDS), 0.9)
        self._zh_weights = zipf_weights(len(ZH_WORDS), 0.9)
        self._en_surname_weights = zipf_weights(len(EN_SURNAMES), 0.7)

    @property
    def latest_first_seen(self) -> datetime:
        """When the last of the :attr:`count` works was first seen."""
        return T0 + timedelta(minutes=max(self.count - 1, 0))

    def clusters(self) -> Iterator[Cluster]:
        """The :attr:`count` clusters, the same for one seed; refills :attr:`sample` and :attr:`seconds`."""
        rng = random.Random(self.seed)
        sample_rng = random.Random(self.seed + 1)
        self.sample = []
        self.seconds = 0.0
        for n in range(self.count):
            started = time.perf_counter()
            cluster = self._cluster(n, rng)
            # Reservoir sample: queries are built from clusters that are in the index.
            if len(self.sample) < self.sample_size:
                self.sample.append(cluster)
            elif (slot := sample_rng.randrange(n + 1)) < self.sample_size:
                self.sample[slot] = cluster
            self.seconds += time.perf_counter() - started
            yield cluster

    def _en_title(self, rng: random.Random) -> str:
        words = rng.choices(EN_WORDS, weights=self._en_weights, k=rng.randint(2, 6))
        if len(words) > 2 and rng.random() < 0.5:
            words.insert(rng.randint(1, len(words) - 1), rng.choice(EN_STOP))
        if rng.random() < 0.2:
            words.insert(0, "the")
        return " ".join(words).capitalize()

    def _zh_title(self, rng: random.Random) -> str:
        return "".join(
            rng.choices(ZH_WORDS, weights=self._zh_weights, k=rng.choices([1, 2, 3, 4], [15, 45, 30, 10])[0])
        )

    def _cluster(self, n: int, rng: random.Random) -> Cluster:
        language = rng.choices([lang for lang, _ in LANGUAGES], weights=[w for _, w in LANGUAGES])[0]
        chinese = language == "chi"
        fmt = rng.choices([f for f, _ in FORMATS], weights=[w for _, w in FORMATS])[0]
        if chinese:
            title = self._zh_title(rng)
            subtitle = self._zh_title(rng) if rng.random() < 0.3 else None
            authors = [
                rng.choice(ZH_SURNAMES) + "".join(rng.choices(ZH_GIVEN, k=rng.randint(1, 2)))
                for _ in range(rng.choices([0, 1, 2, 3], [5, 70, 18, 7])[0])
            ]
            publisher = rng.choice(ZH_PUBLISHERS)
            subjects = rng.sample(ZH_SUBJECTS, rng.choices([0, 1, 2, 3], [20, 50, 22, 8])[0])
            classes = [Classification(scheme=ClassScheme.CLC, code=f"{rng.choice(CLC_CLASSES)}{rng.randint(1, 999)}")]
        else:
            title = self._en_title(rng)
            subtitle = self._en_title(rng).lower() if rng.random() < 0.35 else None
            authors = [
                f"{rng.choices(EN_SURNAMES, weights=self._en_surname_weights)[0].title()}, "
                f"{rng.choice(EN_GIVEN).title()}"
                for _ in range(rng.choices([0, 1, 2, 3], [5, 65, 22, 8])[0])
            ]
            publisher = rng.choice(EN_PUBLISHERS)
            subjects = rng.sample(EN_SUBJECTS, rng.choices([0, 1, 2, 3], [20, 50, 22, 8])[0])
            classes = []
            if rng.random() < 0.8:
                top = rng.choice(LCC_CLASSES)
                classes.append(Classification(scheme=ClassScheme.LCC, code=f"{top}{rng.randint(1, 9999)}.{n % 97}"))
            if rng.random() < 0.5:
                classes.append(Classification(scheme=ClassScheme.DDC, code=f"{rng.randint(0, 999):03d}.{n % 1000}"))
        if fmt in (ResourceFormat.JOURNAL, ResourceFormat.EJOURNAL):
            identifiers = [Identifier(scheme=IdentifierScheme.ISSN, value=issn(n))]
            authors = []
        elif rng.random() < 0.85:
            identifiers = [Identifier(scheme=IdentifierScheme.ISBN, value=isbn13(n, rng))]
            if rng.random() < 0.15:  # a second edition or binding
                identifiers.append(Identifier(scheme=IdentifierScheme.ISBN, value=isbn13(n + 5 * 10**7, rng)))
        else:
            identifiers = []
        year = 2025 - min(75, int(rng.expovariate(1 / 18)))
        copies = rng.choices([1, 2, 3, 4, 5], weights=[60, 25, 10, 4, 1])[0]
        members: set[str] = set()
        while len(members) < copies:
            members.add(rng.choices(MEMBERS, weights=MEMBER_WEIGHTS)[0])
        seen = T0 + timedelta(minutes=n)
        return Cluster.model_construct(
            cluster_id=f"c{n:08d}",
            records=sorted((m, f"{m}-{n}") for m in members),
            format=fmt,
            title=title,
            subtitle=subtitle,
            authors=authors,
            publisher=publisher,
            year=year,
            language=language,
            edition=None,
            pages=None,
            identifiers=identifiers,
            subjects=subjects,
            classifications=classes,
            holdings=[],
            first_seen=seen,
            updated_at=seen,
        )
