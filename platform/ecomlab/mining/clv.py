"""Customer lifetime value: BG/NBD for repeat purchases, Gamma-Gamma for spend.

Both models are fitted by maximum likelihood with SciPy (Fader, Hardie and Lee 2005 for
BG/NBD; Fader, Hardie and Lee 2005 "RFM and CLV" note for Gamma-Gamma). Time is measured
in weeks; a customer's purchases on one day count as one transaction (their value summed).
No Spark: the inputs are one row per customer.

Both models learn from repeat purchases. With too few repeat customers (one day of data has
none) a model is not fitted but skipped with a reason, and the values it would give are
null with that reason, never a number from a degenerate fit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1


class ClvError(ValueError):
    """Input that cannot be fitted, naming what is wrong and where."""


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float
    log_likelihood: float


# Fewest customers with repeat purchases either model is fitted on: below it the likelihood
# has (next to) nothing to learn from and the optimiser returns a degenerate answer.
MIN_REPEAT_CUSTOMERS = 10


@dataclass(frozen=True)
class ClvFit:
    bgnbd: BgNbd | None  # None: skipped, see `skipped`
    gamma_gamma: GammaGamma | None
    customers: int
    repeat_customers: int
    skipped: dict[str, str] = field(default_factory=dict)  # model ("bgnbd", "gamma_gamma") -> why

    def params(self) -> dict[str, float]:
        """The fitted models' parameters (a skipped model has none)."""
        out: dict[str, float] = {}
        if self.bgnbd is not None:
            out.update({k: v for k, v in asdict(self.bgnbd).items() if k != "log_likelihood"})
            out["log_likelihood"] = self.bgnbd.log_likelihood
        if self.gamma_gamma is not None:
            out.update({k: v for k, v in asdict(self.gamma_gamma).items() if k != "log_likelihood"})
            out["gg_log_likelihood"] = self.gamma_gamma.log_likelihood
        return out

    def params_table(self) -> pd.DataFrame:
        """One row per parameter (param, value, note); a skipped model is a row
        `<model>_skipped` with a null value and the reason as its note."""
        rows = [(name, value, None) for name, value in self.params().items()]
        rows += [("customers", float(self.customers), None), ("repeat_customers", float(self.repeat_customers), None)]
        rows += [(f"{model}_skipped", np.nan, reason) for model, reason in self.skipped.items()]
        return pd.DataFrame(rows, columns=["param", "value", "note"]).astype({"value": float, "note": object})


# ---- reading transactions ---------------------------------------------------------------


def read_cdnow(path: str | Path) -> pd.DataFrame:
    """CDNOW master (id date cds value) or sample (id sample_id date cds value) file as
    transactions: customer_id, date, value."""
    path = Path(path)
    if not path.is_file():
        raise ClvError(f"{path}: no such file")
    frame = pd.read_csv(path, sep=r"\s+", header=None, dtype=str, engine="python")
    if frame.shape[1] == 5:
        frame = frame.drop(columns=[1])
    if frame.shape[1] != 4:
        raise ClvError(f"{path}: expected 4 or 5 whitespace-separated columns, found {frame.shape[1]}")
    frame.columns = ["customer_id", "date", "quantity", "value"]
    return _typed(frame, path)


def read_transactions(path: str | Path) -> pd.DataFrame:
    """A transaction file: CDNOW layout, or a CSV with a header holding customer_id, date, value."""
    path = Path(path)
    if not path.is_file():
        raise ClvError(f"{path}: no such file")
    with path.open(encoding="utf-8", errors="replace") as handle:
        first = handle.readline()
    if "," not in first:
        return read_cdnow(path)
    frame = pd.read_csv(path, dtype=str)
    missing = {"customer_id", "date", "value"} - set(frame.columns)
    if missing:
        raise ClvError(f"{path}: the header lacks column(s) {', '.join(sorted(missing))}")
    return _typed(frame[["customer_id", "date", "value"]], path)


def _typed(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    dates = pd.to_datetime(frame["date"], format="mixed", errors="coerce")
    values = pd.to_numeric(frame["value"], errors="coerce")
    bad = dates.isna() | values.isna()
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise ClvError(f"{path}: line {line}: unreadable date or value ({frame.iloc[line - 1].tolist()})")
    return pd.DataFrame(
        {"customer_id": frame["customer_id"].str.strip(), "date": dates.dt.normalize(), "value": values}
    )


def summarise(transactions: pd.DataFrame, calibration_end: date) -> pd.DataFrame:
    """Per customer: frequency x (repeat purchase days), recency t_x and age T in weeks,
    and the mean value of the repeat transactions, over the calibration period (to
    calibration_end inclusive). Customers whose first purchase is after it are left out."""
    end = pd.Timestamp(calibration_end)
    tx = transactions[transactions["date"] <= end]
    if tx.empty:
        raise ClvError(f"no transactions on or before the calibration end {calibration_end}")
    daily = tx.groupby(["customer_id", "date"], as_index=False)["value"].sum().sort_values(["customer_id", "date"])
    first = daily.groupby("customer_id")["date"].transform("min")
    daily["repeat"] = daily["date"] > first
    grouped = daily.groupby("customer_id")
    out = pd.DataFrame(
        {
            "first": grouped["date"].min(),
            "last": grouped["date"].max(),
            "frequency": grouped["repeat"].sum().astype(int),
        }
    )
    repeat_value = daily[daily["repeat"]].groupby("customer_id")["value"].mean()
    out["monetary"] = repeat_value.reindex(out.index).fillna(0.0)
    out["recency"] = (out["last"] - out["first"]).dt.days / 7.0
    out["T"] = (end - out["first"]).dt.days / 7.0
    return out[["frequency", "recency", "T", "monetary"]]


# ---- BG/NBD -----------------------------------------------------------------------------


def _bgnbd_ll(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    a4 = np.where(
        repeat,
        np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return a1 + a2 + np.logaddexp(a3, a4)


def fit_bgnbd(summary: pd.DataFrame) -> BgNbd:
    x, t_x, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    if len(x) == 0:
        raise ClvError("BG/NBD needs at least one customer")
    # Search in log space so every parameter stays positive.
    objective = lambda theta: -_bgnbd_ll(np.exp(theta), x, t_x, T).sum()  # noqa: E731
    best = _minimize(objective, np.log([0.5, 5.0, 1.0, 2.0]))
    r, alpha, a, b = np.exp(best.x)
    return BgNbd(float(r), float(alpha), float(a), float(b), float(-best.fun))


def expected_purchases(model: BgNbd, t: float, summary: pd.DataFrame) -> np.ndarray:
    """Expected repeat purchases in the next t weeks, given each customer's history."""
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    x, t_x, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    tail = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    alive = 1 + (x > 0) * (a / np.maximum(b + x - 1, 1e-12)) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    return head * tail / alive


# ---- Gamma-Gamma ------------------------------------------------------------------------


def _gg_ll(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    p, q, g = params
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(g + m * x)
    )


def fit_gamma_gamma(summary: pd.DataFrame) -> GammaGamma:
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary"] > 0)]
    if len(repeat) < 2:
        raise ClvError(f"Gamma-Gamma needs customers with repeat purchases, found {len(repeat)}")
    x, m = repeat["frequency"].to_numpy(float), repeat["monetary"].to_numpy(float)
    objective = lambda theta: -_gg_ll(np.exp(theta), x, m).sum()  # noqa: E731
    best = _minimize(objective, np.log([1.0, 1.0, float(np.mean(m))]))
    p, q, g = np.exp(best.x)
    return GammaGamma(float(p), float(q), float(g), float(-best.fun))


def expected_spend(model: GammaGamma, summary: pd.DataFrame) -> np.ndarray:
    """Expected mean transaction value per customer (the population mean for those without repeats)."""
    p, q, g = model.p, model.q, model.gamma
    x, m = summary["frequency"].to_numpy(float), summary["monetary"].to_numpy(float)
    return p * (g + m * x) / (p * x + q - 1)


def _minimize(objective, start: np.ndarray):
    best = minimize(objective, start, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 20_000})
    # Polish with a gradient method from the simplex's answer; keep whichever is better.
    polished = minimize(objective, best.x, method="L-BFGS-B")
    chosen = polished if polished.success and polished.fun <= best.fun else best
    if not np.isfinite(chosen.fun):
        raise ClvError("the likelihood could not be maximised (non-finite value): check the input")
    return chosen


# ---- together ---------------------------------------------------------------------------


def fit(summary: pd.DataFrame, min_repeat_customers: int = MIN_REPEAT_CUSTOMERS) -> ClvFit:
    """Both models, each skipped with a reason when the data cannot support it."""
    if min_repeat_customers < 2:
        raise ClvError(f"min_repeat_customers: must be at least 2, got {min_repeat_customers}")
    if summary.empty:
        raise ClvError("no customers to fit")
    repeat_customers = int((summary["frequency"] > 0).sum())
    skipped: dict[str, str] = {}
    bgnbd = gamma_gamma = None
    too_few = f"{repeat_customers} customer(s) with repeat purchases, fewer than the minimum {min_repeat_customers}"
    if repeat_customers < min_repeat_customers:
        skipped["bgnbd"] = too_few
    elif float(summary["T"].max()) <= 0:
        skipped["bgnbd"] = "every customer's first purchase is on the calibration end: no time observed"
    else:
        try:
            bgnbd = fit_bgnbd(summary)
        except ClvError as exc:
            skipped["bgnbd"] = str(exc)
    spenders = int(((summary["frequency"] > 0) & (summary["monetary"] > 0)).sum())
    if spenders < min_repeat_customers:
        skipped["gamma_gamma"] = (
            f"{spenders} customer(s) with repeat purchases of positive value, fewer than the minimum "
            f"{min_repeat_customers}"
        )
    else:
        try:
            gamma_gamma = fit_gamma_gamma(summary)
        except ClvError as exc:
            skipped["gamma_gamma"] = str(exc)
    return ClvFit(bgnbd, gamma_gamma, len(summary), repeat_customers, skipped)


def customer_values(model: ClvFit, summary: pd.DataFrame, horizon_weeks: float = 52.0) -> pd.DataFrame:
    """Expected purchases over the horizon and their expected value, per customer.

    What a skipped model would give is null, with the reason in `note`."""
    n = len(summary)
    purchases = (
        expected_purchases(model.bgnbd, horizon_weeks, summary) if model.bgnbd is not None else np.full(n, np.nan)
    )
    spend = expected_spend(model.gamma_gamma, summary) if model.gamma_gamma is not None else np.full(n, np.nan)
    reasons = [f"{name} skipped: {why}" for name, why in model.skipped.items()]
    return pd.DataFrame(
        {
            "customer_id": summary.index.astype(str),
            "expected_purchases": purchases.astype(float),
            "expected_value": (purchases * spend).astype(float),
            "note": pd.Series([("; ".join(reasons) or None)] * n, dtype=object),
        }
    )
