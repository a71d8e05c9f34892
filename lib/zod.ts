// zod/mini keeps the ingest bundle small (~14 KB vs ~450 KB for classic zod, README "Dependencies"); the English
// locale gives the readable issue messages our 400 responses and config errors quote. Modules import
// `zod/mini` themselves: re-exporting its namespace from here would defeat tree-shaking.
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

// Path segments can be keys the client chose (metadata keys): shown only as safe, short text.
const safeSegment = (p: PropertyKey) =>
  String(p)
    .replace(/[^\w-]/g, '?')
    .slice(0, 63);

/** `a.b.c: message` for each issue, the form every 400 and config error uses. */
export function describeIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string[] {
  return issues.map((i) => `${i.path.length ? i.path.map(safeSegment).join('.') : '(root)'}: ${i.message}`);
}
