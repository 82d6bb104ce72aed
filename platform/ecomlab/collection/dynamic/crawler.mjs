// The dynamic crawler: renders pages in Chromium (playwright-core) and prints JSON lines.
//
// Input (stdin, one JSON object): {mode: "items" | "listing", urls, allowed_origins,
//   chromium, user_agent, site, role, crawled_at, timeout_ms, interval_ms, max_scrolls}
// Output (stdout, one JSON object per line):
//   {type: "record", record}                 a product, price/competitor_price or review
//   {type: "links", url, items}              product pages found on a listing (mode "listing")
//   {type: "failure", url, reason}           a page that could not be crawled
//   {type: "page_done", url}                 after each URL, success or not
//   {type: "done", pages}                    at the end
// Requests to origins outside allowed_origins are aborted (the Python side checked them).
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";

const job = JSON.parse(readFileSync(0, "utf8"));
const allowed = new Set(job.allowed_origins);
const emit = (message) => process.stdout.write(JSON.stringify(message) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Scroll the sentinel into view until the page marks it done (infinite scroll) or no progress.
async function scrollToEnd(page, maxScrolls) {
  for (let i = 0; i < maxScrolls; i++) {
    const done = await page.evaluate(() => {
      const sentinel = document.getElementById("more");
      if (!sentinel || sentinel.dataset.done === "true") return true;
      sentinel.scrollIntoView();
      window.scrollTo(0, document.body.scrollHeight);
      return false;
    });
    if (done) return true;
    await page.waitForTimeout(60);
  }
  return false;
}

async function crawlItem(page, url) {
  await page.waitForSelector("#product[data-state=ready], #product[data-state=error]", { timeout: job.timeout_ms });
  const state = await page.getAttribute("#product", "data-state");
  if (state !== "ready") throw new Error(`the page could not load its data (${await page.textContent("#product")})`);
  const complete = await scrollToEnd(page, job.max_scrolls);
  if (!complete) throw new Error(`reviews still loading after ${job.max_scrolls} scrolls`);
  const data = await page.evaluate(() => {
    const root = document.getElementById("product");
    const attr = (sel, name) => root.querySelector(sel)?.getAttribute(name) || null;
    const text = (sel) => root.querySelector(sel)?.textContent.trim() || null;
    return {
      item_id: root.dataset.itemId,
      title: text(".title"),
      price: attr(".price", "data-price"),
      stock: attr(".stock", "data-stock"),
      rating: attr(".rating", "data-rating"),
      promotion: text(".promotion"),
      reviews: [...root.querySelectorAll("li.review")].map((li) => ({
        review_id: li.dataset.reviewId, rating: li.dataset.rating, author: li.dataset.author,
        review_text: li.textContent.trim(), created: li.dataset.created,
      })),
    };
  });
  if (!data.price) throw new Error(`no .price[data-price] for item ${data.item_id}`);
  const base = { site: job.site, item_id: data.item_id, crawler: "dynamic", crawled_at: job.crawled_at };
  emit({ type: "record", record: { kind: "product", ...base, title: data.title, category: null, stock: data.stock,
    rating: data.rating, promotion: data.promotion, url } });
  const priceKind = job.role === "competitor" ? "competitor_price" : "price";
  emit({ type: "record", record: { kind: priceKind, ...base, price: data.price, currency: "CNY" } });
  for (const review of data.reviews) emit({ type: "record", record: { kind: "review", ...base, ...review } });
}

async function crawlListing(page, url) {
  await page.waitForSelector("#listing", { timeout: job.timeout_ms });
  const complete = await scrollToEnd(page, job.max_scrolls);
  if (!complete) throw new Error(`listing still loading after ${job.max_scrolls} scrolls`);
  const items = await page.$$eval("a.item-link", (links) => links.map((a) => a.href));
  emit({ type: "links", url, items });
}

const browser = await chromium.launch({
  executablePath: job.chromium,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
});
let pages = 0;
try {
  const context = await browser.newContext({ userAgent: job.user_agent });
  await context.route("**/*", (route) => {
    const target = new URL(route.request().url());
    return allowed.has(target.origin) ? route.continue() : route.abort("blockedbyclient");
  });
  // One tab for every URL: a new tab per URL took Chromium about four times the CPU for the
  // same pages (a renderer set up each time), which bound the crawl by CPU, not the network.
  let page = await context.newPage();
  for (const url of job.urls) {
    const started = Date.now();
    try {
      const response = await page.goto(url, { timeout: job.timeout_ms, waitUntil: "domcontentloaded" });
      if (!allowed.has(new URL(page.url()).origin)) throw new Error(`refused: redirected off the allowlist to ${page.url()}`);
      if (!response || response.status() >= 400) throw new Error(`HTTP ${response ? response.status() : "no response"} from ${url}`);
      if (job.mode === "listing") await crawlListing(page, url);
      else await crawlItem(page, url);
    } catch (error) {
      emit({ type: "failure", url, reason: String(error.message || error).split("\n")[0] });
      // A failed page may still be loading or may have crashed: the next URL gets a fresh tab.
      await page.close().catch(() => {});
      page = await context.newPage();
    } finally {
      pages += 1;
      emit({ type: "page_done", url });
    }
    const wait = job.interval_ms - (Date.now() - started);
    if (wait > 0) await sleep(wait);
  }
} finally {
  await browser.close();
}
emit({ type: "done", pages });
