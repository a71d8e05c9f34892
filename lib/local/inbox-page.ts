import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PROVIDERS, type ProviderId } from '../providers/catalog';

// Microsoft's own renderer for the Teams cards; the other platforms are drawn by look-alikes.
const require = createRequire(import.meta.url);
const acScript = () => readFileSync(require.resolve('adaptivecards/dist/adaptivecards.min.js'), 'utf8');

// One screen: header and provider bar on top, the columns below, each scrolling on its own, so the
// horizontal scrollbar sits at the window's bottom and every provider is one click away.
const CSS = `body{font-family:-apple-system,"Segoe UI",Lato,Helvetica,Arial,sans-serif;margin:0;background:#f4f4f4;color:#1d1c1d;height:100vh;display:flex;flex-direction:column}
header{padding:10px 16px;background:#1d1c1d;color:#fff;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header button{padding:4px 12px}
nav{display:flex;flex-wrap:wrap;gap:6px;padding:6px 10px;background:#fff;border-bottom:1px solid #ddd}
nav button{font:inherit;font-size:12px;padding:3px 8px;border:1px solid #bbb;border-radius:12px;background:#fff;color:#1d1c1d;cursor:pointer}
nav button b{margin-left:4px;color:#1d1c1d}nav button.on{background:#1d1c1d;color:#fff}nav button.on b{color:#fff}
#empty{margin:24px auto;max-width:640px;background:#fff;border-radius:6px;box-shadow:0 1px 3px #0002;padding:16px 20px;line-height:1.5}
#empty code{background:#f0f0f0;padding:1px 4px;border-radius:3px}
main{display:flex;gap:10px;padding:10px;overflow-x:auto;overflow-y:hidden;align-items:flex-start;flex:1;min-height:0}
.col{flex:0 0 318px;background:#fff;border-radius:6px;box-shadow:0 1px 3px #0002;padding:8px;box-sizing:border-box;max-height:100%;overflow-y:auto}
.col h2{font-size:13px;color:#444;margin:4px 0 8px}.col h2 small{font-weight:normal;color:#595959;margin-left:6px}
.msg{border-left:4px solid #ccc;padding:4px 8px;margin:8px 0;font-size:13px;white-space:pre-wrap;word-break:break-word}
.who{font-size:12px;color:#616061}.who b{color:#1d1c1d;margin-right:4px}.who .app{background:#e8e8e8;border-radius:3px;padding:0 3px;font-size:10px;margin-right:6px}
.title{font-weight:bold}.field{display:inline-block;margin:2px 12px 2px 0}.field b{display:block;font-size:12px}
.link{display:inline-block;margin:4px 8px 0 0;font-size:12px;color:#0b57d0}.thread{margin-left:16px;border-left:2px solid #e8e8e8;padding-left:8px;font-size:13px}.muted{color:#595959;font-size:12px}
.col[data-look=teams] .msg,.col[data-look=teams-bot] .msg{word-break:normal;overflow-wrap:break-word}
.col[data-look=discord]{background:#313338;color:#dbdee1}.col[data-look=discord] h2{color:#b5bac1}
.col[data-look=discord] h2 small{color:#b5bac1}.col[data-look=discord] .msg{background:#2b2d31;border-radius:4px}.col[data-look=discord] .who,.col[data-look=discord] .who b{color:#f2f3f5}
.col[data-look=discord] .who .app{background:#5865f2;color:#fff}.col[data-look=discord] .muted{color:#949ba4}
.col[data-look=discord] .reply{border-left-color:#f23f43}.col[data-look=discord] .link{color:#00a8fc}
.alert .state{display:inline-block;border-radius:3px;padding:0 5px;color:#fff;font-size:11px;margin-right:6px}`;

// Client side: every string from an event goes through textContent, never innerHTML.
const CLIENT = `
const cols = {};
const byId = {};
const looks = {};
// Teams' light theme, near enough: tinted container styles under dark text (the library's
// defaults draw some styles' text at under 2:1).
const style = (bg) => ({ backgroundColor: bg, foregroundColors: { default: { default: '#242424', subtle: '#4f4f4f' }, accent: { default: '#0b57d0', subtle: '#0b57d0' } } });
const TEAMS_LIGHT = window.AdaptiveCards ? new AdaptiveCards.HostConfig({
  fontFamily: 'Segoe UI, Helvetica, Arial, sans-serif',
  containerStyles: { default: style('#ffffff'), emphasis: style('#f0f0f0'), good: style('#e7f4ea'), attention: style('#fde7e7'), warning: style('#fff4e0'), accent: style('#e8f0fc') },
}) : undefined;
function col(provider) {
  if (cols[provider]) return cols[provider];
  const info = COLUMNS.find((c) => c.id === provider) || { id: provider, title: provider, look: 'json' };
  looks[provider] = info.look;
  const c = document.createElement('section'); c.className = 'col'; c.dataset.provider = provider; c.dataset.look = info.look;
  const h = document.createElement('h2'); h.textContent = info.title; h.appendChild(el('small', provider)); c.appendChild(h);
  document.querySelector('main').appendChild(c);
  // Its button in the bar: how many messages it has, and one click brings it into view.
  const b = el('button', info.title); b.dataset.provider = provider; b.appendChild(el('b', '0'));
  b.onclick = () => { c.scrollIntoView({ inline: 'start', block: 'nearest' }); for (const x of document.querySelectorAll('nav button')) x.classList.toggle('on', x === b); };
  document.querySelector('nav').appendChild(b);
  return (cols[provider] = c);
}
// A message's own links: only this server's rollout pages become live links; anything else stays text.
function link(box, title, url) {
  const a = el('a', title, 'link');
  if (typeof url === 'string' && url.startsWith(location.origin + '/rollouts/')) { a.href = url; a.target = '_blank'; a.rel = 'noopener noreferrer'; }
  box.appendChild(a);
}
function who(name, badge, at) {
  const w = el('div', undefined, 'who'); w.appendChild(el('b', name)); w.appendChild(el('span', badge, 'app'));
  w.appendChild(el('span', new Date(at).toLocaleTimeString())); return w;
}
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
// Slack mrkdwn to plain text: date tokens, *bold* and \`code\` marks, then the escaped entities.
function plain(s) { return String(s ?? '').replace(/<@([UW][A-Z0-9]+)>/g, '@$1').replace(/<!date\\^(\\d+)\\^[^|]*\\|([^>]*)>/g, (_, t) => new Date(Number(t) * 1000).toLocaleString()).replace(/\\*([^*\\n]+)\\*/g, '$1').replace(/\`([^\`]+)\`/g, '$1').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'); }
function fields(box, list) { for (const [k, v] of list) { const f = el('span', undefined, 'field'); f.appendChild(el('b', k)); f.appendChild(el('span', v)); box.appendChild(f); } }
function render(look, p, at, id) {
  const box = el('div', undefined, 'msg');
  if (look === 'slack') {
    box.appendChild(who(p.username || 'flagger-notify', 'APP', at));
    const a = (p.attachments || [])[0] || {};
    box.style.borderColor = a.color || '#ccc';
    for (const b of a.blocks || []) {
      if (b.text) box.appendChild(el('div', plain(b.text.text)));
      if (b.fields) fields(box, b.fields.map((f) => { const [k, ...v] = plain(f.text).split('\\n'); return [k.replace(/\\*/g, ''), v.join(' ')]; }));
      if (b.type === 'context') box.appendChild(el('div', plain((b.elements || []).map((e) => e.text).join(' ')), 'muted'));
      if (b.type === 'actions') for (const e of b.elements || []) {
        if (e.url) link(box, e.text && e.text.text, e.url);
        else if (e.action_id) {
          // Approve / Roll back: sent on as Slack would send the click (signed), to the real endpoint.
          const btn = el('button', e.text && e.text.text, 'action'); btn.dataset.action = e.action_id;
          btn.onclick = async () => {
            // Slack asks why in a dialog; here a prompt stands in for it.
            const reason = e.action_id === 'gate-reject' ? prompt('Why reject this revision?') : undefined;
            if (reason === null) return;
            const r = await fetch('/inbox/click', { method: 'POST', body: JSON.stringify({ action_id: e.action_id, value: e.value, ts: id, reason }) });
            btn.textContent = (e.text && e.text.text) + ': ' + (await r.text());
          };
          box.appendChild(btn);
        }
      }
    }
    if (!a.blocks) box.appendChild(el('div', plain(p.text)));
  } else if (look === 'teams') {
    const content = ((p.attachments || [])[0] || {}).content;
    if (content && window.AdaptiveCards) { const card = new AdaptiveCards.AdaptiveCard(); card.hostConfig = TEAMS_LIGHT; card.parse(content); box.appendChild(card.render()); }
    else { box.appendChild(el('div', p.title || p.summary, 'title')); box.appendChild(el('div', (p.sections || [{}])[0].text)); }
  } else if (look === 'teams-bot') {
    const content = ((p.attachments || [])[0] || {}).content;
    if (content && window.AdaptiveCards) {
      const card = new AdaptiveCards.AdaptiveCard(); card.hostConfig = TEAMS_LIGHT;
      // Approve / Reject / Roll back: sent on as Teams sends the press (a signed invoke), to the real endpoint.
      card.onExecuteAction = async (action) => {
        if (!(action instanceof AdaptiveCards.ExecuteAction)) return;
        const r = await fetch('/inbox/teams-click', { method: 'POST', body: JSON.stringify({ verb: action.verb, data: action.data, id }) });
        const out = await r.json().catch(() => ({}));
        // Teams replaces the card with the one the bot answers, or shows its message.
        if (out.type === 'application/vnd.microsoft.card.adaptive') {
          const next = new AdaptiveCards.AdaptiveCard(); next.hostConfig = TEAMS_LIGHT; next.parse(out.value);
          box.replaceChildren(next.render());
        } else box.appendChild(el('div', out.value || out.error || ('HTTP ' + r.status), 'muted'));
      };
      card.parse(content); box.appendChild(card.render());
    } else box.appendChild(el('div', p.text));
  } else if (look === 'discord') {
    box.appendChild(who(p.username || 'flagger-notify', 'BOT', at));
    if (p.content) { box.classList.add('reply'); box.style.borderColor = '#f23f43'; box.appendChild(el('div', p.content)); }
    for (const e of p.embeds || []) {
      box.style.borderColor = '#' + Number(e.color || 0).toString(16).padStart(6, '0');
      box.appendChild(el('div', e.title, 'title')); box.appendChild(el('div', e.description));
      fields(box, (e.fields || []).map((f) => [f.name, f.value]));
      if (e.url) link(box, 'Rollout details', e.url);
    }
  } else if (look === 'googlechat') {
    const card = ((p.cardsV2 || [])[0] || {}).card || {};
    box.appendChild(el('div', (card.header || {}).title, 'title'));
    for (const w of (card.sections || []).flatMap((x) => x.widgets || [])) {
      const t = w.textParagraph ? w.textParagraph.text : w.decoratedText ? w.decoratedText.topLabel + ': ' + w.decoratedText.text : '';
      if (t) box.appendChild(el('div', plain(t.replace(/<br>/g, '\\n').replace(/<[^>]*>/g, ''))));
      // Its buttons ("Rollout details", the dashboard), as Google Chat shows them.
      for (const b of (w.buttonList || {}).buttons || []) link(box, b.text, ((b.onClick || {}).openLink || {}).url);
    }
  } else if (look === 'attachments') {
    box.appendChild(who(p.username || p.alias || 'flagger-notify', 'BOT', at));
    const a = (p.attachments || [])[0] || {};
    box.style.borderColor = a.color || '#ccc';
    box.appendChild(el('div', a.title, 'title')); box.appendChild(el('div', a.text));
    if (a.title_link) link(box, 'Rollout details', a.title_link);
    fields(box, (a.fields || []).map((f) => [f.title, f.value]));
  } else if (look === 'alert') {
    // One alert (the inbox keeps one card per alert, redrawn as it changes).
    const resolved = Date.parse(p.endsAt) <= at + 1000;
    box.classList.add('alert'); box.style.borderColor = resolved ? '#2eb886' : '#d40e0d';
    const t = el('div', undefined, 'title'); const st = el('span', resolved ? 'resolved' : 'firing', 'state');
    // Badge colours dark enough for white text (WCAG 4.5:1).
    st.style.background = resolved ? '#1a7f4b' : '#c62828'; t.appendChild(st);
    t.appendChild(el('span', p.labels.alertname + ' ' + p.labels.namespace + '/' + p.labels.name)); box.appendChild(t);
    box.appendChild(el('div', (p.annotations || {}).reason));
    box.appendChild(el('div', (resolved ? 'resolved ' : 'firing until ') + new Date(resolved ? at : p.endsAt).toLocaleTimeString(), 'muted'));
  } else if (look === 'telegram') {
    // Telegram's HTML: tags dropped, entities read, only our own page links live.
    box.appendChild(who('flagger-notify', 'BOT', at));
    for (const line of String(p.text || '').split('\\n').filter(Boolean)) {
      const a = line.match(/^<a href="([^"]*)">([^<]*)<\\/a>$/);
      if (a) { link(box, plain(a[2]), a[1].replace(/&amp;/g, '&')); continue; }
      box.appendChild(el('div', plain(line.replace(/<[^>]+>/g, ''))));
    }
  } else if (look === 'region') {
    // Grafana: a rollout's region on every dashboard, from its start to its end, with its tags.
    box.appendChild(el('div', new Date(p.time).toLocaleTimeString() + ' → ' + new Date(p.timeEnd).toLocaleTimeString(), 'title'));
    box.appendChild(el('div', p.text));
    box.appendChild(el('div', (p.tags || []).filter((t) => !String(t).startsWith('flagger-rollout:')).join(' · '), 'muted'));
  } else if (look === 'incident') {
    // PagerDuty: each trigger and resolve of an incident, by its dedup key.
    const resolved = p.event_action === 'resolve';
    box.classList.add('alert'); box.style.borderColor = resolved ? '#2eb886' : '#d40e0d';
    box.appendChild(el('div', (resolved ? 'resolved ' : 'triggered ') + p.dedup_key, 'title'));
    if (p.payload) box.appendChild(el('div', p.payload.summary));
  } else if (look === 'markdown') {
    // Webex: its markdown, line by line, bold and escapes dropped; only our own page links live.
    box.appendChild(who('flagger-notify', 'BOT', at));
    for (const line of String(p.markdown || '').split('\\n').filter(Boolean)) {
      const links = [...line.matchAll(/\\[([^\\]]+)\\]\\(([^)\\s]+)\\)/g)];
      if (links.length && line.startsWith('[')) { for (const m of links) link(box, m[1], m[2]); continue; }
      box.appendChild(el('div', line.replace(/\\*\\*([^*]+)\\*\\*/g, '$1').replace(/\\\\([*_\`~])/g, '$1')));
    }
  } else {
    box.appendChild(el('div', (p.kind || '') + ' ' + (p.canary || ''), 'title'));
    box.appendChild(el('div', ((p.event || {}).metadata || {}).eventMessage));
  }
  return box;
}
function show(item) {
  document.getElementById('empty')?.remove();
  const c = col(item.provider);
  const look = looks[item.provider];
  if (look === 'alert') {
    // Alertmanager gets every alert again and again (resends, resolves): one card per alert.
    for (const a of Array.isArray(item.payload) ? item.payload : []) {
      const key = item.provider + JSON.stringify(a.labels || {});
      const box = render(look, a, item.at);
      if (byId[key]) byId[key].replaceWith(box); else c.appendChild(box);
      byId[key] = box;
    }
    count(item.provider);
    return;
  }
  const box = render(look, item.payload, item.at, item.kind === 'update' ? item.payload.ts : item.id);
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
  // Oldest first, as a chat shows it.
  c.appendChild(box);
  count(item.provider);
}
function count(provider) {
  const b = document.querySelector('nav button[data-provider="' + provider + '"] b');
  if (b) b.textContent = String(cols[provider].querySelectorAll('.msg').length);
}
// Only the providers that are on; live messages first, then the platforms people read, then machines.
for (const c of COLUMNS) col(c.id);
const feed = new EventSource('/inbox/feed');
feed.onmessage = (e) => show(JSON.parse(e.data));
document.getElementById('demo').onclick = () => fetch('/inbox/demo', { method: 'POST' });
`;

/** Which look-alike draws each provider's payloads: every provider has one, or this does not compile. */
export const LOOKS: Record<
  ProviderId,
  {
    look:
      | 'slack'
      | 'teams'
      | 'teams-bot'
      | 'discord'
      | 'telegram'
      | 'googlechat'
      | 'attachments'
      | 'markdown'
      | 'json'
      | 'alert'
      | 'incident'
      | 'region';
    order: number;
  }
> = {
  'slack-app': { look: 'slack', order: 0 },
  discord: { look: 'discord', order: 1 },
  slack: { look: 'slack', order: 2 },
  teams: { look: 'teams', order: 3 },
  'teams-bot': { look: 'teams-bot', order: 1.5 },
  telegram: { look: 'telegram', order: 4 },
  googlechat: { look: 'googlechat', order: 5 },
  rocketchat: { look: 'attachments', order: 6 },
  mattermost: { look: 'attachments', order: 7 },
  webex: { look: 'markdown', order: 8 },
  webhook: { look: 'json', order: 9 },
  alertmanager: { look: 'alert', order: 10 },
  pagerduty: { look: 'incident', order: 11 },
  grafana: { look: 'region', order: 12 },
};

const EMPTY = `<div id="empty"><b>No messages yet.</b> Press <i>replay the sample rollouts</i> above (or run
<code>npm run demo</code>), or point Flagger's event webhook, or <code>curl</code>, at <code>POST /events</code>.
Each column below fills as its destination receives messages, oldest first.</div>`;

/** The inbox page: a column per provider that is on, messages as each platform would show them, live. */
export function inboxHtml(on: readonly ProviderId[]): string {
  const columns = PROVIDERS.filter((p) => on.includes(p.id))
    .map((p) => ({ id: p.id, title: p.title, look: LOOKS[p.id].look, order: LOOKS[p.id].order }))
    .sort((a, b) => a.order - b.order);
  // JSON in a script: `<` escaped so no value can close the tag.
  const data = JSON.stringify(columns).replace(/</g, '\\u003c');
  return `<!doctype html><html><head><meta charset="utf-8"><title>flagger-notify inbox</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><style>${CSS}</style></head><body>
<header><b>flagger-notify inbox</b><span>POST Flagger events to /events, or</span><button id="demo">replay the sample rollouts</button></header>
<nav aria-label="providers"></nav>
${EMPTY}
<main></main>
<script>${acScript()}</script>
<script>const COLUMNS = ${data};${CLIENT}</script></body></html>`;
}
