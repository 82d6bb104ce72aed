"""The series each chart must show in the browser for the planted mart (planted.py), by chart key.

A series is a list of values in x order, or {name: value} for pies and funnels.
"""

EXPECTED = {
    "overview": {
        "trend:gmv": {"GMV": [1000, 1100, 1210]},
        "trend:orders": {"Orders": [10, 11, None]},
    },
    "traffic": {
        "trend:visits": {"Visits": [100, 120, 140]},
        "by:visits:channel": {"search": [60, 70, 80], "social": [40, 50, 60]},
        "activity:hour": {"events": [5, 9, 7]},
        "activity:weekday": {"events": [20, 25]},
    },
    "funnel": {
        "funnel:funnel_users": {"Users": {"view": 140, "cart": 50, "order": 12}},
        "trend:conversion_rate": {"Conversion rate": [10, 9.17, 8.64]},
        "steps:funnel_step": {"Step conversion": [0.36, 0.24]},
    },
    "cohorts": {
        "cohorts": {"retention": [[0, 0, 1], [1, 0, 0.4], [2, 0, 0.2], [0, 1, 1], [1, 1, 0.3]]},
    },
    "rfm": {
        "segments:size": {"customers": [30, 70]},
        "segments:value": {"value share": {"champions": 0.75, "at risk": 0.25}},
        "trend:repeat_rate": {"Repeat rate": [20, 21, 22]},
    },
    "rules": {
        "rules:graph": {
            "rules": {"item-101": 0.2, "item-202": 0.2, "item-303": 0.1, "item-101,item-202": 0.05},
        },
    },
    "recommendations": {
        "rec-eval": {"als": [0.12, 0.3, 0.25], "popular": [0.05, 0.1, 0.08]},
        "by:category_sales:category": {"books": [600, 650, 700], "toys": [400, 450, 510]},
    },
    "campaigns": {"rank:roi:campaign": {"ROI": [1.2, 1.8]}},
    "risk": {"trend:refund_rate": {"Refund rate": [2, 2.5, 1.5]}},
    "market": {
        "share:market_share": {"Market share": {"rival-1": 55, "ecomlab": 45}},
        "rank:market_share:site": {"Market share": [45, 55]},
    },
    "quality": {
        "quality:score": {"score": [0.99, 0.95]},
        "quality:rows": {"to DWD": [990, 95], "quarantined": [8, 4], "merged": [2, 1]},
    },
    "realtime": {
        "realtime:traffic": {"uv": [5, 6, 7, 8, 9], "pv": [20, 22, 24, 26, 28]},
        "realtime:orders": {"orders": [1, 0, 2, 1, 3]},
        "realtime:gmv": {"gmv": [99, 0, 250, 120, 310]},
    },
}
# Graph links the rules chart must draw: antecedent -> consequent with the rule's lift.
RULE_LINKS = {("item-101", "item-202", 3), ("item-202", "item-303", 2.5), ("item-101,item-202", "item-303", 4)}


def _value(point):
    if isinstance(point, dict):
        point = point.get("value")
    if isinstance(point, list) and len(point) == 2:  # [x, y] of a line on a category axis
        return point[1]
    return point


def shown(chart: dict) -> dict:
    """What a chart reported by the browser shows, in the shape of EXPECTED."""
    result = {}
    for series in chart["series"]:
        data = series["data"]
        if series["type"] in ("pie", "funnel", "graph"):
            result[series["name"]] = {point["name"]: point["value"] for point in data}
        elif series["type"] == "heatmap":
            result[series["name"]] = [_value(point) if isinstance(point, dict) else point for point in data]
        else:
            result[series["name"]] = [_value(point) for point in data]
    return result
