// Renders pages in headless Chromium and fails on what a person would notice: a blank page, a
// broken image, a console error or failed request, or text that overflows its box. Takes a
// full-page screenshot of each, kept for a person to look at.
//
//   node tests/browser/check.mjs OUT_DIR PAGE.html [PAGE.html ...]
//
// Needs playwright-core (npm) and Chromium (Debian: chromium); CHROMIUM overrides the path.
import { chromium } from "playwright-core";
import path from "node:path";
import fs from "node:fs";

const [outDir, ...pages] = process.argv.slice(2);
if (!outDir || pages.length === 0) {
  console.error("usage: node check.mjs OUT_DIR PAGE.html [PAGE.html ...]");
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
let failures = 0;
for (const file of pages) {
  const problems = [];
  const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  page.on("request", (r) => {
    if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) problems.push(`external request: ${r.url()}`);
  });
  await page.goto("file://" + path.resolve(file), { waitUntil: "load" });
  const report = await page.evaluate(() => {
    const out = { text: document.body.innerText.trim().length, broken: [], overflow: [], images: 0, svgs: 0 };
    for (const img of document.images) {
      out.images++;
      if (!img.complete || img.naturalWidth === 0) out.broken.push(img.getAttribute("src"));
    }
    out.svgs = document.querySelectorAll("svg").length;
    for (const el of document.querySelectorAll("body *")) {
      const style = getComputedStyle(el);
      if (style.display === "inline" || el.closest("svg")) continue;
      if (["TABLE", "TBODY", "THEAD", "TR"].includes(el.tagName)) continue;
      if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && style.overflowX !== "auto" && style.overflowX !== "scroll") {
        out.overflow.push(`${el.tagName.toLowerCase()}: "${el.innerText.slice(0, 60)}" (${el.scrollWidth} > ${el.clientWidth})`);
      }
    }
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth + 1) out.overflow.push(`the page is wider than the window (${doc.scrollWidth} > ${doc.clientWidth})`);
    return out;
  });
  if (report.text < 200) problems.push(`blank page: ${report.text} characters of text`);
  for (const src of report.broken) problems.push(`broken image: ${src}`);
  for (const o of report.overflow) problems.push(`overflow: ${o}`);
  const shot = path.join(outDir, path.basename(file).replace(/\.html?$/, "") + ".png");
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`${file}: ${report.text} characters, ${report.images} images, ${report.svgs} inline pictures; screenshot ${shot}`);
  for (const p of problems) console.log(`  PROBLEM ${p}`);
  failures += problems.length;
  await page.close();
}
await browser.close();
if (failures > 0) {
  console.error(`${failures} problem(s)`);
  process.exit(1);
}
