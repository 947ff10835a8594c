/**
 * A conversation title as the list and the header show it: chat-api titles a conversation with
 * the first characters of its first message, markdown and all, so the display drops the markup
 * (`# `, `**`, backticks, `[text](url)`, list and quote markers) and keeps the words. The stored
 * title is unchanged (rename edits it as stored). No DOM: unit-tested in Node.
 */
export function plainTitle(title: string | null): string {
  if (title === null) return 'New chat';
  const plain = title
    .replace(/```[\w+#.-]*/g, ' ')
    .replace(/!?\[([^\]]*)\]\([^)]*\)?/g, '$1')
    .replace(/<\/?[a-z][^>]*>/gi, ' ')
    .split('\n')
    .map((line) => line.replace(/^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)/, ''))
    .join(' ')
    .replace(/(\*\*|__|~~|`)/g, '')
    .replace(/(^|[\s(])[*_]([^*_\s][^*_]*?)[*_](?=$|[\s).,!?:;])/g, '$1$2')
    .replace(/\s+/g, ' ')
    .trim();
  return plain || 'New chat';
}
