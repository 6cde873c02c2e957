"""Build the sample platform exports from their canonical JSON Lines twins.

    python examples/exports/build.py twins GENERATED.jsonl   # twins from `checker generate` output
    python examples/exports/build.py exports                 # exports from the twins (deterministic)

Each sample is one source in the shape its platform exports it, with the
canonical events it must map to beside it (``*.canonical.jsonl``):

* ``kuaishou/``: Kuaishou distribution cooperation records, CSV with Chinese
  headers in GBK, as two daily-range files that overlap (the overlap shows up
  as duplicates), times like ``2024/03/01 10:00:00``;
* ``juhuasuan/``: Juhuasuan sign-up log, a gzip-compressed JSON array with
  Chinese keys, details nested, times in epoch milliseconds;
* ``aliexpress/``: AliExpress affiliate log, TSV in UTF-8 with a byte order
  mark, times in epoch seconds.

``tests/test_sample_exports.py`` rebuilds the exports from the twins and
checks they are byte-identical to the files shipped, and that each export,
read with its profile in ``profiles/``, gives the findings of its twin.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
TZ = ZoneInfo("Asia/Shanghai")
TIME_FIELDS = ("promotion_start", "promotion_end", "new_end", "campaign_start", "order_created_at")

KUAISHOU_ACTIONS = {
    "distribution.enrolled": "报名推广", "distribution.order_paid": "订单支付",
    "distribution.cancel_requested": "取消推广", "distribution.cancel_approved": "团长同意取消",
    "distribution.cancel_rejected": "团长拒绝取消", "distribution.cancelled": "合作失效",
    "distribution.extension_requested": "申请延长推广", "distribution.extension_approved": "同意延长",
    "distribution.extension_rejected": "拒绝延长",
}
JUHUASUAN_ACTIONS = {
    "juhuasuan.signup_submitted": "提交报名", "juhuasuan.first_review_passed": "一审通过",
    "juhuasuan.sample_shipped": "寄出样品", "juhuasuan.sample_received": "收到样品",
    "juhuasuan.second_review_passed": "二审通过", "juhuasuan.second_review_failed": "二审未通过",
    "juhuasuan.sample_returned": "退回样品", "juhuasuan.signup_approved": "报名成功",
    "juhuasuan.deposit_frozen": "冻结保证金", "juhuasuan.campaign_started": "活动上线",
    "juhuasuan.operator_consented": "小二同意", "juhuasuan.signup_cancelled": "取消报名",
}
ALIEXPRESS_ACTIONS = {
    "affiliate.joined": "加入联盟", "affiliate.exit_requested": "申请退出联盟",
    "affiliate.exited": "退出联盟生效", "order.completed": "订单完成",
}
ACTORS = {"seller": "商家", "leader": "团长", "system": "系统", "customer": "买家", "platform": "平台",
          "operator": "小二"}
SUBJECT_TYPES = {"affiliate_program": "联盟计划", "order": "订单"}


# --- twins: canonical events at the exports' precision ----------------------------------------


def _instant(value: Any) -> datetime:
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) >= 10**11 else value
        return datetime.fromtimestamp(int(seconds), TZ)
    text = str(value).replace("Z", "+00:00")
    dt = datetime.fromisoformat(text)
    dt = dt if dt.tzinfo else dt.replace(tzinfo=TZ)
    return dt.astimezone(TZ).replace(microsecond=0)


def _rfc3339(value: Any) -> str:
    return _instant(value).isoformat(timespec="seconds")


def canonical(event: dict[str, Any]) -> dict[str, Any]:
    """An event as its export can carry it: times in Beijing time to the second."""
    out = {k: event[k] for k in ("event_id", "timestamp", "platform", "seller_id", "action")}
    out["timestamp"] = _rfc3339(event["timestamp"])
    if event.get("subject"):
        out["subject"] = {"type": event["subject"]["type"], "id": str(event["subject"]["id"])}
    if event.get("actor"):
        out["actor"] = event["actor"]
    data = dict(event.get("data") or {})
    for key in TIME_FIELDS:
        if key in data:
            data[key] = _rfc3339(data[key])
    if data:
        out["data"] = data
    return out


SOURCES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "kuaishou": lambda e: e["action"] in KUAISHOU_ACTIONS,
    "juhuasuan": lambda e: e["action"] in JUHUASUAN_ACTIONS,
    "aliexpress": lambda e: e["action"] in ALIEXPRESS_ACTIONS and e["platform"] == "aliexpress",
}


def build_twins(generated: Path) -> None:
    """Write each source's twin from ``checker generate`` output, in time order."""
    events = [json.loads(line) for line in generated.read_text("utf-8").splitlines() if line.strip()]
    for name, wanted in SOURCES.items():
        chosen = sorted((canonical(e) for e in events if wanted(e)),
                        key=lambda e: (e["timestamp"], e["event_id"]))
        path = HERE / name / f"{name}.canonical.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in chosen), "utf-8")


def read_twin(name: str, root: Path = HERE) -> list[dict[str, Any]]:
    """The canonical twin of a sample."""
    text = (root / name / f"{name}.canonical.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --- exports ---------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _slashed(text: str | None) -> str:
    return "" if text is None else datetime.fromisoformat(text).strftime("%Y/%m/%d %H:%M:%S")


def _epoch(text: str | None, scale: int = 1) -> int | str:
    return "" if text is None else int(datetime.fromisoformat(text).timestamp()) * scale


KUAISHOU_HEADER = ("记录ID", "操作时间", "商家ID", "合作ID", "操作类型", "操作方", "团长ID", "商品ID",
                   "佣金比例", "服务费比例", "推广开始时间", "推广结束时间", "基础订单数", "订单号",
                   "订单金额", "是否团长渠道", "申请延长至")


def _kuaishou_row(e: dict[str, Any]) -> list[str]:
    d = e.get("data", {})
    return [_cell(v) for v in (
        e["event_id"], _slashed(e["timestamp"]), e["seller_id"], e["subject"]["id"],
        KUAISHOU_ACTIONS[e["action"]], ACTORS.get(e.get("actor", "")), d.get("leader_id"),
        d.get("item_id"), d.get("commission_rate"), d.get("service_fee_rate"),
        _slashed(d.get("promotion_start")), _slashed(d.get("promotion_end")),
        d.get("base_paid_orders"), d.get("order_id"), d.get("amount"), d.get("via_leader"),
        _slashed(d.get("new_end")))]


def kuaishou_exports(events: list[dict[str, Any]]) -> dict[str, bytes]:
    """Two overlapping daily-range CSV files in GBK, as the Kuaishou backend exports them."""
    half = len(events) // 2
    overlap = min(12, half)
    parts = [events[:half + overlap], events[half:]]
    out = {}
    for part in parts:
        first, last = part[0]["timestamp"][:10], part[-1]["timestamp"][:10]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(KUAISHOU_HEADER)
        writer.writerows(_kuaishou_row(e) for e in part)
        out[f"kuaishou-distribution-{first}_{last}.csv"] = buf.getvalue().encode("gbk")
    return out


def _juhuasuan_record(e: dict[str, Any]) -> dict[str, Any]:
    d = e.get("data", {})
    details = {key: value for key, value in (
        ("商品ID", d.get("item_id")), ("团购价", d.get("group_price")),
        ("计划数量", d.get("planned_quantity")), ("快递单号", d.get("tracking_no")),
        ("原因", d.get("reason")), ("应缴保证金", d.get("required_deposit")),
        ("活动开始时间", d["campaign_start"].replace("T", " ")[:19] if "campaign_start" in d else None),
        ("金额", d.get("amount")), ("币种", d.get("currency")), ("小二", d.get("operator")),
        ("备注", d.get("note"))) if value is not None}
    record: dict[str, Any] = {
        "流水号": e["event_id"], "操作时间戳": _epoch(e["timestamp"], 1000), "卖家ID": e["seller_id"],
        "报名ID": e["subject"]["id"], "环节": JUHUASUAN_ACTIONS[e["action"]],
    }
    if "actor" in e:
        record["操作角色"] = ACTORS[e["actor"]]
    if details:
        record["详情"] = details
    return record


def juhuasuan_exports(events: list[dict[str, Any]]) -> dict[str, bytes]:
    """One gzip-compressed JSON array with Chinese keys and nested details."""
    lines = ",\n".join("  " + json.dumps(_juhuasuan_record(e), ensure_ascii=False) for e in events)
    text = f"[\n{lines}\n]\n".encode()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(text)
    return {"juhuasuan-signups.json.gz": buf.getvalue()}


ALIEXPRESS_HEADER = ("记录编号", "发生时间", "卖家账号", "事件", "操作方", "对象类型", "对象ID", "默认佣金率",
                     "下单时间", "联盟订单", "佣金金额", "订单金额", "币种")


def aliexpress_exports(events: list[dict[str, Any]]) -> dict[str, bytes]:
    """One TSV file in UTF-8 with a byte order mark, times in epoch seconds."""
    rows = ["\t".join(ALIEXPRESS_HEADER)]
    for e in events:
        d = e.get("data", {})
        rows.append("\t".join(_cell(v) for v in (
            e["event_id"], _epoch(e["timestamp"]), e["seller_id"], ALIEXPRESS_ACTIONS[e["action"]],
            ACTORS.get(e.get("actor", "")), SUBJECT_TYPES[e["subject"]["type"]], e["subject"]["id"],
            d.get("default_commission_rate"), _epoch(d.get("order_created_at")),
            d.get("affiliate_attributed"), d.get("commission_amount"), d.get("order_amount"),
            d.get("currency"))))
    return {"aliexpress-affiliate.tsv": ("\ufeff" + "\n".join(rows) + "\n").encode("utf-8")}


EXPORTS: dict[str, Callable[[list[dict[str, Any]]], dict[str, bytes]]] = {
    "kuaishou": kuaishou_exports, "juhuasuan": juhuasuan_exports, "aliexpress": aliexpress_exports,
}


def build_exports(root: Path = HERE, target: Path | None = None) -> dict[str, list[Path]]:
    """Write every sample's export files from its twin; returns the files by sample."""
    written: dict[str, list[Path]] = {}
    for name, build in EXPORTS.items():
        folder = (target or root) / name
        folder.mkdir(parents=True, exist_ok=True)
        written[name] = []
        for file_name, content in build(read_twin(name, root)).items():
            (folder / file_name).write_bytes(content)
            written[name].append(folder / file_name)
    return written


if __name__ == "__main__":
    if sys.argv[1:2] == ["twins"] and len(sys.argv) == 3:
        build_twins(Path(sys.argv[2]))
    elif sys.argv[1:] == ["exports"]:
        build_exports()
    else:
        sys.exit(__doc__)
