"""Dashboards: ECharts pages (built with pyecharts) over the results mart.

Served three ways from one renderer: exported as static HTML (`ecomlab dashboard export`),
live from the mart (`ecomlab dashboard serve`), and inside the Airflow UI (airflow_plugin).
ECharts itself comes from the npm package `echarts` and is served by the platform, so no
page fetches anything from outside the machine.
"""
