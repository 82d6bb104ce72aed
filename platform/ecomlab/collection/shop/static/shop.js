// Renders the live pages from the JSON API: nothing below is in the server's HTML.
"use strict";

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// Calls load() each time the sentinel scrolls into view, until load() says there is no more.
function infiniteScroll(load) {
  const sentinel = document.getElementById("more");
  let busy = false;
  let done = false;
  const observer = new IntersectionObserver(async (entries) => {
    if (busy || done || !entries.some((e) => e.isIntersecting)) return;
    busy = true;
    done = !(await load());
    busy = false;
    if (done) {
      observer.disconnect();
      sentinel.setAttribute("data-done", "true");
    } else {
      // Observe afresh: a sentinel still in view after a short page must trigger the next load.
      observer.unobserve(sentinel);
      observer.observe(sentinel);
    }
  });
  observer.observe(sentinel);
}

async function itemPage(root) {
  const id = root.dataset.itemId;
  const response = await fetch(`/api/items/${id}`);
  if (!response.ok) {
    root.dataset.state = "error";
    root.append(el("p", { class: "error" }, `could not load item ${id}: HTTP ${response.status}`));
    return;
  }
  const item = await response.json();
  root.append(el("h1", { class: "title" }, item.title));
  root.append(el("span", { class: "price", "data-price": item.price.toFixed(2) }, `¥${item.price.toFixed(2)}`));
  root.append(el("span", { class: "stock", "data-stock": item.stock }, `${item.stock} left`));
  root.append(el("span", { class: "rating", "data-rating": item.rating ?? "" }, item.rating ?? "no ratings yet"));
  if (item.promotion) root.append(el("p", { class: "promotion" }, item.promotion));
  const reviews = el("ul", { class: "reviews", "data-total": item.reviews_total });
  root.append(reviews);
  root.dataset.state = "ready";
  let offset = 0;
  infiniteScroll(async () => {
    if (offset === null) return false;
    const page = await (await fetch(`/api/items/${id}/reviews?offset=${offset}`)).json();
    for (const r of page.reviews) {
      reviews.append(el("li", {
        class: "review", "data-review-id": r.review_id, "data-rating": r.rating,
        "data-author": r.author, "data-created": r.created,
      }, r.text));
    }
    offset = page.next;
    return offset !== null;
  });
}

function categoryPage(list) {
  const id = list.dataset.categoryId;
  let offset = 0;
  infiniteScroll(async () => {
    if (offset === null) return false;
    const page = await (await fetch(`/api/categories/${id}/items?offset=${offset}`)).json();
    for (const item of page.items) {
      const li = el("li", { class: "listing-item" });
      li.append(el("a", { class: "item-link", href: `/dynamic/item/${item.item_id}` }, item.title));
      list.append(li);
    }
    offset = page.next;
    return offset !== null;
  });
}

const product = document.getElementById("product");
if (product) itemPage(product);
const listing = document.getElementById("listing");
if (listing) categoryPage(listing);
