"""The blank spreadsheets an admin fills in to onboard a province or city (``jiceng templates``):
清单, 职能部门名录 and 组织单位, each with the headers its importer reads, one example row (its
first cell starts with ``#``, so an import skips it) and a second sheet explaining every column.
"""
from __future__ import annotations

from pathlib import Path

from jiceng.platform.lists.table import LABELS

#: file name -> (columns: (header, what to write), example row)
TEMPLATES: dict[str, tuple[tuple[tuple[str, str], ...], tuple]] = {
    "清单模板.xlsx": (
        ((LABELS["seq"], "序号,可不填"),
         (LABELS["code"], "事项代码,可不填:平台按“租户代码-类别-序号”生成;部门的权责清单和任务的“清单事项代码”引用它"),
         (LABELS["name"], "事项名称(必填)"),
         (LABELS["category"], "事项类别(必填):清单名,如 依法自治事项、依法协助政府工作事项、减负事项、"
                              "不应由社区承担的事项、不应由社区出具的证明,或简称 自治、协助、减负、证明"),
         (LABELS["citation"], "依据:规则包中声明的文件编号和条款,如 S002 四(四),原文可写在其后的「」中;"
                              "几条依据分行写;也可以写文件名和条款(作为文字保存)"),
         (LABELS["department"], "责任部门,如 民政"),
         (LABELS["levels"], "适用层级:社区、村(两者都适用写 社区、村 或 城乡社区;不填即不限层级)。"
                            "写了层级的事项只在下派到这些层级的单位时算作清单内"),
         (LABELS["requires"], "须具备的条件,可不填:经费保障、工作条件、审批、备案、增配人员;整列不填时协助事项默认 经费保障、工作条件"),
         (LABELS["note"], "备注"),
         (LABELS["aliases"], "别名,可不填:任务中也可以这样写这个事项,多个用顿号分开"),
         (LABELS["example"], "示例,可不填:写“是”表示只是示例、不是公布的事项(判定时会说明)"),
         (LABELS["other"], "其他属性,可不填:JSON 对象,如 {\"出具单位\": \"公安机关\"}"),
         (LABELS["pack"], "来源规则包:导出时标明继承的事项来自哪里;本地新增的事项不填")),
        ("#示例", "", "组织居民议事协商", "依法自治事项", "S002 三(一)", "民政", "社区、村", "", "示例行:以 # 开头的行不导入",
         "", "", "", ""),
    ),
    "职能部门名录模板.xlsx": (
        (("部门代码", "部门代码(必填,本租户内唯一):字母、数字和 - _ ."),
         ("部门名称", "部门名称(必填),如 区民政局"),
         ("所属单位代码", "所属单位的 12 位区划代码(必填):省、市、县(区)、乡镇或街道"),
         ("类别", "职能部门 或 党委政府(必填)"),
         ("清单事项", "权责清单:清单事项代码,多个用顿号分开"),
         ("事项类别", "权责清单:事项类别,多个用顿号分开")),
        ("#示例", "区民政局", "430202000000", "职能部门", "ZZ-XZ-01、ZZ-XZ-02", "社会救助、养老服务"),
    ),
    "组织单位模板.xlsx": (
        (("代码", "12 位统计用区划代码;网格为所在社区代码加 3 位序号(必填)"),
         ("上级代码", "上级单位代码;本市(本省)自身留空"),
         ("层级", "市、县(区)、乡镇、街道、社区、村、网格(必填)"),
         ("名称", "名称(必填)"),
         ("常住人口", "整数"), ("城镇常住人口", "整数,不大于常住人口"), ("户数", "整数"),
         ("社区工作者", "人数,整数"), ("专职网格员", "人数,整数"), ("设施面积", "党群服务中心面积,平方米")),
        ("#示例", "430202000000", "街道", "某某街道", 42000, 42000, 15000, 30, 0, 1200),
    ),
}


def write_templates(folder: Path) -> list[Path]:
    """Write every template into ``folder``; returns the paths written."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (columns, example) in TEMPLATES.items():
        book = Workbook()
        sheet = book.active
        sheet.title = name.removesuffix("模板.xlsx")
        sheet.append([header for header, _ in columns])
        sheet.append(list(example))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for index, (header, _) in enumerate(columns):
            sheet.column_dimensions[sheet.cell(1, index + 1).column_letter].width = max(10, 3 * len(header) + 6)
        notes = book.create_sheet("填写说明")
        notes.append(["列", "怎么填"])
        for header, meaning in columns:
            notes.append([header, meaning])
        notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 16, 100
        path = folder / name
        book.save(path)
        written.append(path)
    return written
