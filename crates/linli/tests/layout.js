// Layout guard run in the browser on every page the tests visit: what a person on a phone or
// at a desk would notice. Returns a list of faults (empty when the page is fit):
// - the page scrolls sideways;
// - a text box narrower than 200 px (or than the page's content, on a very narrow screen);
// - on a phone, a control a finger must hit that is under 44 px tall;
// - any text under 12 px as drawn, SVG charts and maps included (their text is scaled
//   with the drawing, so a chart that shrinks to a phone shrinks its labels), and chart
//   text over 15 px (a chart stretched on a desk).
const phone = window.innerWidth < 600;
const faults = [];
const shown = (e) => {
  const r = e.getBoundingClientRect();
  const s = getComputedStyle(e);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
};
const named = (e) => {
  const text = (e.getAttribute('aria-label') || e.textContent || e.value || '').trim().replace(/\s+/g, ' ');
  return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.name ? '[' + e.name + ']' : '') + ' "' + text.slice(0, 24) + '"';
};
const over = document.documentElement.scrollWidth - window.innerWidth;
if (over > 0) faults.push('the page scrolls sideways by ' + over + ' px');

const textual = 'input:not([type]), input[type=text], input[type=search], input[type=tel], input[type=password], input[type=email], input[type=url], textarea';
for (const e of document.querySelectorAll(textual)) {
  if (!shown(e)) continue;
  const w = e.getBoundingClientRect().width;
  // The page's own width is the excuse, not the box's container: a card squeezed to 80 px
  // must not excuse the 53 px inputs inside it.
  const room = document.querySelector('main').clientWidth - 32;
  if (w < Math.min(200, room)) faults.push(named(e) + ' is ' + Math.round(w) + ' px wide');
}

if (phone) {
  const tappable = 'button, .button, select, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea, summary, nav a, .chips a, .actions a, label.check';
  for (const e of document.querySelectorAll(tappable)) {
    if (!shown(e) || e.closest('svg')) continue;
    const h = e.getBoundingClientRect().height;
    if (h < 43.5) faults.push(named(e) + ' is ' + Math.round(h) + ' px tall, under a finger\'s 44');
  }
}

const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const seen = new Set();
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const e = n.parentElement;
  if (!n.textContent.trim() || seen.has(e) || !e) continue;
  seen.add(e);
  if (e.closest('title, script, style, .sr, .skip') || !shown(e)) continue;
  let size = parseFloat(getComputedStyle(e).fontSize);
  const svg = e.closest('svg');
  if (svg) {
    const m = e.getScreenCTM && e.getScreenCTM();
    if (m) size *= Math.hypot(m.a, m.b);
  }
  if (size < 11.9) faults.push((svg ? 'svg ' : '') + named(e) + ' is drawn at ' + size.toFixed(1) + ' px');
  if (e.closest('svg.chart') && size > 15.5) faults.push('chart ' + named(e) + ' is drawn at ' + size.toFixed(1) + ' px');
}
return faults;
