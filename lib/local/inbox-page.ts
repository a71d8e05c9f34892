import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// Microsoft's own renderer for the Teams cards; the other platforms are drawn by look-alikes.
const require = createRequire(import.meta.url);
const acScript = () => readFileSync(require.resolve('adaptivecards/dist/adaptivecards.min.js'), 'utf8');

const CSS = `body{font-family:-apple-system,"Segoe UI",Lato,Helvetica,Arial,sans-serif;margin:0;background:#f4f4f4;color:#1d1c1d}
header{padding:10px 16px;background:#1d1c1d;color:#fff;display:flex;gap:16px;align-items:center}
header button{padding:4px 12px}
main{display:flex;gap:12px;padding:12px;overflow-x:auto;align-items:flex-start}
.col{min-width:360px;max-width:420px;background:#fff;border-radius:6px;box-shadow:0 1px 3px #0002;padding:8px}
.col h2{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:#666;margin:4px 0 8px}
.msg{border-left:4px solid #ccc;padding:4px 8px;margin:8px 0;font-size:14px;white-space:pre-wrap;word-break:break-word}
.title{font-weight:bold}.field{display:inline-block;margin:2px 12px 2px 0}.field b{display:block;font-size:12px}
.thread{margin-left:16px;border-left:2px solid #e8e8e8;padding-left:8px;font-size:13px}.muted{color:#777;font-size:12px}`;

// Client side: every string from an event goes through textContent, never innerHTML.
const CLIENT = `
const cols = {};
const byId = {};
function col(provider) {
  if (cols[provider]) return cols[provider];
  const c = document.createElement('section'); c.className = 'col'; c.dataset.provider = provider;
  const h = document.createElement('h2'); h.textContent = provider; c.appendChild(h);
  document.querySelector('main').appendChild(c);
  return (cols[provider] = c);
}
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
// Slack mrkdwn to plain text: date tokens, *bold* and \`code\` marks, then the escaped entities.
function plain(s) { return String(s ?? '').replace(/<!date\\^\\d+\\^[^|]*\\|([^>]*)>/g, '$1').replace(/\\*([^*\\n]+)\\*/g, '$1').replace(/\`([^\`]+)\`/g, '$1').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'); }
function fields(box, list) { for (const [k, v] of list) { const f = el('span', undefined, 'field'); f.appendChild(el('b', k)); f.appendChild(el('span', v)); box.appendChild(f); } }
function render(provider, p) {
  const box = el('div', undefined, 'msg');
  if (provider === 'slack' || provider === 'slack-app') {
    const a = (p.attachments || [])[0] || {};
    box.style.borderColor = a.color || '#ccc';
    for (const b of a.blocks || []) {
      if (b.text) box.appendChild(el('div', plain(b.text.text)));
      if (b.fields) fields(box, b.fields.map((f) => { const [k, ...v] = plain(f.text).split('\\n'); return [k.replace(/\\*/g, ''), v.join(' ')]; }));
      if (b.type === 'context') box.appendChild(el('div', plain((b.elements || []).map((e) => e.text).join(' ')), 'muted'));
    }
    if (!a.blocks) box.appendChild(el('div', plain(p.text)));
  } else if (provider === 'teams') {
    const content = ((p.attachments || [])[0] || {}).content;
    if (content && window.AdaptiveCards) { const card = new AdaptiveCards.AdaptiveCard(); card.parse(content); box.appendChild(card.render()); }
    else { box.appendChild(el('div', p.title || p.summary, 'title')); box.appendChild(el('div', (p.sections || [{}])[0].text)); }
  } else if (provider === 'discord') {
    if (p.content) box.appendChild(el('div', p.content));
    for (const e of p.embeds || []) {
      box.style.borderColor = '#' + Number(e.color || 0).toString(16).padStart(6, '0');
      box.appendChild(el('div', e.title, 'title')); box.appendChild(el('div', e.description));
      fields(box, (e.fields || []).map((f) => [f.name, f.value]));
    }
  } else if (provider === 'googlechat') {
    const card = ((p.cardsV2 || [])[0] || {}).card || {};
    box.appendChild(el('div', (card.header || {}).title, 'title'));
    for (const w of ((card.sections || [])[0] || {}).widgets || []) {
      const t = w.textParagraph ? w.textParagraph.text : w.decoratedText ? w.decoratedText.topLabel + ': ' + w.decoratedText.text : '';
      if (t) box.appendChild(el('div', plain(t.replace(/<br>/g, '\\n').replace(/<[^>]*>/g, ''))));
    }
  } else if (provider === 'rocketchat' || provider === 'mattermost') {
    const a = (p.attachments || [])[0] || {};
    box.style.borderColor = a.color || '#ccc';
    box.appendChild(el('div', a.title, 'title')); box.appendChild(el('div', a.text));
    fields(box, (a.fields || []).map((f) => [f.title, f.value]));
  } else if (provider === 'alertmanager') {
    for (const a of Array.isArray(p) ? p : []) {
      const resolved = Date.parse(a.endsAt) <= Date.now();
      box.style.borderColor = resolved ? '#2eb886' : '#d40e0d';
      box.appendChild(el('div', (resolved ? 'resolved ' : 'firing ') + a.labels.alertname + ' ' + a.labels.namespace + '/' + a.labels.name, 'title'));
      box.appendChild(el('div', (a.annotations || {}).reason)); box.appendChild(el('div', 'until ' + a.endsAt, 'muted'));
    }
  } else {
    box.appendChild(el('div', (p.kind || '') + ' ' + (p.canary || ''), 'title'));
    box.appendChild(el('div', ((p.event || {}).metadata || {}).eventMessage));
  }
  return box;
}
function show(item) {
  const c = col(item.provider);
  const box = render(item.provider, item.payload);
  box.dataset.kind = item.kind;
  if (item.via) box.appendChild(el('div', 'delivered to ' + item.via, 'muted via'));
  if (item.kind === 'update' && byId[item.provider + item.id]) {
    const old = byId[item.provider + item.id];
    const thread = old.querySelector('.thread');
    old.replaceChildren(...box.childNodes); old.style.borderColor = box.style.borderColor;
    if (thread) old.appendChild(thread);
    return;
  }
  if (item.kind === 'reply' && byId[item.provider + item.parent]) {
    const parent = byId[item.provider + item.parent];
    let thread = parent.querySelector('.thread');
    if (!thread) { thread = el('div', undefined, 'thread'); parent.appendChild(thread); }
    thread.appendChild(el('div', plain(item.payload.text)));
    return;
  }
  byId[item.provider + item.id] = box;
  c.insertBefore(box, c.children[1] || null);
}
// Live messages first, then the platforms people read, then machine receivers; others as they come.
for (const p of ['slack-app', 'discord', 'slack', 'teams', 'googlechat', 'rocketchat', 'mattermost', 'webhook', 'alertmanager']) col(p);
const feed = new EventSource('/inbox/feed');
feed.onmessage = (e) => show(JSON.parse(e.data));
document.getElementById('demo').onclick = () => fetch('/inbox/demo', { method: 'POST' });
`;

/** The inbox page: a column per provider, messages as each platform would show them, live. */
export function inboxHtml(): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>flagger-notify inbox</title>
<link rel="icon" href="data:,"><style>${CSS}</style></head><body>
<header><b>flagger-notify inbox</b><span>POST Flagger events to /events, or</span><button id="demo">replay the sample rollouts</button></header>
<main></main>
<script>${acScript()}</script>
<script>${CLIENT}</script></body></html>`;
}
