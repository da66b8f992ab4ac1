"""Chart figures for plotly.js, built as plain dicts (no plotly Python import at request time: a page
renders in milliseconds and the browser draws the chart from the app's own copy of plotly.min.js)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.runs.schemas import RunYears
from app.sweeps.schemas import SweepRead

_FONT = {"family": "system-ui, sans-serif", "size": 13}
_MONEY_AXIS = {"tickprefix": "£", "tickformat": ",.3s", "zeroline": True}


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 15}},
        "font": _FONT,
        "margin": {"l": 70, "r": 20, "t": 50, "b": 60},
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "x unified",
        **extra,
    }


def _f(value: Decimal | None) -> float:
    return 0.0 if value is None else float(value)


def cost_by_function(
    functions: list[str], organisations: list[str], cells: dict[tuple[str, str], int]
) -> dict[str, Any]:
    """Stacked bars: each organisation's back-office cost (£) by function."""
    data = [
        {
            "type": "bar",
            "name": function,
            "x": organisations,
            "y": [cells.get((org, function), 0) / 100 for org in organisations],
            "hovertemplate": "%{x}: £%{y:,.0f}<extra>" + function + "</extra>",
        }
        for function in functions
    ]
    return {
        "data": data,
        "layout": _layout(
            "Back-office cost by organisation and function", barmode="stack", yaxis=_MONEY_AXIS
        ),
    }


def run_years(years: RunYears) -> dict[str, Any]:
    """Savings and costs by year as bars, cumulative net cash as a line."""
    x = [str(y.year) for y in years.years]
    costs = [
        -_f(y.running_costs) - _f(y.setup_costs) - _f(y.transition_costs) - _f(y.integration_costs)
        for y in years.years
    ]
    data = [
        {
            "type": "bar",
            "name": "Savings",
            "x": x,
            "y": [_f(y.savings) for y in years.years],
            "marker": {"color": "#2e7d32"},
        },
        {"type": "bar", "name": "Costs", "x": x, "y": costs, "marker": {"color": "#c62828"}},
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Cumulative net cash",
            "x": x,
            "y": [_f(y.cumulative_net_cash) for y in years.years],
            "line": {"color": "#1565c0", "width": 3},
        },
    ]
    return {
        "data": data,
        "layout": _layout(
            "Savings, costs and cumulative net cash by year", barmode="relative", yaxis=_MONEY_AXIS
        ),
    }


def sweep_npvs(sweep: SweepRead, npvs: list[Decimal]) -> dict[str, Any]:
    """Histogram of the scenarios' NPVs with P10, P50 and P90 marked."""
    lines = []
    for _label, value in (("P10", sweep.npv_p10), ("P50", sweep.npv_p50), ("P90", sweep.npv_p90)):
        if value is not None:
            lines.append(
                {
                    "type": "line",
                    "x0": float(value),
                    "x1": float(value),
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "line": {"dash": "dash", "color": "#333"},
                }
            )
    annotations = [
        {"x": float(v), "yref": "paper", "y": 1.05, "text": label, "showarrow": False}
        for label, v in (("P10", sweep.npv_p10), ("P50", sweep.npv_p50), ("P90", sweep.npv_p90))
        if v is not None
    ]
    data = [
        {
            "type": "histogram",
            "name": "Scenarios",
            "x": [float(n) for n in npvs],
            "marker": {"color": "#1565c0"},
            "hovertemplate": "NPV %{x}<br>%{y} scenarios<extra></extra>",
        }
    ]
    layout = _layout(
        "NPV across the scenarios",
        shapes=lines,
        annotations=annotations,
        xaxis={"tickprefix": "£", "tickformat": ",.3s", "title": {"text": "NPV"}},
        yaxis={"title": {"text": "scenarios"}},
        hovermode="closest",
        bargap=0.05,
    )
    return {"data": data, "layout": layout}
