/**
 * The web page at `/`: one self-contained HTML document (styles and script inline, nothing
 * fetched from the internet) that browses the registry through its own API: repositories with
 * search, tags, digests, platforms, sizes, layers, labels, referrers, and the pull command.
 */

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #5b6570; --line: #d6dbe0; --bg: #fff; --accent: #0b5cad; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ec; --muted: #9aa4ae; --line: #343b42; --bg: #14181c; --accent: #6cb0ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 12px 16px; border-bottom: 1px solid var(--line); display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; }
header small { color: var(--muted); }
main { display: grid; grid-template-columns: minmax(220px, 340px) 1fr; min-height: calc(100vh - 56px); }
@media (max-width: 720px) { main { grid-template-columns: 1fr; } #repos { max-height: 40vh; } }
#side { border-right: 1px solid var(--line); padding: 12px; }
#search { width: 100%; padding: 8px; font: inherit; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
#repos { list-style: none; padding: 0; margin: 8px 0 0; overflow: auto; max-height: calc(100vh - 130px); }
#repos li button { width: 100%; text-align: left; padding: 6px 8px; border: 0; background: none; color: var(--fg); font: inherit; cursor: pointer; border-radius: 4px; overflow-wrap: anywhere; }
#repos li button:hover, #repos li button[aria-current="true"] { background: color-mix(in srgb, var(--accent) 15%, transparent); }
#detail { padding: 16px; min-width: 0; }
h2 { font-size: 17px; margin: 0 0 8px; overflow-wrap: anywhere; }
h3 { font-size: 15px; margin: 16px 0 6px; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: 4px 8px 4px 0; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; }
.tag { display: inline-block; margin: 0 6px 6px 0; padding: 3px 10px; border: 1px solid var(--line); border-radius: 999px; background: none; color: var(--fg); font: inherit; cursor: pointer; }
.tag[aria-pressed="true"] { border-color: var(--accent); color: var(--accent); }
.pull { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.pull code { padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
`;

const SCRIPT = `
const accept = ['application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');
const $ = (s) => document.querySelector(s);
const el = (tag, props = {}, ...kids) => { const e = Object.assign(document.createElement(tag), props); e.append(...kids); return e; };
const size = (n) => n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : n < 1073741824 ? (n / 1048576).toFixed(1) + ' MiB' : (n / 1073741824).toFixed(2) + ' GiB';
const api = async (path, headers = {}) => { const r = await fetch(path, { headers }); if (!r.ok) throw new Error(path + ': HTTP ' + r.status); return r; };
let repos = [];

async function loadRepos() {
  let next = '/v2/_catalog?n=1000';
  repos = [];
  while (next) { const r = await api(next); repos.push(...(await r.json()).repositories); const link = r.headers.get('link'); next = link ? /<([^>]+)>/.exec(link)[1] : null; }
  showRepos();
}

function showRepos() {
  const q = $('#search').value.trim().toLowerCase();
  const list = $('#repos');
  list.replaceChildren(...repos.filter((r) => r.includes(q)).map((r) => {
    const b = el('button', { textContent: r, onclick: () => openRepo(r) });
    b.dataset.repo = r;
    return el('li', {}, b);
  }));
  $('#count').textContent = repos.length + ' repositories';
}

async function manifest(repo, ref) {
  const r = await api('/v2/' + repo + '/manifests/' + ref, { accept });
  return { digest: r.headers.get('docker-content-digest'), type: r.headers.get('content-type'), body: await r.json(), size: Number(r.headers.get('content-length')) };
}

async function openRepo(repo) {
  for (const b of document.querySelectorAll('#repos button')) b.setAttribute('aria-current', String(b.dataset.repo === repo));
  const tags = (await (await api('/v2/' + repo + '/tags/list')).json()).tags || [];
  const d = $('#detail');
  d.replaceChildren(el('h2', { textContent: repo }), el('div', { id: 'tags' }), el('div', { id: 'image' }));
  $('#tags').append(...tags.map((t) => el('button', { className: 'tag', textContent: t, onclick: () => openTag(repo, t) })));
  if (tags.length) openTag(repo, tags[0]);
}

async function imageRows(repo, m) {
  const config = await (await api('/v2/' + repo + '/blobs/' + m.body.config.digest)).json();
  const layers = m.body.layers || [];
  const total = layers.reduce((n, l) => n + l.size, 0);
  const platform = [config.os, config.architecture, config.variant].filter(Boolean).join('/');
  const labels = Object.entries((config.config || {}).Labels || {});
  return el('div', {},
    el('h3', { textContent: (platform || 'image') + ' · ' + size(total) + ' in ' + layers.length + ' layers' }),
    el('table', {}, ...layers.map((l, i) => el('tr', {}, el('td', { textContent: String(i + 1) }), el('td', {}, el('code', { textContent: l.digest })), el('td', { textContent: size(l.size) })))),
    labels.length ? el('h3', { textContent: 'Labels' }) : '',
    labels.length ? el('table', {}, ...labels.map(([k, v]) => el('tr', {}, el('td', {}, el('code', { textContent: k })), el('td', { textContent: v })))) : '');
}

async function openTag(repo, tag) {
  for (const b of document.querySelectorAll('.tag')) b.setAttribute('aria-pressed', String(b.textContent === tag));
  const box = $('#image');
  box.replaceChildren(el('p', { className: 'muted', textContent: 'loading…' }));
  const m = await manifest(repo, tag);
  const pull = location.host + '/' + repo + '@' + m.digest;
  const copy = el('button', { className: 'tag', textContent: 'copy', onclick: async () => { try { await navigator.clipboard.writeText(pull); copy.textContent = 'copied'; } catch { copy.textContent = 'select and copy'; } } });
  const parts = [
    el('div', { className: 'pull' }, el('code', { id: 'pull', textContent: pull }), copy),
    el('table', {}, el('tr', {}, el('th', { textContent: 'digest' }), el('td', {}, el('code', { id: 'digest', textContent: m.digest }))),
      el('tr', {}, el('th', { textContent: 'type' }), el('td', { textContent: m.type })),
      el('tr', {}, el('th', { textContent: 'manifest' }), el('td', { textContent: size(m.size) }))),
  ];
  if (m.body.manifests) {
    parts.push(el('h3', { id: 'platforms', textContent: 'Platforms: ' + m.body.manifests.map((c) => c.platform ? [c.platform.os, c.platform.architecture, c.platform.variant].filter(Boolean).join('/') : c.digest.slice(0, 19)).join(', ') }));
    for (const c of m.body.manifests) parts.push(await imageRows(repo, await manifest(repo, c.digest)));
  } else {
    parts.push(await imageRows(repo, m));
  }
  const refs = (await (await api('/v2/' + repo + '/referrers/' + m.digest)).json()).manifests || [];
  parts.push(el('h3', { textContent: 'Referrers (signatures, SBOMs): ' + refs.length }));
  if (refs.length) parts.push(el('table', { id: 'referrers' }, ...refs.map((r) => el('tr', {}, el('td', { textContent: r.artifactType || r.mediaType }), el('td', {}, el('code', { textContent: r.digest }))))));
  box.replaceChildren(...parts);
}

$('#search').addEventListener('input', showRepos);
loadRepos().catch((e) => { $('#detail').textContent = String(e); });
`;

/** The page, whole. `title` names what is served. */
export function registryPage(title: string): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>airlock registry</title><style>${STYLE}</style></head>
<body><header><h1>airlock registry</h1><small>${esc(title)}</small><small id="count"></small></header>
<main><nav id="side"><input id="search" type="search" placeholder="Search repositories" aria-label="Search repositories"><ul id="repos"></ul></nav>
<section id="detail"><p class="muted">Choose a repository.</p></section></main>
<script>${SCRIPT}</script></body></html>`;
}
