// The title a conversation gets from its first message (services/chat-api/README.md): the
// text a reader sees, without markdown's markup, whitespace collapsed, at most 80 characters.

/** Characters of the first user message that become the conversation's title. */
export const TITLE_CHARS = 80;

/** `text` without markdown markup: what it reads as once rendered. */
export function plainFromMarkdown(text: string): string {
  const lines: string[] = [];
  for (let line of text.split(/\r?\n/)) {
    // Code fences (``` or ~~~ with an info string) and horizontal rules carry no words.
    if (/^\s*(```|~~~)/.test(line) || /^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) continue;
    // Table separator rows (| --- | :-: |).
    if (/^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*\|?\s*$/.test(line)) continue;
    line = line
      .replace(/^\s{0,3}#{1,6}\s+/, '') // ATX heading
      .replace(/\s+#+\s*$/, '') // its closing hashes
      .replace(/^\s*(>\s?)+/, '') // block quote
      .replace(/^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?/, '') // list item, task box
      .replace(/^\s*=+\s*$|^\s*-+\s*$/, ''); // setext underline
    lines.push(line);
  }
  return (
    lines
      .join('\n')
      // Images and links: their text; autolinks: the address.
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
      .replace(/<((?:https?|mailto):[^>\s]+)>/gi, '$1')
      // Inline code: the code, without its backticks.
      .replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_m, _ticks: string, code: string) => code.trim())
      // Emphasis and strikethrough: markers at word edges only (snake_case and 2*3 stay).
      .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
      .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?!\w)/g, '$1$2')
      .replace(/(^|[^\w])_(?=\S)([^_\n]*?\S)_(?!\w)/g, '$1$2')
      .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '$1')
      // Table cell borders.
      .replace(/\s*\|\s*/g, ' ')
  );
}

/** The title a first message gives its conversation: markdown removed, whitespace collapsed, first 80 characters. */
export function titleFromMessage(content: string): string | null {
  let flat = plainFromMarkdown(content).replace(/\s+/g, ' ').trim();
  // A message that is markup only (a lone fence, "---"): its raw text, rather than no title.
  if (flat.length === 0) flat = content.replace(/\s+/g, ' ').trim();
  if (flat.length === 0) return null;
  return Array.from(flat).slice(0, TITLE_CHARS).join('');
}
