/**
 * A failing webhook's answer — often a whole HTML error page — ends up in Flagger's message. For
 * people it is shown as text: scripts and styles dropped, tags removed, whitespace collapsed, and
 * cut to `max` characters with a visible marker. The full text stays in the generic webhook's
 * body and in dead letters.
 */
export function plainText(s: string, max: number): string {
  const looksLikeHtml = /<\/?(html|head|body|div|p|br|span|h[1-6]|title|pre|center|table)\b[^>]*>/i.test(s);
  const text = looksLikeHtml
    ? s
        .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
        .replace(/<!--[\s\S]*?-->/g, ' ')
        .replace(/<\/?[a-z][^>]*>/gi, ' ')
        .replace(/\s+/g, ' ')
        .trim()
    : s;
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** `1 event`, `2 events`. */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;
