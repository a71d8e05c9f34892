/** Slack mrkdwn control characters; anything else stays literal (docs.slack.dev, "Formatting text": escape &, <, >). */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Cut to at most `max` UTF-16 units with a visible ellipsis, never splitting a surrogate pair or
 * an HTML entity produced by escaping (a half `&am` would show as garbage).
 */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = s.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  cut = cut.replace(/&[a-z]{0,3}$/, '');
  return `${cut}…`;
}

/**
 * Adaptive Card and MessageCard text is markdown: `[text](url)` would become a disguised link.
 * A zero-width space between `]` and `(` keeps the characters visible but stops the link syntax.
 */
export function neutralizeMarkdownLinks(s: string): string {
  return s.replace(/\]\s*\(/g, (m) => `${m.slice(0, 1)}\u200b${m.slice(1)}`);
}

/** `truncate` to at most `maxBytes` of UTF-8, for platforms that count bytes (Google Chat's 32 KB). */
export function truncateBytes(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s) <= maxBytes) return s;
  let [lo, hi] = [0, Math.min(s.length, maxBytes)];
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (Buffer.byteLength(truncate(s, mid)) <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  return truncate(s, Math.max(1, lo));
}
