"""Small checklist files for tests: a valid one, and helpers to write variants of it."""
from __future__ import annotations

MINI = '''
[form]
id = "mini"
version = 1
title = "小检查表"
title_en = "Mini checklist"
visit_types = ["announced", "unannounced"]

[[section]]
id = "appearance"
title = "仪容仪表"
title_en = "Appearance"

[[section.item]]
id = "uniform"
text = "统一着装，整洁规范"
text_en = "Uniform worn, clean and correct"
kind = "check"
points = 2
evidence = "on-fail"
guidance = "工号牌佩戴在左胸"

[[section.item]]
id = "smile"
text = "微笑服务"
kind = "scale"
points = 4

[[section]]
id = "conduct"
title = "言行容礼"

[[section.item]]
id = "taboo"
text = "使用服务禁语"
text_en = "Forbidden phrases used"
kind = "count"
points = 4
per = 2
redline = true
evidence = "required"

[[section.item]]
id = "roster"
text = "排班表公示"
kind = "check"
points = 2
visit_types = ["announced"]
hall_types = ["self-run"]

[[section.item]]
id = "staff"
text = "服务人员工号"
kind = "staff"

[[section.item]]
id = "notes"
text = "其他意见"
kind = "text"
required = true
'''


def variant(old: str, new: str, source: str = MINI) -> str:
    """``source`` with one fragment replaced (the fragment must be there, so a typo fails loudly)."""
    assert old in source, old
    return source.replace(old, new, 1)
