import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// A look-alike of Slack's message view for the Block Kit subset flagger-notify sends, and
// Microsoft's own adaptivecards renderer for the Teams card: close enough to judge a layout.

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Slack mrkdwn → HTML: entities decoded then re-escaped, *bold*, `code`, date tokens, newlines. */
function mrkdwn(text: string): string {
  const decoded = text
    .replace(/<!date\^\d+\^[^|]*\|([^>]*)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  return esc(decoded)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*([^*\n]+)\*/g, '<b>$1</b>')
    .replace(/\n/g, '<br>');
}

type Text = { text?: string };
type Block = {
  type: string;
  text?: Text;
  fields?: Text[];
  elements?: (Text & { url?: string; text?: Text | string })[];
};
type Slack = { text: string; username?: string; attachments?: { color: string; blocks: Block[] }[] };

function slackHtml(p: Slack): string {
  const a = p.attachments?.[0];
  const blocks = (a?.blocks ?? [])
    .map((b) => {
      if (b.type === 'section' && b.fields) {
        return `<div class="fields">${b.fields.map((f) => `<div>${mrkdwn(f.text ?? '')}</div>`).join('')}</div>`;
      }
      if (b.type === 'section') return `<div class="section">${mrkdwn(b.text?.text ?? '')}</div>`;
      if (b.type === 'context')
        return `<div class="context">${(b.elements ?? []).map((e) => mrkdwn(String(e.text ?? ''))).join(' ')}</div>`;
      if (b.type === 'actions') {
        return (b.elements ?? [])
          .map((e) => `<a class="button" href="${esc(e.url ?? '')}">${esc((e.text as Text)?.text ?? '')}</a>`)
          .join('');
      }
      return '';
    })
    .join('');
  return `<div class="slack"><div class="who"><span class="avatar">F</span><b>${esc(p.username ?? 'Flagger')}</b> <span class="app">APP</span></div>
  <div class="attachment" style="border-color:${esc(a?.color ?? '#ddd')}">${blocks}</div></div>`;
}

/** A live message's thread replies, as Slack lists them under "N replies". */
function threadHtml(replies: string[] | undefined): string {
  if (!replies?.length) return '';
  return `<div class="thread"><div class="count">${replies.length} repl${replies.length === 1 ? 'y' : 'ies'}</div>${replies
    .map((r) => `<div class="reply">${mrkdwn(r)}</div>`)
    .join('')}</div>`;
}

const require = createRequire(import.meta.url);
const acScript = readFileSync(require.resolve('adaptivecards/dist/adaptivecards.min.js'), 'utf8');
const acCss = readFileSync(require.resolve('adaptivecards/dist/adaptivecards.css'), 'utf8');

const CSS = `body{font-family:-apple-system,"Segoe UI",Lato,Helvetica,Arial,sans-serif;margin:0;padding:16px;background:#f4f4f4}
.row{display:flex;gap:16px;margin-bottom:16px;align-items:flex-start}
.pane{background:#fff;border-radius:6px;padding:12px;width:520px;box-shadow:0 1px 3px #0002}
.pane h2{font-size:11px;color:#888;margin:0 0 8px;text-transform:uppercase;letter-spacing:.05em}
.slack{font-size:15px;color:#1d1c1d;line-height:1.45}.who{margin-bottom:4px}.app{font-size:10px;background:#ddd;padding:1px 3px;border-radius:2px;color:#555}
.avatar{display:inline-block;width:20px;height:20px;border-radius:4px;background:#3b5;color:#fff;text-align:center;font-size:12px;margin-right:6px}
.attachment{border-left:4px solid;padding:2px 0 2px 12px}.section{margin:4px 0}.context{font-size:12px;color:#616061;margin:6px 0}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:6px;margin:6px 0}code{font-size:12px;background:#f6f6f6;border:1px solid #ddd;padding:1px 3px;border-radius:3px}
.button{display:inline-block;border:1px solid #ccc;border-radius:4px;padding:3px 10px;font-size:14px;color:#1d1c1d;text-decoration:none;margin-top:4px}
.teams{font-family:"Segoe UI",sans-serif}
.thread{margin:8px 0 0 24px;border-left:2px solid #e8e8e8;padding-left:10px;font-size:14px}.count{color:#1264a3;font-size:13px;margin-bottom:4px}.reply{margin:3px 0}`;

export function previewHtml(
  items: { title: string; slack: unknown; teams: unknown; thread?: string[] }[],
): string {
  const rows = items
    .map(
      (
        it,
        i,
      ) => `<div class="row"><div class="pane"><h2>Slack · ${esc(it.title)}</h2>${slackHtml(it.slack as Slack)}${threadHtml(it.thread)}</div>
<div class="pane"><h2>Microsoft Teams</h2><div class="teams" id="teams-${i}"></div></div></div>`,
    )
    .join('\n');
  const cards = items.map(
    (it) => (it.teams as { attachments?: { content: unknown }[] }).attachments?.[0]?.content ?? null,
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>flagger-notify preview</title>
<style>${CSS}\n${acCss}</style></head><body>${rows}
<script>${acScript}</script>
<script>
const cards = ${JSON.stringify(cards).replace(/</g, '\\u003c')};
cards.forEach((json, i) => {
  const target = document.getElementById('teams-' + i);
  if (!json) { target.textContent = '(legacy MessageCard: no Adaptive Card to render)'; return; }
  const card = new AdaptiveCards.AdaptiveCard();
  card.parse(json);
  target.appendChild(card.render());
});
</script></body></html>`;
}
