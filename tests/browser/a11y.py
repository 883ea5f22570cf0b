"""Accessibility checks run inside the page (the equivalent of an axe-core subset, no download):
labels for every control, error messages tied to their field, unique ids, valid ARIA
references, a language and a heading, and WCAG AA colour contrast of all visible text."""
from __future__ import annotations

CHECKS = r"""
() => {
  const problems = [];
  const shown = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
                      && getComputedStyle(el).visibility !== 'hidden';
  const text = el => (el ? el.textContent.replace(/\s+/g, ' ').trim() : '');
  if (!document.documentElement.lang) problems.push('<html> has no lang');
  if (!document.title.trim()) problems.push('no <title>');
  if (!document.querySelector('h1')) problems.push('no <h1>');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
    const byLabel = el.labels ? [...el.labels].map(text).join(' ') : '';
    const byAria = el.getAttribute('aria-label') || (el.getAttribute('aria-labelledby') || '').split(/\s+/)
        .filter(Boolean).map(id => text(document.getElementById(id))).join(' ');
    if (!(byLabel || byAria).trim()) problems.push('control without a label: ' + el.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (shown(el) && !(text(el) || el.getAttribute('aria-label'))) problems.push(el.tagName + ' without text');
  }
  for (const el of document.querySelectorAll('[aria-describedby], [aria-labelledby]')) {
    for (const attr of ['aria-describedby', 'aria-labelledby']) {
      for (const id of (el.getAttribute(attr) || '').split(/\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(attr + ' points to a missing #' + id);
      }
    }
  }
  const seen = {};
  for (const el of document.querySelectorAll('[id]')) seen[el.id] = (seen[el.id] || 0) + 1;
  for (const [id, n] of Object.entries(seen)) if (n > 1) problems.push('duplicate id ' + id);
  for (const el of document.querySelectorAll('.field-error')) {
    if (!el.id || !document.querySelector('[aria-describedby~="' + el.id + '"]'))
      problems.push('error message not tied to its field: ' + text(el));
  }
  const rgba = value => {
    const m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const background = el => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const c = rgba(getComputedStyle(node).backgroundColor);
      if (c && c[3] > 0.5) return c;
    }
    return [255, 255, 255, 1];
  };
  const luminance = c => {
    const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !shown(el)) continue;
    const style = getComputedStyle(el);
    const fg = rgba(style.color);
    if (!fg) continue;
    const [l1, l2] = [luminance(fg), luminance(background(el))].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < needed) problems.push(`contrast ${ratio.toFixed(2)} < ${needed}: "${text(el).slice(0, 40)}"`);
  }
  return problems;
}
"""


def problems(page) -> list[str]:
    return page.evaluate(CHECKS)


def assert_accessible(page, where: str) -> None:
    found = problems(page)
    assert not found, f"accessibility problems on {where}:\n  " + "\n  ".join(found)
