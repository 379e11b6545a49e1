"""Patient pages on a phone held in an older, numb hand (issue 17), at 360 and 390 px.

Each page is loaded once per width and measured in one pass (MEASURE below): the page
does not scroll sideways and no table scrolls inside its box; every tap target is at
least 44 px tall; text links and primary buttons have a contrast of at least 5.5:1;
no word of a label is broken across lines ("Somewher / e else"); the flag-help
disclosure shows a marker. axe runs on the same pages at 360 px in test_accessibility.py.
"""

import uuid

import pytest

from tests.e2e.conftest import demo_patient, sign_in
from tracker import learn
from tracker.models import SymptomEntry
from tracker.symptoms import SYMPTOMS

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (360, 390)
MIN_TARGET = 44  # CSS px, WCAG 2.5.5
MIN_CONTRAST = 5.5

# One pass over the page. Closed disclosures are opened first, so that what they hold
# is measured too (the page must fit either way: it is measured closed as well).
MEASURE = """({target, contrast: minContrast}) => {
  const vw = window.innerWidth;
  const overflowClosed = document.documentElement.scrollWidth - vw;
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  // What a disclosure reveals fades in from Bootstrap's colours (its .btn transition).
  document.getAnimations().forEach(a => a.finish());
  const shown = e => {
    const r = e.getBoundingClientRect();
    // visually-hidden elements are 1 px boxes; skip links appear only on focus.
    return r.width > 1 && r.height > 1 && getComputedStyle(e).visibility !== 'hidden';
  };
  const name = e => (e.tagName.toLowerCase() + ' "' + (e.innerText || e.value || '')
    .trim().replace(/\\s+/g, ' ').slice(0, 40) + '"');

  // Tables: none wider than the window, none scrolling inside its box. Named by
  // their caption, with the first thing that sticks out.
  const wideTables = [...document.querySelectorAll('table')].filter(shown)
    .filter(t => t.getBoundingClientRect().right > vw + 0.5
      || (t.parentElement.scrollWidth > t.parentElement.clientWidth + 1))
    .map(t => {
      const edge = Math.min(vw, t.parentElement.getBoundingClientRect().right);
      const out = [...t.querySelectorAll('*')]
        .find(e => e.getBoundingClientRect().right > edge + 1);
      return (t.querySelector('caption') || t).textContent.trim().slice(0, 40) + ': '
        + (out ? name(out) + ' ' + out.className : '') + ' ' + Math.round(t.scrollWidth) + 'px';
    });

  // Tap targets, by their boxes. A check box or radio is tapped through its label.
  // A link inside running text is padded to a 44 px box (app.css); the line below
  // it takes the lowest few px of that box for itself, as WCAG 2.5.8 allows for
  // links in a sentence (measured with elementFromPoint: 38 px of a citation's
  // box answers a tap in mid-paragraph, all 47 px on a paragraph's last line).
  const targets = [...document.querySelectorAll(
    'main a[href], main button, main summary, main input:not([type=hidden]), main select,'
    + ' main textarea, header a[href], header button')]
    .map(e => (e.type === 'checkbox' || e.type === 'radio') && e.labels.length ? e.labels[0] : e)
    .filter(shown);
  const small = [...new Set(targets)]
    .filter(e => e.getBoundingClientRect().height < target - 0.01)
    .map(e => name(e) + ' ' + e.getBoundingClientRect().height.toFixed(1) + 'px');

  // Contrast, WCAG 2.x relative luminance, from the computed colours.
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = c => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const background = e => {
    for (; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const contrast = e => {
    const [a, b] = [luminance(rgb(getComputedStyle(e).color)), luminance(background(e))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  };
  const lowContrast = [...document.querySelectorAll(
    'a[href]:not(.btn), .btn-link, .btn-primary, .btn-outline-primary')].filter(shown)
    .map(e => [e, contrast(e)]).filter(([e, c]) => c < minContrast)
    .map(([e, c]) => name(e) + ' ' + c.toFixed(2));

  // No word of a label broken across two lines, nor sticking out of its tile.
  const brokenWords = [];
  document.querySelectorAll('label').forEach(label => {
    if (!shown(label)) return;
    if (label.scrollWidth > label.clientWidth + 1) brokenWords.push('wider: ' + name(label));
    const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode());) {
      for (const m of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) brokenWords.push(m[0]);
      }
    }
  });
  const somewhere = [...document.querySelectorAll('label')]
    .find(l => l.textContent.trim() === 'Somewhere else');
  let somewhereLines = null;
  if (somewhere) {
    const tops = new Set();
    const walker = document.createTreeWalker(somewhere, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode());) {
      const range = document.createRange();
      range.selectNodeContents(node);
      [...range.getClientRects()].filter(r => r.width > 0)
        .forEach(r => tops.add(Math.round(r.top)));
    }
    somewhereLines = tops.size;
  }

  // The flag-help disclosure shows a marker: a list-item marker or a ::before glyph.
  const markers = [...document.querySelectorAll('.flag-help > summary')].map(s => {
    const style = getComputedStyle(s);
    const before = getComputedStyle(s, '::before').content;
    return (style.display === 'list-item' && style.listStyleType !== 'none')
      || !['none', 'normal', '""'].includes(before);
  });

  return {
    overflowClosed, overflowOpen: document.documentElement.scrollWidth - vw,
    wideTables, small, lowContrast, brokenWords, somewhereLines, markers,
  };
}"""


def measure(page, url, width, problems, targets=True):
    """Load url once and add to problems what a phone would suffer."""
    page.goto(url)
    path = url.split("//", 1)[-1].split("/", 1)[-1]
    # Screenshots at 360 px: test_accessibility.py saves one of each page.
    m = page.evaluate(MEASURE, {"target": MIN_TARGET, "contrast": MIN_CONTRAST})
    found = {
        "scrolls sideways by (closed, open) px": [m["overflowClosed"], m["overflowOpen"]]
        if max(m["overflowClosed"], m["overflowOpen"]) > 0
        else [],
        "tables wider than the page": m["wideTables"],
        f"contrast below {MIN_CONTRAST}:1": m["lowContrast"],
        "words broken across lines": m["brokenWords"],
        f"targets under {MIN_TARGET} px tall": m["small"] if targets else [],
    }
    problems.extend(f"{path} at {width} px: {what}: {got}" for what, got in found.items() if got)
    return m


def table_semantics_lost(page):
    """What a screen reader would miss in the cards: Chromium's own accessibility tree
    must still hold the table, its headers and cells named by their figures alone."""
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    cdp.detach()
    roles = [n.get("role", {}).get("value") for n in nodes]
    lost = [role for role in ("table", "columnheader", "rowheader", "cell") if role not in roles]
    labels = ("Entries", *(symptom.label for symptom in SYMPTOMS))
    doubled = [
        n["name"]["value"]
        for n in nodes
        if n.get("role", {}).get("value") == "cell"
        and n.get("name", {}).get("value", "").startswith(labels)
    ]
    return [f"history/: no {role} for screen readers" for role in lost] + (
        [f"history/: cells read their label twice: {doubled[:5]}"] if doubled else []
    )


def patient_urls():
    entry = SymptomEntry.objects.filter(patient__user__username="demo.patient").first()
    entry.pk = None  # a fresh entry, so that its change and delete pages are open
    entry.public_id = uuid.uuid4()
    entry.save()
    return [
        "/history/?range=all",
        f"/history/entries/{entry.public_id}/edit/",
        f"/history/entries/{entry.public_id}/delete/",
        "/account/",
        "/account/reminders/",
        "/account/erase/",
        "/accounts/password/",
        "/learn/",
        *(f"/learn/{p.slug}/" for p in learn.all_pages()),
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_patient_pages_fit_a_phone(demo, new_context, live_server, width):
    page = new_context(viewport={"width": width, "height": 740}, has_touch=True).new_page()
    problems = []
    for url in [
        "/accounts/login/",
        "/accounts/password/forgot/",
        "/accounts/password/forgot/sent/",
        "/accounts/password/reset/MQ/not-a-real-token/",
    ]:
        measure(page, live_server.url + url, width, problems)
    sign_in(page, live_server, "demo.patient")
    m = measure(page, live_server.url + "/log/", width, problems)
    if m["somewhereLines"] != 1:
        problems.append(f"'Somewhere else' is on {m['somewhereLines']} lines")
    measure(page, live_server.url + "/history/", width, problems)
    problems.extend(table_semantics_lost(page))
    for url in patient_urls():
        measure(page, live_server.url + url, width, problems)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_practitioner_pages_fit_a_phone(demo, new_context, live_server, width):
    page = new_context(viewport={"width": width, "height": 740}, has_touch=True).new_page()
    problems = []
    sign_in(page, live_server, "demo.practitioner")
    m = measure(page, live_server.url + "/practice/?show=all", width, problems, targets=False)
    if m["markers"] != [True]:
        problems.append(f"'What the flags mean' shows no marker: {m['markers']}")
    # A card has the room that a tablet's table lacks: the point figures and the band's
    # full words ("No important change") are shown, not only the percentage.
    hidden = page.eval_on_selector_all(
        ".worklist .change-points, .worklist .band-rest",
        "els => els.filter(e => !e.checkVisibility()).map(e => e.textContent.trim())",
    )
    shown = page.locator(".worklist .change-points").count()
    if hidden or not shown:
        problems.append(f"worklist cards hide {len(hidden)} figures or words: {hidden[:5]}")
    base = f"{live_server.url}/practice/patients/{demo_patient().public_id}"
    measure(page, f"{base}/", width, problems, targets=False)
    measure(page, f"{base}/report/", width, problems, targets=False)
    assert not problems, "\n".join(problems)
