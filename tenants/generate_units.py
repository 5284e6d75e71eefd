"""Generate the synthetic org-unit CSVs of the shipped tenants (deterministic).

Usage (from the repository root)::

    python tenants/generate_units.py            # rewrite tenants/*.units.csv
    python tenants/generate_units.py --check    # exit 1 if a committed CSV differs

Unit names follow the real administrative divisions (district and street names);
every number is random and says nothing about the real places. Each city gets a
few deliberate violations of the standards in ``rule_packs/`` (an oversized grid,
a grid without a grid worker, a community whose grids do not cover all of its
households, a small facility, a small street centre, understaffed communities),
so the standards have something to find. The comment lines at the top of each CSV
name those units.
"""
from __future__ import annotations

import argparse
import csv
import io
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = ["code", "parent", "level", "name", "population", "urban_population", "households",
          "workers", "grid_workers", "facility_area_m2"]
#: 每万城镇常住人口不少于 18 名社区工作者 (S003) — used to make most communities compliant
WORKERS_PER_10000 = 18
#: 每百户不低于 30 平方米 (S002 四(二))
FACILITY_M2_PER_100_HOUSEHOLDS = 30

COMMUNITY_WORDS = (
    "东风 红旗 桂花 枫林 新华 五一 建湘 荷花 清水 湘江 映日 学院 金桥 松桂 长岛 银杉 白沙 友谊 "
    "朝阳 育英 德政 新民 望月 桃花 金盆 火炬 兴隆 锦绣 丰泉 和平 龙华 碧湘 南湖 楚江 麓山 含光 "
    "枫树 长塘 湖景 杏林 翠竹 春晖 文昌 梧桐 观澜 明德 秀峰 聚福 康宁 安居 雅苑 书香 晨光 青枫 "
    "紫荆 银桂 蓝湾 星城 滨江 芙蓉 芷兰 香樟 梅岭 柳岸 怡园 丽景 华庭 新城 东塘 西湖"
).split()
VILLAGE_WORDS = (
    "田心 石塘 新桥 杨梓 双河 龙潭 石门 桐木 高峰 黄土 马鞍 金鸡 大塘 荷叶 竹山 白云 太平 杉木 "
    "柏树 花园 长冲 团山 新屋 塘湾 清泉 桃源 枫木 樟树 梨江 沙坪"
).split()


@dataclass
class District:
    code6: str
    name: str
    streets: list[str]
    towns: list[str] = field(default_factory=list)


@dataclass
class Anomalies:
    """Where the deliberate violations go: paths (district, township, community[, grid])."""

    big_grid: tuple[int, int, int, int]
    small_grid: tuple[int, int, int, int]
    no_grid_worker: tuple[int, int, int, int]
    coverage_gap: tuple[int, int, int]
    coverage_overlap: tuple[int, int, int] | None
    small_facility: tuple[int, int, int]
    small_village_facility: tuple[int, int, int] | None
    small_street_centre: tuple[int, int]
    understaffed: tuple[int, int, int]


@dataclass
class City:
    tenant: str
    code6: str
    name: str
    seed: int
    districts: list[District]
    anomalies: Anomalies


CITIES = [
    City("changsha", "430100", "长沙市", 4301, [
        District("430102", "芙蓉区", ["文艺路街道", "朝阳街街道", "韭菜园街道", "五里牌街道", "马王堆街道"]),
        District("430104", "岳麓区", ["望月湖街道", "岳麓街道", "西湖街道", "观沙岭街道", "梅溪湖街道"]),
        District("430121", "长沙县", ["星沙街道", "湘龙街道"], ["黄花镇", "春华镇", "果园镇"]),
    ], Anomalies(big_grid=(0, 1, 0, 1), small_grid=(1, 4, 1, 0), no_grid_worker=(0, 2, 1, -1),
                 coverage_gap=(1, 0, 2), coverage_overlap=None, small_facility=(1, 1, 3),
                 small_village_facility=(2, 3, 2), small_street_centre=(1, 2), understaffed=(0, 0, 0))),
    City("chengdu", "510100", "成都市", 5101, [
        District("510104", "锦江区", ["春熙路街道", "书院街街道", "合江亭街道", "水井坊街道", "牛市口街道"]),
        District("510105", "青羊区", ["少城街道", "草市街街道", "府南街道", "光华街道", "金沙街道"]),
        District("510117", "郫都区", ["郫筒街道", "犀浦街道"], ["唐昌镇", "三道堰镇"]),
    ], Anomalies(big_grid=(1, 0, 1, 2), small_grid=(0, 3, 0, 0), no_grid_worker=(0, 1, 2, -1),
                 coverage_gap=(0, 4, 1), coverage_overlap=(1, 3, 0), small_facility=(0, 2, 3),
                 small_village_facility=(2, 2, 1), small_street_centre=(1, 1), understaffed=(1, 2, 2))),
    City("heilongjiang", "230100", "哈尔滨市", 2301, [
        District("230103", "南岗区", ["花园街道", "大成街道", "七政街道", "曲线街道", "通达街道",
                                    "先锋路街道", "奋斗路街道", "芦家街道"]),
    ], Anomalies(big_grid=(0, 3, 1, 0), small_grid=(0, 6, 2, 1), no_grid_worker=(0, 5, 0, -1),
                 coverage_gap=(0, 1, 2), coverage_overlap=(0, 4, 3), small_facility=(0, 7, 1),
                 small_village_facility=None, small_street_centre=(0, 2), understaffed=(0, 0, 4))),
]


@dataclass
class Unit:
    code: str
    parent: str
    level: str
    name: str
    population: int = 0
    urban_population: int = 0
    households: int = 0
    workers: int = 0
    grid_workers: int = 0
    facility_area_m2: int = 0
    children: list["Unit"] = field(default_factory=list)

    def row(self) -> list:
        return [self.code, self.parent, self.level, self.name, self.population, self.urban_population,
                self.households, self.workers, self.grid_workers, self.facility_area_m2]

    def add_sums_of_children(self) -> None:
        """Population, households and staff of an area are those of its parts.

        A community keeps its own ``workers`` (社区工作者 in post, grid workers
        among them); only its grid workers are counted from its grids.
        """
        attrs = ["population", "urban_population", "households", "grid_workers"]
        if self.level != "community":
            attrs.append("workers")
        for attr in attrs:
            setattr(self, attr, sum(getattr(c, attr) for c in self.children))


def required_workers(urban_population: int) -> int:
    return math.ceil(urban_population * WORKERS_PER_10000 / 10000)


def required_facility(households: int) -> int:
    return math.ceil(households * FACILITY_M2_PER_100_HOUSEHOLDS / 100)


class Builder:
    def __init__(self, city: City):
        self.city = city
        self.rng = random.Random(city.seed)
        words = list(COMMUNITY_WORDS)
        self.rng.shuffle(words)
        self.community_names = iter(words)
        villages = list(VILLAGE_WORDS)
        self.rng.shuffle(villages)
        self.village_names = iter(villages)
        self.notes: list[str] = []

    def grid(self, community: Unit, index: int) -> Unit:
        households = self.rng.randint(320, 490)
        population = round(households * self.rng.uniform(2.45, 2.85))
        return Unit(f"{community.code}{index + 1:03d}", community.code, "grid",
                    f"{community.name.removesuffix('社区')}第{index + 1}网格",
                    population, population, households, 1, 1, 0)

    def community(self, township: Unit, index: int) -> Unit:
        c = Unit(f"{township.code[:9]}{index + 1:03d}", township.code, "community",
                 f"{next(self.community_names)}社区")
        c.children = [self.grid(c, g) for g in range(self.rng.randint(6, 11))]
        c.add_sums_of_children()
        need = required_workers(c.urban_population)
        c.workers = max(need + self.rng.choice([-2, 0, 1, 1, 2, 2, 3, 3, 4, 5]), c.grid_workers)
        c.facility_area_m2 = int(round(required_facility(c.households) * self.rng.uniform(1.05, 2.2), -1))
        return c

    def village(self, township: Unit, index: int) -> Unit:
        households = self.rng.randint(480, 1100)
        population = round(households * self.rng.uniform(2.9, 3.4))
        facility = int(round(required_facility(households) * self.rng.uniform(1.0, 1.8), -1))
        return Unit(f"{township.code[:9]}{200 + index + 1:03d}", township.code, "village",
                    f"{next(self.village_names)}村", population, 0, households,
                    self.rng.randint(5, 9), 0, facility)

    def township(self, county: Unit, index: int, name: str, is_street: bool) -> Unit:
        number = index + 1 if is_street else 100 + index + 1
        t = Unit(f"{county.code[:6]}{number:03d}000", county.code, "street" if is_street else "township", name)
        if is_street:
            t.children = [self.community(t, k) for k in range(self.rng.randint(4, 6))]
        else:  # a town: the 镇区 community plus villages
            t.children = [self.community(t, 0)] + [self.village(t, m) for m in range(self.rng.randint(4, 6))]
        t.add_sums_of_children()
        t.facility_area_m2 = self.rng.randint(105, 240) * 10
        return t

    def build(self) -> Unit:
        city = Unit(f"{self.city.code6}000000", "", "city", self.city.name)
        for d in self.city.districts:
            county = Unit(f"{d.code6}000000", city.code, "county", d.name)
            county.children = [self.township(county, i, s, True) for i, s in enumerate(d.streets)]
            county.children += [self.township(county, i, t, False) for i, t in enumerate(d.towns)]
            city.children.append(county)
        self.break_standards(city)
        for county in city.children:
            for t in county.children:
                t.add_sums_of_children()
            county.add_sums_of_children()
        city.add_sums_of_children()
        return city

    # -------------------------------------------------------- deliberate violations
    def _at(self, city: Unit, path: tuple[int, ...]) -> Unit:
        unit = city
        for i in path:
            unit = unit.children[i]
        return unit

    def _sum_grids(self, community: Unit) -> None:
        """After a grid changed, the community's totals follow its grids again."""
        community.add_sums_of_children()

    def break_standards(self, city: Unit) -> None:
        a = self.city.anomalies
        big = self._at(city, a.big_grid)
        big.households, big.population = 620, 620 * 27 // 10
        big.urban_population = big.population
        self._sum_grids(self._at(city, a.big_grid[:3]))
        self.notes.append(f"网格户数 620(超过 500 户):{big.code} {big.name}")

        small = self._at(city, a.small_grid)
        small.households, small.population = 240, 240 * 26 // 10
        small.urban_population = small.population
        self._sum_grids(self._at(city, a.small_grid[:3]))
        self.notes.append(f"网格户数 240(不足 300 户):{small.code} {small.name}")

        lone = self._at(city, a.no_grid_worker)
        lone.grid_workers = lone.workers = 0
        community = self._at(city, a.no_grid_worker[:3])
        self._sum_grids(community)
        community.workers = max(community.workers, required_workers(community.urban_population))
        self.notes.append(f"没有专职网格员的网格:{lone.code} {lone.name}")

        for path in (a.big_grid[:3], a.small_grid[:3]):
            c = self._at(city, path)
            c.workers = max(c.workers, required_workers(c.urban_population))

        gap = self._at(city, a.coverage_gap)
        gap.households += 160
        gap.population += 430
        gap.urban_population += 430
        gap.workers = max(gap.workers, required_workers(gap.urban_population))
        self.notes.append(f"网格未覆盖全部住户的社区(缺 160 户):{gap.code} {gap.name}")

        if a.coverage_overlap is not None:
            over = self._at(city, a.coverage_overlap)
            over.households -= 150
            over.population -= 400
            over.urban_population -= 400
            self.notes.append(f"网格户数之和超过社区户数的社区(重叠 150 户):{over.code} {over.name}")

        small_site = self._at(city, a.small_facility)
        small_site.facility_area_m2 = int(round(required_facility(small_site.households) * 0.45, -1))
        self.notes.append(f"综合服务设施面积不足每百户 30 平方米的社区:{small_site.code} {small_site.name}")

        if a.small_village_facility is not None:
            village = self._at(city, a.small_village_facility)
            village.facility_area_m2 = int(round(required_facility(village.households) * 0.5, -1))
            self.notes.append(f"综合服务设施面积不足每百户 30 平方米的村:{village.code} {village.name}")

        centre = self._at(city, a.small_street_centre)
        centre.facility_area_m2 = 860
        self.notes.append(f"党群服务中心不足 1000 平方米的街道:{centre.code} {centre.name}")

        short = self._at(city, a.understaffed)
        short.workers = required_workers(short.urban_population) - 6
        self.notes.append(f"社区工作者缺 6 人的社区(另有若干社区略有缺员):{short.code} {short.name}")


def walk(unit: Unit):
    yield unit
    for c in unit.children:
        yield from walk(c)


def render(city: City) -> tuple[str, int]:
    """The CSV text of ``city`` and its number of unit rows."""
    builder = Builder(city)
    root = builder.build()
    units = list(walk(root))
    out = io.StringIO()
    out.write("# 合成数据,仅供演示与测试:单位名称参照真实行政区划,人口、户数、人员和面积均为随机生成,不代表真实情况。\n")
    out.write("# 由 tenants/generate_units.py 按固定随机种子生成;请改脚本后重新生成,不要手工修改。\n")
    out.write("# 只含部分区县;上级单位的人口、户数和人员是所列下级单位之和;"
              "facility_area_m2 是本单位党群服务中心(综合服务设施)面积,市、县(区)和网格为 0(不适用)。\n")
    out.write("# 有意设置的不达标单位,供标准检查演示:\n")
    for note in builder.notes:
        out.write(f"#   {note}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for unit in units:
        writer.writerow(unit.row())
    return out.getvalue(), len(units)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成租户的合成组织单位数据")
    parser.add_argument("--check", action="store_true", help="只比较,不写文件;不一致时退出码为 1")
    args = parser.parse_args(argv)
    stale = []
    for city in CITIES:
        path = HERE / f"{city.tenant}.units.csv"
        text, rows = render(city)
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"{path.name}: {rows} 个单位")
    if stale:
        print("与脚本输出不一致:" + "、".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
