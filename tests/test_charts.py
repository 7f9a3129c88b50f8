"""The SVG charts: escaped labels, no script or style attribute (CSP), both layouts of the ranking."""
from __future__ import annotations

from xml.etree import ElementTree

from surveyapp import charts

BANDS = [("A", 90.0), ("B", 80.0), ("C", 0.0)]


def parse(svg: str) -> ElementTree.Element:
    root = ElementTree.fromstring(str(svg))  # well-formed XML, so the labels were escaped
    for element in root.iter():
        assert "style" not in element.attrib and not element.tag.endswith("script")
    return root


def texts(root: ElementTree.Element) -> list[str]:
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_a_few_halls_get_labelled_bars_with_escaped_names():
    bars = [charts.Bar('<img src="file:///etc/passwd">营业厅', 95.25, "A", text="95.3"),
            charts.Bar("解放路营业厅", 0, "C", redline=True, text="0.0")]
    root = parse(charts.ranking_chart(bars, BANDS, "得分 & 排名"))
    labels = texts(root)
    assert '<img src="file:///etc/passwd">营业厅' in labels and "95.3" in labels and "0.0 !" in labels
    assert len(root.findall("{http://www.w3.org/2000/svg}rect")) == 2


def test_many_halls_become_one_path_per_band():
    bars = [charts.Bar(f"H{n}", 100 - n * 0.05, "A" if n < 200 else "B" if n < 600 else "C") for n in range(1000)]
    root = parse(charts.ranking_chart(bars, BANDS, "1000"))
    assert len(root.findall("{http://www.w3.org/2000/svg}path")) == 3
    assert not root.findall("{http://www.w3.org/2000/svg}rect")


def test_many_halls_name_the_first_and_the_last_under_their_columns():
    bars = [charts.Bar(f"第{n}名营业厅", 100 - n * 0.5, "A") for n in range(1, 67)]
    names = texts(parse(charts.ranking_chart(bars, BANDS, "66")))
    assert {"第1名营业厅", "第5名营业厅", "第62名营业厅", "第66名营业厅", "…"} <= set(names)
    assert "第6名营业厅" not in names and "第61名营业厅" not in names
