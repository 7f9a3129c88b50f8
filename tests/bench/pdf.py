"""PDF speed: a realistic monthly notice for 66 and 1,000 halls through ``surveyapp.pdf.render_pdf``.

Run with ``make bench`` (``bench_pdf``) or on its own with ``python -m tests.bench.pdf``. Prints the first
render in a fresh process, then warm render times, peak memory, pages and PDF size. Target (issue 5): a
66-hall notice in at most 1.0 s in-process.
"""
from __future__ import annotations

import os
import random
import re
import resource
import subprocess
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

from flask import Flask

NOTICE = """{% extends "pdf/base.html" %}
{% block content %}
<h1>{{ title }}</h1>
<p class="lead">{{ doc_number }}</p>
<h2>一、总体情况</h2>
<div class="prose">{% for p in overview %}<p>{{ p }}</p>{% endfor %}</div>
<figure>{{ bar_chart }}<figcaption>图1 各营业厅本月得分</figcaption></figure>
<figure>{{ trend_chart }}<figcaption>图2 近十二个月平均得分走势</figcaption></figure>
<h2>二、排名情况</h2>
<table class="data">
  <colgroup><col class="w-4"><col class="w-18"><col class="w-14"><col span="5" class="w-8"><col class="w-5"><col class="w-5"></colgroup>
  <thead><tr><th>排名</th><th>营业厅</th><th>所属单位</th><th>暗访</th><th>明查</th><th>监督员</th><th>总分</th><th>较上月</th><th>等级</th><th>红线</th></tr></thead>
  <tbody>{% for r in rows %}<tr><td>{{ r.rank }}</td><td>{{ r.name }}</td><td>{{ r.unit }}</td>
  <td class="num">{{ r.unannounced }}</td><td class="num">{{ r.announced }}</td><td class="num">{{ r.supervisor }}</td>
  <td class="num">{{ r.score }}</td><td class="num">{{ '%+.1f' % r.change }}</td><td>{{ r.band }}</td><td>{% if r.redline %}是{% endif %}</td></tr>{% endfor %}</tbody>
</table>
<h2>三、存在的主要问题</h2>
<div class="prose">{% for p in problems %}<p>{{ p }}</p>{% endfor %}</div>
<table class="data">
  <colgroup><col class="w-6"><col><col class="w-12"><col class="w-12"></colgroup>
  <thead><tr><th>序号</th><th>检查项目</th><th>失分次数</th><th>失分率</th></tr></thead>
  <tbody>{% for item in top_items %}<tr><td>{{ loop.index }}</td><td>{{ item.text }}</td>
  <td class="num">{{ item.count }}</td><td class="num">{{ item.rate }}%</td></tr>{% endfor %}</tbody>
</table>
<h2>四、表扬与服务之星</h2>
<div class="prose"><p>{{ praise }}</p></div>
<h2>五、奖励与处罚</h2>
<table class="data">
  <colgroup><col><col class="w-30"><col class="w-16"></colgroup>
  <thead><tr><th>营业厅</th><th>事项</th><th>金额（元）</th></tr></thead>
  <tbody>{% for m in money %}<tr><td>{{ m.hall }}</td><td>{{ m.what }}</td><td class="num">{{ m.amount }}</td></tr>{% endfor %}</tbody>
</table>
<h2>六、整改与申诉要求</h2>
<div class="prose">{% for p in instructions %}<p>{{ p }}</p>{% endfor %}</div>
<p class="signature">市场部<br>{{ date }}</p>
<h2 class="page-break">附件：各营业厅检查问题明细</h2>
{% for hall in annex %}
<h3>{{ hall.name }}（{{ hall.code }}）　得分 {{ hall.score }}</h3>
{% for f in hall.findings %}<p class="entry">{{ loop.index }}. {{ f.item }}（{{ f.channel }}，整改期限 {{ f.deadline }}）：{{ f.remark }}</p>{% endfor %}
{% endfor %}
{% endblock %}
"""

ITEMS = [
    "统一着装，佩戴工号牌，仪容整洁", "客户进门三米内主动起身微笑问候", "使用“您好、请、谢谢、对不起、再见”十字文明用语",
    "双手递接证件、单据和找零", "暂停服务时摆放暂停服务牌并引导客户", "客户排队较多时主动安抚并增开窗口",
    "办理业务一次性告知所需材料", "核验客户有效身份证件原件", "资费标准解释清楚，无误导宣传",
    "首问负责，不推诿客户", "投诉处理及时，记录完整", "厅内环境整洁，宣传资料摆放有序",
    "自助终端运行正常，有故障及时报修", "安全通道畅通，消防器材在有效期内", "业务办理结束后礼貌道别",
]
REMARKS = [
    "营业员未主动问候，客户等候约两分钟后才有人接待。", "暂停服务期间未摆放暂停服务牌，客户询问时答复生硬。",
    "办理缴费业务时单手递回发票，且未提醒客户核对金额。", "叫号系统故障约二十分钟，现场无人引导，客户多次询问。",
    "资费说明与宣传单不一致，客户提出疑问后营业员未能解释清楚。", "厅内地面有纸屑，宣传架资料过期（2025年版）。",
    "客户咨询宽带安装事宜，营业员称“这个不归我们管”，未做首问负责。", "自助缴费终端黑屏，未张贴故障提示。",
]
SENTENCES = [
    "本月，市场部会同各分公司对全市营业厅开展了明查暗访工作，共检查营业厅{n}个，完成暗访{v1}次、明查{v2}次、社会监督员检查{v3}次。",
    "从检查结果看，全市营业厅平均得分{avg}分，较上月提高{delta}分，服务规范执行情况总体平稳，窗口服务形象进一步提升。",
    "多数营业厅能够做到主动迎候、微笑服务，规范使用文明用语，业务办理流程清晰，一次性告知执行到位。",
    "但部分营业厅仍存在服务意识不强、细节执行不到位等问题，个别营业员在客户较多时出现态度生硬、解释不耐心的情况。",
    "各单位要高度重视，对照检查发现的问题逐项整改，举一反三，切实把“以客户为中心”的服务理念落实到每一个服务环节。",
    "部分厅自助设备故障后未及时报修，引导人员不足，导致高峰时段客户等候时间超过二十分钟，客户满意度明显下降。",
    "对于连续两个月排名末位的营业厅，市场部将约谈营业厅负责人，并在下月进行专项复查。",
]
UNITS = ["市区分公司", "城东分公司", "城西分公司", "高新区分公司", "开发区分公司", "临江县分公司", "青山县分公司", "南湖县分公司"]
CHANNELS = ["暗访", "明查", "监督员"]


def bar_chart(scores: list[float]) -> str:
    """A ranking bar chart as inline SVG, the way the notices capability draws one."""
    width, height = 600, 180
    step = width / max(1, len(scores))
    bars = "".join(
        f'<rect x="{i * step:.1f}" y="{height - s * 1.6:.1f}" width="{max(step - 1, .5):.1f}" height="{s * 1.6:.1f}" fill="#1f5fa8"/>'
        for i, s in enumerate(sorted(scores, reverse=True)))
    grid = "".join(f'<line x1="0" x2="{width}" y1="{height - v * 1.6}" y2="{height - v * 1.6}" stroke="#ccc" stroke-width=".5"/>'
                   f'<text x="2" y="{height - v * 1.6 - 2}" font-size="8" fill="#555" font-family="Noto Sans CJK SC">{v}</text>' for v in (60, 80, 100))
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="170mm">{grid}{bars}</svg>'


def trend_chart(values: list[float]) -> str:
    width, height = 600, 160
    points = " ".join(f"{40 + i * 50:.0f},{height - (v - 70) * 4:.1f}" for i, v in enumerate(values))
    labels = "".join(f'<text x="{40 + i * 50}" y="{height - 2}" font-size="9" text-anchor="middle" font-family="Noto Sans CJK SC">{i + 1}月</text>' for i in range(len(values)))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="170mm">'
            f'<polyline points="{points}" fill="none" stroke="#1f5fa8" stroke-width="2"/>{labels}</svg>')


def notice_context(halls: int, seed: int = 7) -> dict[str, Any]:
    """Data shaped like a monthly notice's: a ranking, narrative, problems, money and an annex per hall."""
    rnd = random.Random(seed)
    rows = []
    for i in range(halls):
        score = round(rnd.uniform(62, 99), 1)
        rows.append({"code": f"H{i + 1:04d}", "name": f"{rnd.choice(['人民路', '解放路', '中山路', '建设路', '滨江路'])}第{i + 1}营业厅",
                     "unit": rnd.choice(UNITS), "unannounced": round(rnd.uniform(60, 100), 1),
                     "announced": round(rnd.uniform(60, 100), 1), "supervisor": round(rnd.uniform(60, 100), 1),
                     "score": score, "change": round(rnd.uniform(-8, 8), 1), "band": "A" if score >= 90 else "B" if score >= 80 else "C",
                     "redline": rnd.random() < .05})
    rows.sort(key=lambda r: -r["score"])
    for rank, r in enumerate(rows, 1):
        r["rank"] = rank
    fill = {"n": halls, "v1": halls * 2, "v2": halls, "v3": halls, "avg": 86.4, "delta": 1.3}
    paragraphs = ["".join(s.format(**fill) for s in rnd.sample(SENTENCES, 5)) for _ in range(12)]
    annex = [{"name": r["name"], "code": r["code"], "score": r["score"],
              "findings": [{"item": rnd.choice(ITEMS), "channel": rnd.choice(CHANNELS), "remark": rnd.choice(REMARKS),
                            "deadline": f"2026-12-{rnd.randint(3, 12):02d}"} for _ in range(rnd.randint(2, 6))]}
             for r in rows]
    return {
        "title": "关于2026年11月营业厅服务质量明查暗访情况的通报", "company": "某某供电公司", "header": "2026年11月 · 服务质量通报",
        "author": "市场部", "doc_number": "市场〔2026〕45号", "overview": paragraphs[:6], "problems": paragraphs[6:10],
        "instructions": paragraphs[10:], "praise": "、".join(r["name"] for r in rows[:8]) + "等营业厅服务规范、环境整洁，予以通报表扬。",
        "rows": rows, "top_items": [{"text": t, "count": rnd.randint(3, 40), "rate": rnd.randint(5, 60)} for t in ITEMS[:10]],
        "money": [{"hall": r["name"], "what": "排名奖励" if r["rank"] <= 3 else "末位处罚", "amount": "1000.00"} for r in rows[:3] + rows[-3:]],
        "bar_chart": bar_chart([r["score"] for r in rows]), "trend_chart": trend_chart([rnd.uniform(80, 92) for _ in range(12)]),
        "date": "2026年12月2日", "annex": annex,
    }


def render_notice(app: Flask, halls: int) -> str:
    from markupsafe import Markup

    context = notice_context(halls)
    context["bar_chart"], context["trend_chart"] = Markup(context["bar_chart"]), Markup(context["trend_chart"])
    with app.test_request_context():
        return app.jinja_env.from_string(NOTICE).render(**context)


def pages_of(data: bytes) -> int:
    result = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    return int(re.search(rb"Pages:\s+(\d+)", result.stdout)[1])


def measure(app: Flask, halls: int, runs: int) -> dict[str, float]:
    """Best wall and CPU time of ``runs`` renders (CPU time is what other work on a shared machine does not
    inflate), then peak Python memory of one more render (tracemalloc slows rendering, so that one is not
    timed) and the process's peak resident memory so far."""
    from surveyapp.pdf import render_pdf

    html = render_notice(app, halls)
    wall = cpu = float("inf")
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        data = render_pdf(html)
        wall, cpu = min(wall, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    tracemalloc.start()
    render_pdf(html)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"wall": wall, "cpu": cpu, "python_mb": peak / 2**20, "pages": pages_of(data), "kb": len(data) / 1024,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measurements() -> Iterator[tuple[str, float, str, str]]:
    """``(figure, value, unit, note)`` rows: the first render in a fresh process (fonts not loaded yet),
    then warm renders of the 66-hall and the 1,000-hall notice."""
    from surveyapp import create_app
    from surveyapp.pdf import render_pdf

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": "sqlite://"})
    with app.app_context():
        html = render_notice(app, 66)
        start = time.perf_counter()
        render_pdf(html)
        yield "66-hall notice, first render in a process", time.perf_counter() - start, "s", "loads the fonts"
        for halls, runs in ((66, 5), (1000, 1)):
            f = measure(app, halls, runs)
            note = f"{f['pages']:.0f} pages, {f['kb']:.0f} KB" + (f", best of {runs}" if runs > 1 else "")
            target = " (target: 1.0 s)" if halls == 66 else ""
            yield f"{halls}-hall notice, render time", f["wall"], "s", note + target
            yield f"{halls}-hall notice, render CPU time", f["cpu"], "s", "what a busy machine does not inflate"
            yield f"{halls}-hall notice, peak Python memory", f["python_mb"], "MB", "tracemalloc"
            yield f"{halls}-hall notice, process peak RSS", f["rss_mb"], "MB", "Pango and fonts included"


def bench_pdf() -> Iterator[Any]:
    """For ``python -m tests.bench``."""
    from tests.bench import Figure

    for name, value, unit, note in measurements():
        yield Figure(name, "-", value, unit, note)


def main() -> None:
    import weasyprint

    from surveyapp.pdf import fast_font_subsetting

    print(f"pdf: WeasyPrint {weasyprint.__version__}, HarfBuzz font subsetting: {fast_font_subsetting()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for name, value, unit, note in measurements():
        print(f"pdf: {name}: {value:.2f} {unit} ({note})", flush=True)


if __name__ == "__main__":
    main()
