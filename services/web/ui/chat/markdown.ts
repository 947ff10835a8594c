/**
 * Answers rendered as markdown (services/web/README.md, "The browser UI"): `marked` (GitHub
 * flavour: tables, lists, fenced code) turns the text into HTML, raw HTML in the text is shown
 * as text (model output is never markup), and DOMPurify keeps only a short list of tags and
 * attributes before anything reaches the page. Code blocks are coloured by highlight.js (core,
 * the languages below) and get a Copy button; links open in a new tab.
 *
 * While an answer streams, the text is re-rendered at most once per animation frame, and only
 * its last block: blocks that can no longer change (a blank line outside a code fence, followed
 * by a line that is not indented) are rendered once and kept, so the cost per frame does not grow
 * with the answer (bench/ui-markdown.ts).
 */
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { Marked, type Tokens } from 'marked';
import { announce } from '../lib/a11y.js';
import { h } from '../lib/dom.js';
import { BlockBoundaries } from './blocks.js';

for (const [name, lang] of Object.entries({ bash, c, cpp, css, diff, go, java, javascript, json, python, rust, shell, sql, typescript, xml, yaml })) hljs.registerLanguage(name, lang);

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    // Raw HTML in an answer is text, never markup (DOMPurify would also drop it: belt and braces).
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    // No remote images in answers (a model could be made to leak data through an image URL):
    // shown as a link the reader can choose to open.
    image({ href, text }: Tokens.Image): string {
      return `<a href="${escapeHtml(href)}">${escapeHtml(text || href)}</a>`;
    },
    code({ text, lang }: Tokens.Code): string {
      const language = (lang ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
      const known = language !== '' && hljs.getLanguage(language) !== undefined;
      const body = known ? hljs.highlight(text, { language, ignoreIllegals: true }).value : escapeHtml(text);
      const cls = language ? ` class="hljs language-${escapeHtml(language)}"` : ' class="hljs"';
      return `<pre><code${cls}>${body}</code></pre>\n`;
    },
  },
});

const ALLOWED_TAGS = ['a', 'b', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'input', 'li', 'ol', 'p', 'pre', 's', 'span', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul'];
const ALLOWED_ATTR = ['href', 'title', 'class', 'start', 'align', 'type', 'checked', 'disabled'];

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName === 'A') {
    // Links in answers lead away from the chat: a new tab, no opener, no referrer.
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
  // Task-list checkboxes only: any other input is removed.
  if (node.nodeName === 'INPUT' && node.getAttribute('type') !== 'checkbox') node.remove();
  if (node.nodeName === 'INPUT') node.setAttribute('disabled', '');
  // highlight.js and marked only use their own class names.
  const cls = node.getAttribute('class');
  if (cls !== null && !/^(hljs[\w-]*|language-[\w+#.-]+|\s)+$/.test(cls)) node.removeAttribute('class');
});

/** Markdown → a sanitised fragment with a Copy button on each code block. */
export function renderMarkdown(text: string): DocumentFragment {
  const html = marked.parse(text, { async: false }).trim();
  const fragment = DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ALLOW_DATA_ATTR: false, ALLOW_ARIA_ATTR: false, RETURN_DOM_FRAGMENT: true });
  for (const pre of Array.from(fragment.querySelectorAll('pre'))) decorateCode(pre);
  return fragment;
}

/** Wraps a code block with its language and a Copy button. */
function decorateCode(pre: HTMLPreElement): void {
  const code = pre.querySelector('code');
  const language = /language-([\w+#.-]+)/.exec(code?.className ?? '')?.[1] ?? '';
  const copy = copyButton('copy-code', language ? ` the ${language} code` : ' the code');
  copy.addEventListener('click', () => void copyText(copy, code?.textContent ?? pre.textContent ?? ''));
  const head = h('div', { class: 'code-head' }, h('span', { class: 'code-lang' }, language || 'text'), copy);
  const block = h('div', { class: 'code-block' });
  pre.replaceWith(block);
  block.append(head, pre);
  pre.tabIndex = 0; // a long line scrolls sideways: reachable by keyboard
}

/**
 * A Copy button: "Copy" on screen, and what it copies for a screen reader (a visually hidden
 * tail), so the accessible name always starts with the visible text.
 */
export function copyButton(className: string, what: string): HTMLButtonElement {
  return h('button', { type: 'button', class: `copy-button ${className}` }, h('span', { class: 'copy-label' }, 'Copy'), h('span', { class: 'visually-hidden' }, what));
}

/** Copies `text` and says so, on the button for a moment and to a screen reader. */
export async function copyText(button: HTMLButtonElement, text: string): Promise<void> {
  const label = button.querySelector('.copy-label') ?? button;
  let said: string;
  try {
    await navigator.clipboard.writeText(text);
    said = 'Copied';
  } catch {
    said = 'Copy failed';
  }
  label.textContent = said;
  announce(said);
  setTimeout(() => (label.textContent = 'Copy'), 1500);
}

/** One answer's text as markdown, re-rendered as it grows. */
export class MarkdownView {
  readonly el: HTMLDivElement;
  private readonly frozen: HTMLDivElement;
  private readonly tail: HTMLDivElement;
  private source = '';
  private boundaries = new BlockBoundaries();
  private renderedUpTo = 0;
  private scheduled = false;
  private readonly schedule: (run: () => void) => void;

  constructor(className: string) {
    this.frozen = h('div', { class: 'md-settled' });
    this.tail = h('div', { class: 'md-tail' });
    this.el = h('div', { class: `${className} markdown` }, this.frozen, this.tail);
    // Once per frame; a timer as well, since a hidden tab gets no frames.
    this.schedule = (run) => {
      let done = false;
      const once = () => {
        if (done) return;
        done = true;
        run();
      };
      requestAnimationFrame(once);
      setTimeout(once, 100);
    };
  }

  /** The markdown source shown. */
  get text(): string {
    return this.source;
  }

  /** Adds streamed text; drawn on the next frame. */
  append(token: string): void {
    this.source += token;
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.draw();
    });
  }

  /** Replaces the whole text and draws it now. */
  set(text: string): void {
    this.source = text;
    this.boundaries = new BlockBoundaries();
    this.renderedUpTo = 0;
    this.frozen.replaceChildren();
    this.draw();
  }

  /** Draws what is pending now (the stream ended). */
  flush(): void {
    this.draw();
  }

  private draw(): void {
    this.boundaries.update(this.source);
    // One element per block, however many settled since the last frame: a reload (set) and a
    // live stream then draw the same blocks, so the same text reads the same.
    for (const end of this.boundaries.ends) {
      if (end <= this.renderedUpTo) continue;
      const block = h('div', { class: 'md-block' });
      block.appendChild(renderMarkdown(this.source.slice(this.renderedUpTo, end)));
      this.frozen.appendChild(block);
      this.renderedUpTo = end;
    }
    this.tail.replaceChildren(renderMarkdown(this.source.slice(this.renderedUpTo)));
  }
}
