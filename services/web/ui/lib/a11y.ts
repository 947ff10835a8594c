/**
 * One polite live region for the page (services/web/README.md, "The browser UI"): a streaming
 * answer is not a live region itself (a screen reader would read every token); the page says
 * here, once, that an answer started and what it said when it ended.
 */
let region: HTMLElement | null = null;

function liveRegion(): HTMLElement {
  if (region?.isConnected) return region;
  region = document.createElement('div');
  region.id = 'announcer';
  region.className = 'visually-hidden';
  region.setAttribute('role', 'status');
  region.setAttribute('aria-live', 'polite');
  region.setAttribute('aria-atomic', 'true');
  document.body.appendChild(region);
  return region;
}

/** Says `text` politely (after what is being read now). */
export function announce(text: string): void {
  const el = liveRegion();
  // Emptied first, so the same sentence twice is announced twice.
  el.textContent = '';
  setTimeout(() => (el.textContent = text), 50);
}

/** At most `max` characters of `text`, cut at a word, for an announcement. */
export function excerpt(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max / 2))}…`;
}

// Created with the page, so assistive technology knows the region before it first speaks.
if (typeof document !== 'undefined') {
  if (document.body) liveRegion();
  else document.addEventListener('DOMContentLoaded', () => liveRegion(), { once: true });
}
