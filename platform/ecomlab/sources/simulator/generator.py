"""The shop simulator: seeded, deterministic, chunked.

It writes one CSV per fact entity and day (plus dimension snapshots for the last day),
the planted ground truth (`truth.json`, `truth_segments.csv`) and every injected defect
(`truth_defects.csv`). Sessions are generated a chunk at a time, so memory is bounded by
the chunk and the number of users and items, not by the number of events. The output
directory is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecomlab.sources.simulator import entities as E
from ecomlab.sources.simulator import world as W
from ecomlab.sources.simulator.csvout import (
    CsvFile,
    constant,
    dates,
    ints,
    labels,
    lines_to_bytes,
    money,
    render_lines,
    timestamps,
)
from ecomlab.sources.simulator.defects import DEFECT_TYPES, DefectLog, DirtyWriter, Window

DAY = W.DAY
MIN_EVENTS, MAX_EVENTS = 10_000, 100_000_000
PAGE_TYPES = ["home", "search", "category", "product", "cart", "checkout", "payment"]
HOME, SEARCH, CATEGORY, PRODUCT, CART, CHECKOUT, PAYMENT = range(len(PAGE_TYPES))
EVENT_TYPES = ["page_view", "cart_add", "favourite"]
# The page a session lands on, by channel (CHANNELS order).
ENTRY_PAGE = np.array([HOME, SEARCH, SEARCH, PRODUCT, PRODUCT, PRODUCT, PRODUCT])
REFERRERS = [
    "",
    "https://search.example/",
    "https://ads.search.example/",
    "https://social.example/",
    "https://mail.example/",
    "https://partner.example/",
    "https://display.example/",
]
# The key each defect is logged under (several columns are joined with ":").
KEYS = {
    "events": ("event_id",),
    "orders": ("order_id",),
    "order_items": ("order_id", "line_no"),
    "payments": ("payment_id",),
    "refunds": ("refund_id",),
    "reviews": ("review_id",),
    "users": ("user_id",),
    "items": ("item_id",),
}
SYLLABLES = ["ka", "lo", "mi", "ren", "to", "va", "zen", "ori", "sun", "li", "mo", "ta", "ne", "qi", "ara"]


class SimulatorError(ValueError):
    """The simulator was asked for something it cannot do; the message names the parameter."""


@dataclass(frozen=True)
class SimulatorConfig:
    events: int = 100_000
    days: int = 7
    start: date = date(2026, 11, 1)
    seed: int = 20261101
    defect_rate: float = 0.002
    dirty: bool = True
    chunk_sessions: int = 20_000

    def __post_init__(self):
        if not MIN_EVENTS <= self.events <= MAX_EVENTS:
            raise SimulatorError(f"events: must be between {MIN_EVENTS:,} and {MAX_EVENTS:,}, got {self.events:,}")
        if not 1 <= self.days <= 366:
            raise SimulatorError(f"days: must be between 1 and 366, got {self.days}")
        if not 0 <= self.defect_rate <= 0.05:
            raise SimulatorError(f"defect_rate: must be between 0 and 0.05, got {self.defect_rate}")
        if self.chunk_sessions < 100:
            raise SimulatorError(f"chunk_sessions: must be at least 100, got {self.chunk_sessions}")

    @property
    def end(self) -> date:
        """Last simulated day (inclusive)."""
        return self.start + timedelta(days=self.days - 1)

    def day(self, index: int) -> str:
        return (self.start + timedelta(days=index)).isoformat()


@dataclass(frozen=True)
class SimFile:
    entity: str
    dt: str
    path: Path
    rows: int


@dataclass
class SimulationResult:
    out_dir: Path
    config: SimulatorConfig
    files: list[SimFile]
    truth_path: Path
    defects_path: Path
    events: int
    rows: dict[str, int] = field(default_factory=dict)


def simulate(config: SimulatorConfig, out_dir: Path, progress: Callable[[int], None] | None = None) -> SimulationResult:
    """Generate a complete data set into `out_dir` (replacing what was there)."""
    out_dir = Path(out_dir).resolve()
    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        result = _Simulation(config, partial, progress).run()
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(out_dir, ignore_errors=True)
    partial.rename(out_dir)
    result.out_dir = out_dir
    result.files = [SimFile(f.entity, f.dt, out_dir / f.path.relative_to(partial), f.rows) for f in result.files]
    result.truth_path = out_dir / result.truth_path.name
    result.defects_path = out_dir / result.defects_path.name
    return result


def read_simulation(out_dir: Path) -> SimulationResult:
    """Describe a finished simulator output directory (from its truth file and CSV files)."""
    out_dir = Path(out_dir).resolve()
    truth_path = out_dir / "truth.json"
    if not truth_path.is_file():
        raise SimulatorError(f"{out_dir} is not a simulator output directory: no truth.json")
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    settings = dict(truth["config"], start=date.fromisoformat(truth["config"]["start"]))
    files = []
    for entity in E.ALL:
        for path in sorted((out_dir / entity.name).glob("dt=*/*.csv")):
            with path.open("rb") as handle:
                rows = sum(chunk.count(b"\n") for chunk in iter(lambda h=handle: h.read(1 << 20), b"")) - 1
            files.append(SimFile(entity.name, path.parent.name.removeprefix("dt="), path, rows))
    return SimulationResult(
        out_dir,
        SimulatorConfig(**settings),
        files,
        truth_path,
        out_dir / "truth_defects.csv",
        truth["events"],
        dict(truth["rows_written"]),
    )


@dataclass(frozen=True)
class _Sessions:
    """One chunk's sessions, as the order generation needs them (arrays indexed by session)."""

    converting: np.ndarray
    k: np.ndarray  # basket size
    basket_session: np.ndarray  # basket lines, sorted by session
    basket_item: np.ndarray
    session_id: np.ndarray
    user: np.ndarray
    segment: np.ndarray
    spend: np.ndarray
    channel: np.ndarray
    campaign: np.ndarray
    page_time: np.ndarray  # indexed by page
    page_start: np.ndarray  # first page of each session
    n_pages: np.ndarray


class _Simulation:
    def __init__(self, config: SimulatorConfig, out: Path, progress: Callable[[int], None] | None):
        self.c = config
        self.out = out
        self.progress = progress or (lambda n: None)
        self.world = W.build_world(np.random.default_rng([config.seed, 0]), config.events, config.start, config.days)
        self.log = DefectLog(out / "truth_defects.csv") if config.dirty else None
        self.files: list[SimFile] = []
        self.rows: dict[str, int] = {}
        self.next_id = {
            name: 1 for name in ("event", "session", "order", "payment", "refund", "review", "complaint", "restock")
        }
        w = self.world
        self.anonymous_pool = max(w.n_users * 2, 1000)
        # Truth accumulators (clean data only).
        self.orders_total = 0
        self.item_orders = np.zeros(w.n_items + 1, dtype=np.int64)
        self.pair_both = np.zeros(len(w.pairs), dtype=np.int64)
        self.campaign_sessions = np.zeros(w.n_campaigns, dtype=np.int64)
        self.channel_sessions = np.zeros((config.days, len(W.CHANNELS)), dtype=np.int64)
        self.segment_orders = np.zeros(len(W.SEGMENTS), dtype=np.int64)
        # Inventory state.
        rng = np.random.default_rng([config.seed, 2])
        self.stock = rng.integers(40, 400, w.n_items)
        self.reorder_point = rng.integers(10, 40, w.n_items)
        self.pending: list[tuple[int, int, int, int]] = []  # (arrival day, item index, quantity, ordered ts)

    # ---- driver ------------------------------------------------------------------------

    def run(self) -> SimulationResult:
        c = self.c
        weekday = np.array([W.WEEKDAY[(c.start + timedelta(days=d)).weekday()] for d in range(c.days)])
        sessions_per_day = np.round(W.scale(c.events)["sessions"] * weekday / weekday.sum()).astype(np.int64)
        events = 0
        for d in range(c.days):
            events += self._day(d, int(sessions_per_day[d]))
        self._snapshots()
        if self.log:
            self.log.close()
        truth_path = self._truth(events)
        return SimulationResult(self.out, c, self.files, truth_path, self.out / "truth_defects.csv", events, self.rows)

    def _open(self, entity, dt: str) -> tuple[CsvFile, DirtyWriter]:
        csv_file = CsvFile(self.out / entity.name / f"dt={dt}" / f"{entity.name}.csv", entity.columns)
        writer = DirtyWriter(
            csv_file, entity.name, dt, KEYS.get(entity.name, entity.columns[:1]), self.log, self.c.defect_rate
        )
        return csv_file, writer

    def _close(self, entity, csv_file: CsvFile, dt: str) -> None:
        csv_file.close()
        self.files.append(SimFile(entity.name, dt, csv_file.path, csv_file.rows))
        self.rows[entity.name] = self.rows.get(entity.name, 0) + csv_file.rows

    def _day(self, d: int, base_sessions: int) -> int:
        c, w = self.c, self.world
        dt = c.day(d)
        day_start = w.start_ts + d * DAY
        window = Window(day_start, day_start + DAY)
        rng = np.random.default_rng([c.seed, 1, d])

        # Session sources: the ordinary channel mix, plus each active campaign's planted uplift.
        active = np.flatnonzero((w.campaign_start_day <= d) & (d <= w.campaign_end_day))
        extra = np.round(base_sessions * W.CHANNEL_SHARE[w.campaign_channel[active]] * (w.campaign_uplift[active] - 1))
        weights = np.concatenate([base_sessions * W.CHANNEL_SHARE, extra])
        total_sessions = int(weights.sum().round())
        source_p = weights / weights.sum()

        # Users who may visit today: registered before the day ends, and still active.
        registered = w.user_registered_ts < day_start + DAY
        active_share = np.array([s["active"] for s in W.SEGMENTS.values()])[w.user_segment]
        still_active = d < np.ceil(active_share * c.days)
        visit = w.user_visit_weight * (registered & still_active)
        user_cdf = np.cumsum(visit) / visit.sum()

        writers = {
            e.name: self._open(e, dt)
            for e in (E.EVENTS, E.ORDERS, E.ORDER_ITEMS, E.PAYMENTS, E.REFUNDS, E.REVIEWS, E.COMPLAINTS)
        }
        sold = np.zeros(w.n_items, dtype=np.int64)
        category_sales = np.zeros(len(W.CATEGORY_NAMES), dtype=np.int64)
        events = 0
        for first in range(0, total_sessions, c.chunk_sessions):
            n = min(c.chunk_sessions, total_sessions - first)
            source = rng.choice(len(source_p), size=n, p=source_p)
            tables, chunk_sold, chunk_sales = self._sessions(rng, d, day_start, source, active, user_cdf)
            # Orders before their lines, refunds before payments: the rows that a cross-table
            # defect is checked against are kept sound, so the defect stays detectable.
            protected: list[str] = []
            for name, columns in tables.items():
                spare = None
                if name in ("order_items", "payments") and protected:
                    spare = np.asarray(pc.is_in(columns["order_id"], pa.array(protected, pa.string())))
                found = writers[name][1].write(rng, columns, window, orphan_base=10_000_000_000, spare=spare)
                if name in ("orders", "refunds"):
                    protected = found
            sold += chunk_sold
            category_sales += chunk_sales
            events += len(tables["events"]["event_id"])
            self.progress(len(tables["events"]["event_id"]))
        for name, (csv_file, _) in writers.items():
            self._close(E.BY_NAME[name], csv_file, dt)

        self._ad_spend(rng, d, dt, active)
        self._inventory(rng, d, dt, day_start, sold)
        self._market(rng, dt, category_sales)
        return events

    # ---- sessions, clickstream and orders ---------------------------------------------

    def _sessions(self, rng, d, day_start, source, active_campaigns, user_cdf):
        w = self.world
        n_ch = len(W.CHANNELS)
        S = len(source)
        is_campaign = source >= n_ch
        campaign = np.full(S, -1, dtype=np.int64)
        campaign[is_campaign] = active_campaigns[source[is_campaign] - n_ch]
        channel = np.where(is_campaign, w.campaign_channel[np.maximum(campaign, 0)], np.minimum(source, n_ch - 1))
        np.add.at(self.campaign_sessions, campaign[is_campaign], 1)

        logged_in = rng.random(S) < 0.72
        user = np.where(logged_in, np.searchsorted(user_cdf, rng.random(S), side="right") + 1, 0)
        user = np.minimum(user, w.n_users)
        own_channel = logged_in & ~is_campaign & (rng.random(S) < 0.4)
        channel[own_channel] = w.user_channel[user[own_channel] - 1]
        np.add.at(self.channel_sessions[d], channel, 1)
        visitor = np.where(logged_in, user, w.n_users + 1 + rng.integers(0, self.anonymous_pool, S))
        segment = np.where(logged_in, w.user_segment[np.maximum(user, 1) - 1], -1)

        seg_conv = np.array([s["conversion"] for s in W.SEGMENTS.values()])
        seg_spend = np.array([s["spend"] for s in W.SEGMENTS.values()])
        conv_p = np.where(logged_in, seg_conv[np.maximum(segment, 0)], 0.0) * np.where(is_campaign, 1.2, 1.0)
        converting = rng.random(S) < conv_p
        spend = np.where(logged_in, seg_spend[np.maximum(segment, 0)], 1.0)

        # Baskets of converting sessions, with planted companions added.
        k = np.where(converting, 1 + np.minimum(rng.poisson(0.3 + 0.4 * spend), 4), 0)
        basket_session = np.repeat(np.arange(S), k)
        basket_item = _draw_by_group(rng, segment[basket_session], w.segment_item_cdf, None, w.n_items)
        basket_session, basket_item = _unique_pairs(basket_session, basket_item)
        for a, b in w.pairs:
            has_a = np.unique(basket_session[basket_item == a])
            has_b = np.unique(basket_session[basket_item == b])
            add = np.setdiff1d(has_a, has_b)
            add = add[rng.random(len(add)) < w.pair_probability]
            basket_session = np.concatenate([basket_session, add])
            basket_item = np.concatenate([basket_item, np.full(len(add), b)])
        order_by = np.lexsort((basket_item, basket_session))
        basket_session, basket_item = basket_session[order_by], basket_item[order_by]
        k = np.bincount(basket_session, minlength=S)

        # Pages per session: entry, basket products, browsing, then cart/checkout/payment.
        bounce = ~converting & (rng.random(S) < 0.35)
        browse = np.where(bounce, 0, rng.geometric(0.3, S) - 1)
        n_pages = 1 + k + browse + np.where(converting, 3, 0)
        T = int(n_pages.sum())
        sess = np.repeat(np.arange(S), n_pages)
        starts = np.concatenate([[0], np.cumsum(n_pages)[:-1]])
        pos = np.arange(T) - starts[sess]
        L = n_pages[sess]
        page = rng.choice([PRODUCT, CATEGORY, SEARCH], size=T, p=[0.65, 0.2, 0.15])
        page[pos == 0] = ENTRY_PAGE[channel[sess[pos == 0]]]
        conv_page = converting[sess]
        page[conv_page & (pos >= 1) & (pos <= k[sess])] = PRODUCT
        page[conv_page & (pos == L - 3)] = CART
        page[conv_page & (pos == L - 2)] = CHECKOUT
        page[conv_page & (pos == L - 1)] = PAYMENT
        item = np.where(page == PRODUCT, np.searchsorted(w.item_popularity_cdf, rng.random(T), side="right") + 1, 0)
        item = np.minimum(item, w.n_items)
        # Planted taste: part of a logged-in user's product views come from their favourite category.
        tasted = np.flatnonzero((page == PRODUCT) & logged_in[sess] & (rng.random(T) < W.TASTE))
        taste = w.user_taste[np.maximum(user[sess[tasted]], 1) - 1].astype(np.int64)
        item[tasted] = _draw_by_group(rng, taste, w.category_item_cdf, w.category_items, w.n_items)
        basket_slot = conv_page & (pos >= 1) & (pos <= k[sess])
        item[basket_slot] = basket_item  # both in session order, then basket order

        hour = np.searchsorted(np.cumsum(W.HOURLY) / W.HOURLY.sum(), rng.random(S), side="right")
        start = day_start + np.minimum(hour, 23) * 3600 + rng.integers(0, 3600, S)
        dwell = np.clip(rng.lognormal(3.3, 0.8, T), 1, 1800).astype(np.int64)
        dwell[page == PRODUCT] = np.minimum(dwell[page == PRODUCT] * 3 // 2, 1800)
        elapsed = np.cumsum(dwell) - dwell
        elapsed -= elapsed[starts][sess]
        # Keep every event inside the day: late sessions are squeezed before midnight.
        t = np.minimum(start[sess] + elapsed, day_start + DAY - 1)

        # Actions on product pages: cart adds (basket items, and abandoned carts) and favourites.
        cart = basket_slot | (~conv_page & logged_in[sess] & (page == PRODUCT) & (rng.random(T) < 0.1))
        fav = logged_in[sess] & (page == PRODUCT) & ~cart & (rng.random(T) < 0.05)
        act = np.flatnonzero(cart | fav)
        act_type = np.where(cart[act], 1, 2)
        act_t = np.minimum(
            t[act] + np.minimum(rng.integers(1, 30, len(act)), np.maximum(dwell[act] - 1, 1)), day_start + DAY - 1
        )

        ev_sess = np.concatenate([sess, sess[act]])
        ev_time = np.concatenate([t, act_t])
        ev_type = np.concatenate([np.zeros(T, dtype=np.int64), act_type])
        ev_page = np.concatenate([page, page[act]])
        ev_item = np.concatenate([item, item[act]])
        ev_dwell = np.concatenate([dwell, np.zeros(len(act), dtype=np.int64)])
        ev_entry = np.concatenate([pos == 0, np.zeros(len(act), dtype=bool)])
        ev_exit = np.concatenate([pos == L - 1, np.zeros(len(act), dtype=bool)])
        order = np.lexsort((ev_type, ev_time, ev_sess))
        ev_sess, ev_time, ev_type, ev_page, ev_item, ev_dwell, ev_entry, ev_exit = (
            a[order] for a in (ev_sess, ev_time, ev_type, ev_page, ev_item, ev_dwell, ev_entry, ev_exit)
        )
        n_ev = len(ev_sess)
        event_id = self._ids("event", n_ev)
        session_id = self._ids("session", S)
        is_action = ev_type > 0
        ev_campaign = campaign[ev_sess]
        events = {
            "event_id": ints(event_id),
            "session_id": ints(session_id[ev_sess]),
            "visitor_id": pc.binary_join_element_wise("V", ints(visitor[ev_sess]), ""),
            "user_id": ints(user[ev_sess], missing=~logged_in[ev_sess]),
            "event_time": timestamps(ev_time),
            "event_type": labels(ev_type, EVENT_TYPES),
            "page_type": labels(ev_page, PAGE_TYPES),
            "item_id": ints(ev_item, missing=ev_item == 0),
            "channel": labels(channel[ev_sess], W.CHANNELS),
            "campaign_id": ints(ev_campaign + 1, missing=ev_campaign < 0),
            "referrer": labels(np.where(ev_entry, channel[ev_sess], 0), REFERRERS),
            "device": labels(rng.integers(0, len(W.DEVICES), S)[ev_sess], W.DEVICES),
            "dwell_seconds": ints(ev_dwell, missing=is_action),
            "is_entry": ints(ev_entry.astype(np.int64)),
            "is_exit": ints(ev_exit.astype(np.int64)),
        }

        sessions = _Sessions(
            converting,
            k,
            basket_session,
            basket_item,
            session_id,
            user,
            segment,
            spend,
            channel,
            campaign,
            t,
            starts,
            n_pages,
        )
        tables, sold, category_sales = self._orders(rng, d, sessions)
        tables["events"] = events
        return tables, sold, category_sales

    def _orders(self, rng, d, s: _Sessions):
        w = self.world
        converting, k, basket_session, basket_item = s.converting, s.k, s.basket_session, s.basket_item
        session_id, user, segment, spend, channel, campaign = (
            s.session_id,
            s.user,
            s.segment,
            s.spend,
            s.channel,
            s.campaign,
        )
        t, starts, n_pages = s.page_time, s.page_start, s.n_pages
        day_end = w.start_ts + (d + 1) * DAY - 1
        conv = np.flatnonzero(converting)
        n_orders = len(conv)
        order_id = self._ids("order", n_orders)
        order_of_session = np.full(len(converting), -1)
        order_of_session[conv] = np.arange(n_orders)
        line_order = order_of_session[basket_session]
        line_no = np.arange(len(basket_session)) - np.concatenate([[0], np.cumsum(k[conv])[:-1]])[line_order] + 1

        qty = 1 + rng.poisson(0.25 * spend[basket_session])
        discount = np.where(
            campaign[basket_session] >= 0, w.campaign_discount[np.maximum(campaign[basket_session], 0)], 0.0
        )
        list_cents = w.item_price_cents[basket_item - 1]
        unit_cents = np.round(list_cents * (1 - discount)).astype(np.int64)
        total = np.bincount(line_order, weights=qty * unit_cents, minlength=n_orders).astype(np.int64)
        discount_total = np.bincount(line_order, weights=qty * (list_cents - unit_cents), minlength=n_orders)
        item_count = np.bincount(line_order, weights=qty, minlength=n_orders).astype(np.int64)

        checkout_t = t[starts[conv] + n_pages[conv] - 2]
        pay_t = np.minimum(t[starts[conv] + n_pages[conv] - 1] + rng.integers(5, 120, n_orders), day_end)
        paid = rng.random(n_orders) < 0.94
        orders = {
            "order_id": ints(order_id),
            "user_id": ints(user[conv]),
            "session_id": ints(session_id[conv]),
            "order_time": timestamps(checkout_t),
            "status": labels(paid.astype(np.int64), ["cancelled", "paid"]),
            "item_count": ints(item_count),
            "total_amount": money(total),
            "discount_amount": money(discount_total.astype(np.int64)),
            "channel": labels(channel[conv], W.CHANNELS),
            "campaign_id": ints(campaign[conv] + 1, missing=campaign[conv] < 0),
            "region": labels(w.user_region[user[conv] - 1], W.REGIONS),
        }
        order_items = {
            "order_id": ints(order_id[line_order]),
            "line_no": ints(line_no),
            "item_id": ints(basket_item),
            "quantity": ints(qty),
            "unit_price": money(unit_cents),
        }

        # Truth: baskets as sets of items, for the planted pairs' support and lift.
        self.orders_total += n_orders
        np.add.at(self.item_orders, basket_item, 1)
        np.add.at(self.segment_orders, segment[conv], 1)
        for p, (a, b) in enumerate(w.pairs):
            both = np.intersect1d(basket_session[basket_item == a], basket_session[basket_item == b])
            self.pair_both[p] += len(both)

        pi = np.flatnonzero(paid)
        n_paid = len(pi)
        payments = {
            "payment_id": ints(self._ids("payment", n_paid)),
            "order_id": ints(order_id[pi]),
            "paid_at": timestamps(pay_t[pi]),
            "amount": money(total[pi]),
            "method": labels(rng.integers(0, len(W.PAY_METHODS), n_paid), W.PAY_METHODS),
        }
        ri = pi[rng.random(n_paid) < 0.04]
        refunds = {
            "refund_id": ints(self._ids("refund", len(ri))),
            "order_id": ints(order_id[ri]),
            "refunded_at": timestamps(np.minimum(pay_t[ri] + rng.integers(3600, 20 * 3600, len(ri)), day_end)),
            "amount": money(np.round(total[ri] * rng.uniform(0.3, 1.0, len(ri))).astype(np.int64)),
            "reason": labels(rng.integers(0, len(W.REFUND_REASONS), len(ri)), W.REFUND_REASONS),
        }
        vi = pi[rng.random(n_paid) < 0.3]
        first_item = basket_item[np.searchsorted(line_order, vi)]
        rating = np.clip(np.round(rng.normal(4.2, 1.0, len(vi))), 1, 5).astype(np.int64)
        good = rng.integers(0, len(W.REVIEW_GOOD), len(vi))
        bad = rng.integers(0, len(W.REVIEW_BAD), len(vi))
        text = np.where(rating >= 3, good, len(W.REVIEW_GOOD) + bad)
        reviews = {
            "review_id": ints(self._ids("review", len(vi))),
            "order_id": ints(order_id[vi]),
            "item_id": ints(first_item),
            "user_id": ints(user[conv][vi]),
            "rating": ints(rating),
            "review_text": labels(text, W.REVIEW_GOOD + W.REVIEW_BAD),
            "created_at": timestamps(np.minimum(pay_t[vi] + rng.integers(600, 3 * 3600, len(vi)), day_end)),
        }
        ci = pi[rng.random(n_paid) < 0.015]
        complaints = {
            "complaint_id": ints(self._ids("complaint", len(ci))),
            "order_id": ints(order_id[ci]),
            "user_id": ints(user[conv][ci]),
            "complaint_type": labels(rng.integers(0, len(W.COMPLAINT_TYPES), len(ci)), W.COMPLAINT_TYPES),
            "created_at": timestamps(np.minimum(pay_t[ci] + rng.integers(600, 6 * 3600, len(ci)), day_end)),
        }
        paid_line = paid[line_order]
        sold = np.bincount(basket_item[paid_line] - 1, weights=qty[paid_line], minlength=w.n_items).astype(np.int64)
        category_sales = np.bincount(
            w.item_category[basket_item[paid_line] - 1],
            weights=(qty * unit_cents)[paid_line],
            minlength=len(W.CATEGORY_NAMES),
        ).astype(np.int64)
        tables = {
            "orders": orders,
            "order_items": order_items,
            "refunds": refunds,
            "payments": payments,
            "reviews": reviews,
            "complaints": complaints,
        }
        return tables, sold, category_sales

    # ---- daily facts beside the clickstream -------------------------------------------

    def _ad_spend(self, rng, d, dt, active):
        w = self.world
        csv_file, writer = self._open(E.AD_SPEND, dt)
        length = w.campaign_end_day[active] - w.campaign_start_day[active] + 1
        clicks = rng.integers(200, 2000, len(active)) * max(1, self.c.events // 100_000)
        writer.write(
            rng,
            {
                "spend_date": constant(dt, len(active)),
                "campaign_id": ints(active + 1),
                "channel": labels(w.campaign_channel[active], W.CHANNELS),
                "impressions": ints(clicks * rng.integers(30, 80, len(active))),
                "clicks": ints(clicks),
                "cost": money(
                    np.round(w.campaign_budget_cents[active] / length * rng.uniform(0.85, 1.15, len(active))).astype(
                        np.int64
                    )
                ),
            },
            Window(0, 0),
            0,
        )
        self._close(E.AD_SPEND, csv_file, dt)

    def _inventory(self, rng, d, dt, day_start, sold):
        w = self.world
        self.stock = np.maximum(self.stock - sold, 0)
        arrived = [p for p in self.pending if p[0] == d]
        self.pending = [p for p in self.pending if p[0] != d]
        for _, index, quantity, _ in arrived:
            self.stock[index] += quantity
        on_order = np.zeros(w.n_items, dtype=np.int64)
        for _, index, quantity, _ in self.pending:
            on_order[index] += quantity
        reorder = np.flatnonzero((self.stock < self.reorder_point) & (on_order == 0))
        lead = rng.integers(1, 6, len(reorder))
        quantity = rng.integers(50, 300, len(reorder))
        for index, days, qty in zip(reorder, lead, quantity, strict=True):
            self.pending.append((d + int(days), int(index), int(qty), day_start + int(rng.integers(0, DAY))))
            on_order[index] += qty

        csv_file, writer = self._open(E.INVENTORY, dt)
        writer.write(
            rng,
            {
                "snapshot_date": constant(dt, w.n_items),
                "item_id": ints(np.arange(1, w.n_items + 1)),
                "stock_on_hand": ints(self.stock),
                "reorder_point": ints(self.reorder_point),
                "on_order": ints(on_order),
            },
            Window(0, 0),
            0,
        )
        self._close(E.INVENTORY, csv_file, dt)

        csv_file, writer = self._open(E.RESTOCKS, dt)
        n = len(arrived)
        writer.write(
            rng,
            {
                "restock_id": ints(self._ids("restock", n)),
                "item_id": ints(np.array([p[1] + 1 for p in arrived], dtype=np.int64)),
                "ordered_at": timestamps(np.array([p[3] for p in arrived], dtype=np.int64)),
                "received_at": timestamps(day_start + rng.integers(6 * 3600, 18 * 3600, n)),
                "quantity": ints(np.array([p[2] for p in arrived], dtype=np.int64)),
            },
            Window(0, 0),
            0,
        )
        self._close(E.RESTOCKS, csv_file, dt)

    def _market(self, rng, dt, category_sales):
        w = self.world
        n_sites, n_cat = w.competitor_factor.shape
        site = np.repeat(np.arange(n_sites), n_cat)
        category = np.tile(np.arange(n_cat), n_sites)
        sales = np.round(category_sales[category] * w.competitor_factor.ravel() * rng.uniform(0.9, 1.1, len(site)))
        orders = np.round(sales / (np.array(W.CATEGORY_PRICE)[category] * 100)).astype(np.int64)
        csv_file, writer = self._open(E.MARKET, dt)
        writer.write(
            rng,
            {
                "market_date": constant(dt, len(site)),
                "site": labels(site, W.COMPETITORS),
                "category_id": ints(category + 1),
                "visitors": ints(orders * rng.integers(20, 40, len(site)) + rng.integers(50, 500, len(site))),
                "orders": ints(orders),
                "sales_amount": money(sales.astype(np.int64)),
            },
            Window(0, 0),
            0,
        )
        self._close(E.MARKET, csv_file, dt)

    # ---- dimension snapshots (landed for the last day) ---------------------------------

    def _snapshots(self):
        c, w = self.c, self.world
        dt = c.day(c.days - 1)
        rng = np.random.default_rng([c.seed, 3])
        whole = Window(w.start_ts, w.start_ts + c.days * DAY)
        n_cat = len(W.CATEGORY_NAMES)

        csv_file, writer = self._open(E.CATEGORIES, dt)
        writer.write(
            rng,
            {
                "category_id": ints(np.arange(1, n_cat + 1)),
                "name": pa.array(W.CATEGORY_NAMES),
                "department": pa.array(W.CATEGORY_DEPARTMENT),
            },
            whole,
            0,
        )
        self._close(E.CATEGORIES, csv_file, dt)

        brand_names = [_brand_name(i) for i in range(1, w.n_brands + 1)]
        csv_file, writer = self._open(E.BRANDS, dt)
        writer.write(
            rng,
            {
                "brand_id": ints(np.arange(1, w.n_brands + 1)),
                "name": pa.array(brand_names),
                "country": labels(w.brand_country, W.COUNTRIES),
            },
            whole,
            0,
        )
        self._close(E.BRANDS, csv_file, dt)

        ids = np.arange(1, w.n_items + 1)
        title = pc.binary_join_element_wise(
            labels(w.item_brand - 1, brand_names),
            labels(w.item_adjective, W.ADJECTIVES),
            labels(w.item_category, W.CATEGORY_NAMES),
            ints(ids),
            " ",
        )
        csv_file, writer = self._open(E.ITEMS, dt)
        writer.write(
            rng,
            {
                "item_id": ints(ids),
                "title": title,
                "category_id": ints(w.item_category + 1),
                "brand_id": ints(w.item_brand),
                "price": money(w.item_price_cents),
                "cost": money(w.item_cost_cents),
                "launch_date": dates(w.item_launch_ts),
                "status": labels((rng.random(w.n_items) < 0.97).astype(np.int64), ["delisted", "on_sale"]),
            },
            whole,
            orphan_base=10_000_000_000,
        )
        self._close(E.ITEMS, csv_file, dt)

        csv_file, writer = self._open(E.USERS, dt)
        segments = (self.out / "truth_segments.csv").open("wb")
        segments.write(b"user_id,segment\n")
        for first in range(0, w.n_users, 200_000):
            sl = slice(first, min(first + 200_000, w.n_users))
            uid = np.arange(sl.start + 1, sl.stop + 1)
            writer.write(
                rng,
                {
                    "user_id": ints(uid),
                    "registered_at": timestamps(w.user_registered_ts[sl]),
                    "channel": labels(w.user_channel[sl], W.CHANNELS),
                    "region": labels(w.user_region[sl], W.REGIONS),
                    "member_level": labels(w.user_level[sl], W.MEMBER_LEVELS),
                    "gender": labels(w.user_gender[sl], W.GENDERS),
                    "birth_year": ints(w.user_birth_year[sl]),
                },
                whole,
                orphan_base=10_000_000_000,
            )
            segments.write(lines_to_bytes(render_lines([ints(uid), labels(w.user_segment[sl], W.SEGMENT_NAMES)])))
        segments.close()
        self._close(E.USERS, csv_file, dt)

        csv_file, writer = self._open(E.CAMPAIGNS, dt)
        n = w.n_campaigns
        writer.write(
            rng,
            {
                "campaign_id": ints(np.arange(1, n + 1)),
                "name": pa.array([f"{W.CHANNELS[ch]} push {i + 1}" for i, ch in enumerate(w.campaign_channel)]),
                "channel": labels(w.campaign_channel, W.CHANNELS),
                "start_date": dates(w.start_ts + w.campaign_start_day * DAY),
                "end_date": dates(w.start_ts + w.campaign_end_day * DAY),
                "budget": money(w.campaign_budget_cents),
                "discount_rate": pa.array([f"{x:.2f}" for x in w.campaign_discount]),
            },
            whole,
            0,
        )
        self._close(E.CAMPAIGNS, csv_file, dt)

    # ---- truth ---------------------------------------------------------------------------

    def _truth(self, events: int) -> Path:
        c, w = self.c, self.world
        n = max(self.orders_total, 1)
        pairs = []
        for p, (a, b) in enumerate(w.pairs):
            na, nb, both = int(self.item_orders[a]), int(self.item_orders[b]), int(self.pair_both[p])
            pairs.append(
                {
                    "antecedent_item_id": int(a),
                    "consequent_item_id": int(b),
                    "orders_with_antecedent": na,
                    "orders_with_consequent": nb,
                    "orders_with_both": both,
                    "support": both / n,
                    "confidence": both / na if na else 0.0,
                    "lift": (both * n) / (na * nb) if na and nb else 0.0,
                }
            )
        base_per_day = self.channel_sessions.sum(axis=0) / c.days
        campaigns = []
        for i in range(w.n_campaigns):
            ch = int(w.campaign_channel[i])
            campaigns.append(
                {
                    "campaign_id": i + 1,
                    "channel": W.CHANNELS[ch],
                    "start_date": c.day(int(w.campaign_start_day[i])),
                    "end_date": c.day(int(w.campaign_end_day[i])),
                    "planted_uplift": float(w.campaign_uplift[i]),
                    "campaign_sessions": int(self.campaign_sessions[i]),
                    "channel_sessions_per_day": float(base_per_day[ch]),
                }
            )
        segment_users = np.bincount(w.user_segment, minlength=len(W.SEGMENTS))
        truth = {
            "generator": "ecomlab shop simulator",
            "config": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(c).items()},
            "window": {"start": c.day(0), "end_exclusive": (c.end + timedelta(days=1)).isoformat(), "days": c.days},
            "sizes": {
                "users": w.n_users,
                "items": w.n_items,
                "brands": w.n_brands,
                "campaigns": w.n_campaigns,
                "categories": len(W.CATEGORY_NAMES),
            },
            "events": events,
            "orders": self.orders_total,
            "rows_written": dict(sorted(self.rows.items())),
            "product_pairs": {"add_probability": w.pair_probability, "pairs": pairs},
            "segments": {
                "assignment_file": "truth_segments.csv",
                "definitions": {
                    name: dict(params, users=int(segment_users[i]), orders=int(self.segment_orders[i]))
                    for i, (name, params) in enumerate(W.SEGMENTS.items())
                },
            },
            "seasonality": {"hourly_utc": W.HOURLY.tolist(), "weekday_mon_to_sun": W.WEEKDAY.tolist()},
            "campaign_uplift": campaigns,
            "market": {"sites": W.COMPETITORS, "sales_factor_vs_shop_by_category": w.competitor_factor.tolist()},
            "defects": {
                "rate": c.defect_rate if c.dirty else 0.0,
                "types": list(DEFECT_TYPES),
                "file": "truth_defects.csv",
                "counts": self.log.summary() if self.log else {},
            },
        }
        path = self.out / "truth.json"
        path.write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return path

    def _ids(self, name: str, n: int) -> np.ndarray:
        first = self.next_id[name]
        self.next_id[name] = first + n
        return np.arange(first, first + n, dtype=np.int64)


def _draw_by_group(rng, group: np.ndarray, cdfs, ids, n_items: int) -> np.ndarray:
    """One item per row, drawn from the popularity CDF of the row's group (ids maps a CDF's
    positions to item ids; without it positions are item ids - 1)."""
    out = np.empty(len(group), dtype=np.int64)
    for g in np.unique(group):
        rows = np.flatnonzero(group == g)
        position = np.minimum(np.searchsorted(cdfs[g], rng.random(len(rows)), side="right"), len(cdfs[g]) - 1)
        out[rows] = ids[g][position] if ids is not None else position + 1
    return np.minimum(out, n_items)


def _unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(a) == 0:
        return a, b
    stacked = np.unique(np.stack([a, b], axis=1), axis=0)
    return stacked[:, 0], stacked[:, 1]


def _brand_name(brand_id: int) -> str:
    parts, n = [], brand_id
    while True:
        parts.append(SYLLABLES[n % len(SYLLABLES)])
        n //= len(SYLLABLES)
        if n == 0:
            break
    return "".join(parts).capitalize()
