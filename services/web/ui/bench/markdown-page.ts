/**
 * The page side of bench/ui-markdown.ts (not part of the app's bundles): streams a text into
 * one answer at a fixed pace, drawn either as plain text (the page before markdown: the whole
 * text set as a text node per token) or through chat/markdown.ts's MarkdownView, and records
 * the browser's long tasks (> 50 ms).
 */
import { MarkdownView } from '../chat/markdown.js';

declare global {
  interface Window {
    benchStream(kind: 'plain' | 'markdown', tokens: string[], tokensPerSecond: number): Promise<{ wallMs: number; textLength: number }>;
    longTasks: number[];
  }
}

window.longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.longTasks.push(entry.duration);
}).observe({ type: 'longtask', buffered: true });

window.benchStream = (kind, tokens, tokensPerSecond) =>
  new Promise((resolve) => {
    window.longTasks = [];
    const scroller = document.getElementById('messages-scroller') as HTMLElement;
    const list = document.getElementById('messages') as HTMLElement;
    list.replaceChildren();
    const body = document.createElement('div');
    body.className = 'message-body';
    const li = document.createElement('li');
    li.className = 'message assistant streaming';
    li.appendChild(body);
    list.appendChild(li);
    let sink: (token: string) => void;
    let finish: () => void;
    if (kind === 'plain') {
      const span = document.createElement('span');
      span.className = 'answer-text';
      body.appendChild(span);
      let content = '';
      sink = (token) => {
        content += token;
        span.textContent = content;
      };
      finish = () => undefined;
    } else {
      const view = new MarkdownView('answer-text');
      body.appendChild(view.el);
      sink = (token) => view.append(token);
      finish = () => view.flush();
    }
    const started = performance.now();
    let next = 0;
    const timer = setInterval(() => {
      const token = tokens[next++];
      if (token !== undefined) {
        sink(token);
        // As the thread does: follow the stream to its end.
        scroller.scrollTop = scroller.scrollHeight;
      }
      if (next >= tokens.length) {
        clearInterval(timer);
        finish();
        li.classList.remove('streaming');
        requestAnimationFrame(() => setTimeout(() => resolve({ wallMs: performance.now() - started, textLength: (body.textContent ?? '').length }), 0));
      }
    }, 1000 / tokensPerSecond);
  });
