// Drives one headless Chromium session for the dashboard tests (playwright-core).
//
// Reads one JSON command per line on stdin and answers one JSON line per command:
//   {cmd: "visit", url, screenshot?, hover?, keep?, cookies?, frame?}  -> a page report (charts, console,
//                                                       requests...); frame: wait for an iframe whose src has it
//   {cmd: "collect", page, chart, points, timeout_ms} -> the report of a kept page once the chart's first
//                                                       series has that many points (a refresh arrived)
//   {cmd: "close", page}                              -> closes a kept page
// Every request of every page is recorded, so the tests can assert none leaves the machine.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const require = createRequire(process.env.PLAYWRIGHT_CORE_FROM);
const { chromium } = require("playwright-core");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const kept = new Map();
let nextId = 1;

function watch(page) {
  const log = { console: [], errors: [], requests: [] };
  page.on("console", (msg) => log.console.push({ type: msg.type(), text: msg.text() }));
  page.on("pageerror", (error) => log.errors.push(String(error)));
  page.on("request", (request) => log.requests.push(request.url()));
  return log;
}

// What the page shows: every chart's instance and series, injected markup, and whether a payload ran.
async function report(page, log, screenshot) {
  const state = await page.evaluate(() => {
    const charts = [...document.querySelectorAll("[data-chart]")].map((el) => {
      const instance = window.echarts && echarts.getInstanceByDom(el);
      const canvas = el.querySelector("canvas");
      const option = instance ? instance.getOption() : null;
      return {
        key: el.dataset.chart,
        rendered: Boolean(instance && canvas && canvas.width > 0 && canvas.height > 0),
        series: option ? option.series.map((s) => ({ name: s.name, type: s.type, data: s.data, links: s.links })) : [],
        xAxis: option && option.xAxis ? option.xAxis.map((a) => a.data || null) : [],
        yAxis: option && option.yAxis ? option.yAxis.map((a) => a.data || null) : [],
      };
    });
    const handlers = [...document.querySelectorAll("*")].filter((el) =>
      [...el.attributes].some((a) => a.name.toLowerCase().startsWith("on")));
    const inline = [...document.querySelectorAll("script")].filter((s) => !s.src && s.type !== "application/json");
    return {
      title: document.title,
      charts,
      empty: [...document.querySelectorAll("[data-empty]")].map((el) => ({ key: el.dataset.empty, text: el.textContent })),
      tables: [...document.querySelectorAll("[data-table]")].map((el) => ({
        key: el.dataset.table,
        rows: [...el.querySelectorAll("tbody tr")].map((tr) => [...tr.cells].map((td) => td.textContent)),
      })),
      cards: [...document.querySelectorAll("[data-card]")].map((el) => ({
        key: el.dataset.card, value: el.querySelector(".value").textContent, change: el.querySelector(".change").textContent,
      })),
      injected: { handlers: handlers.length, inline_scripts: inline.length, images: document.querySelectorAll("img").length },
      xss: window.__xss || 0,
      refreshes: Number(document.body.dataset.refreshes || 0),
      text: document.body.innerText,
    };
  });
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  return { ...state, console: log.console, errors: log.errors, requests: log.requests };
}

// Shows each chart's tooltip for its first items: the tooltip is HTML that echarts builds from data.
async function hover(page) {
  await page.evaluate(() => {
    for (const el of document.querySelectorAll("[data-chart]")) {
      const instance = echarts.getInstanceByDom(el);
      if (!instance) continue;
      for (let i = 0; i < 3; i++) instance.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: i });
    }
  });
  await page.waitForTimeout(200);
}

async function visit(cmd) {
  if (cmd.cookies) await context.addCookies(cmd.cookies);
  const page = await context.newPage();
  const log = watch(page);
  await page.goto(cmd.url, { waitUntil: "load" });
  await page.waitForFunction(() => document.body && (document.body.dataset.rendered !== undefined
    || !document.querySelector("[data-chart]")), null, { timeout: 15000 }).catch(() => {});
  if (cmd.hover) await hover(page);
  // A page that shows another in a frame (the Airflow UI): wait for it and read the frame's text.
  if (cmd.frame) {
    await page.waitForSelector(`iframe[src*="${cmd.frame}"]`, { timeout: 60000 });
    const frame = await (await page.$(`iframe[src*="${cmd.frame}"]`)).contentFrame();
    await frame.waitForSelector("[data-dataset], [data-empty]", { timeout: 60000 });
  }
  const result = await report(page, log, cmd.screenshot);
  result.frames = await Promise.all(page.frames().slice(1).map(async (f) => ({
    url: f.url(), text: await f.evaluate(() => document.body ? document.body.innerText : "").catch(() => ""),
  })));
  if (cmd.keep) {
    const id = nextId++;
    kept.set(id, { page, log });
    result.page = id;
  } else {
    await page.close();
  }
  return result;
}

async function collect(cmd) {
  const { page, log } = kept.get(cmd.page);
  // A function, not a string: the page's CSP forbids evaluating strings.
  await page.waitForFunction(([key, points]) => {
    const el = document.querySelector(`[data-chart="${CSS.escape(key)}"]`);
    const chart = el && echarts.getInstanceByDom(el);
    return Boolean(chart) && chart.getOption().series[0].data.length === points;
  }, [cmd.chart, cmd.points], { timeout: cmd.timeout_ms || 20000 });
  return report(page, log, cmd.screenshot);
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  let answer;
  try {
    if (cmd.cmd === "visit") answer = await visit(cmd);
    else if (cmd.cmd === "collect") answer = await collect(cmd);
    else if (cmd.cmd === "close") {
      await kept.get(cmd.page).page.close();
      kept.delete(cmd.page);
      answer = {};
    } else answer = { failure: `unknown command ${cmd.cmd}` };
  } catch (error) {
    answer = { failure: String(error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
await browser.close();
