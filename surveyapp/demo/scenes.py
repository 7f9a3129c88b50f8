"""Plausible demo evidence: a remark that says what was seen for the item that failed, and a photo of the
scene drawn with Pillow (a counter, the hall's sign, a caption naming the item), with no network."""
from __future__ import annotations

import datetime as dt
import functools
import io
import random
import textwrap
from typing import Any

from PIL import ExifTags, Image, ImageDraw, ImageFont

from surveyapp import clock, print_font

#: What a supervisor writes under a failed item, ``{text}`` being the item's own wording.
REMARK_TEMPLATES = ("现场未做到“{text}”，已拍照记录。", "检查时发现：{text}——本项不符合要求，已当场提醒值班经理。",
                    "“{text}”一项不达标，同一时段内观察两次均如此。")
#: Remarks of their own for items whose failure reads better in the supervisor's words (item id -> bank).
REMARKS = {
    "sober": ("当班营业员身上有明显酒气，承认午餐时饮酒。",),
    "off-task": ("营业员在柜台内低头玩手机，客户等候约两分钟才被接待。", "两名营业员在柜台内闲聊，未理会等候客户。"),
    "taboo": ("客户询问资费时营业员答“这个不归我管”，语气生硬。",),
    "uniform": ("营业员未佩戴工号牌，着装不统一。", "一名营业员穿便装上岗。"),
    "clean": ("等候区地面有纸屑，台面有水渍未清理。",),
    "machines": ("叫号机故障，未放置故障告示，客户排队混乱。", "自助缴费终端黑屏，无人处理。"),
    "greeting": ("客户到柜台时营业员未抬头，也未问候。",),
    "farewell": ("业务办理完毕后营业员未道别，直接叫下一位。",),
    "wait-time": ("取号至叫号等候约 35 分钟，期间无人安抚。",),
    "duty-manager": ("大堂经理不在岗，客户争执时无人出面。",),
    "pause-sign": ("窗口暂停服务未放置暂停服务牌，客户排到窗口才被告知。",),
}


def remark(item_id: str, item_text: str, seed: str) -> str:
    """A remark that matches the failed item: its own bank when it has one, else one quoting its wording.

    :param seed: e.g. the visit and item: the same remark on every load (and the caller's random sequence,
        which decides the rest of the demo, is left alone).
    """
    rng = random.Random(seed)
    if item_id in REMARKS:
        return rng.choice(REMARKS[item_id])
    return rng.choice(REMARK_TEMPLATES).format(text=item_text.rstrip("。；;"))


@functools.lru_cache(maxsize=4)
def _font(size: int) -> Any:
    try:
        path, index = print_font.source_face(400)
        return ImageFont.truetype(str(path), size, index=index)
    except (print_font.PrintFontError, OSError):
        return ImageFont.load_default(size)


def photo(hall_name: str, caption: str, seed: str, taken: dt.datetime | None = None) -> bytes:
    """A JPEG of a hall's counter under its sign, with the item as the caption (as a supervisor's photo with a note),
    carrying the capture time a phone writes when ``taken`` is given."""
    rng = random.Random(seed)
    width, height = 640, 480
    wall = tuple(rng.randrange(200, 240) for _ in range(3))
    image = Image.new("RGB", (width, height), wall)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 330, width, height), fill=(150, 150, 145))  # floor
    draw.rectangle((40, 20, width - 40, 90), fill=(0, 94, 160))  # the sign
    draw.text((width // 2, 55), hall_name, font=_font(30), fill="white", anchor="mm")
    for x in (70, 250, 430):  # windows of the counter, each with a screen
        draw.rectangle((x, 150, x + 140, 240), fill=(60, 70, 80))
        draw.rectangle((x + 10, 160, x + 130, 230), fill=(120, 170, 210) if rng.random() < 0.8 else (20, 20, 20))
    draw.rectangle((40, 250, width - 40, 340), fill=(176, 120, 70))  # the counter
    draw.rectangle((40, 250, width - 40, 262), fill=(200, 150, 100))
    for _ in range(rng.randrange(1, 4)):  # people waiting
        x = rng.randrange(60, width - 60)
        draw.ellipse((x - 14, 360, x + 14, 388), fill=(70, 50, 40))
        draw.rectangle((x - 18, 388, x + 18, 450), fill=tuple(rng.randrange(40, 200) for _ in range(3)))
    lines = textwrap.wrap(caption, 24)[:2]
    draw.rectangle((0, height - 34 * len(lines) - 10, width, height), fill=(0, 0, 0))
    for n, line in enumerate(lines):
        draw.text((14, height - 34 * (len(lines) - n) - 2), line, font=_font(22), fill=(255, 230, 120))
    exif = Image.Exif()
    if taken is not None:
        details = exif.get_ifd(ExifTags.IFD.Exif)
        local = clock.local(taken)
        offset = local.strftime("%z")
        details[ExifTags.Base.DateTimeOriginal] = local.strftime("%Y:%m:%d %H:%M:%S")
        details[ExifTags.Base.OffsetTimeOriginal] = f"{offset[:3]}:{offset[3:]}"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, exif=exif)
    return buffer.getvalue()
