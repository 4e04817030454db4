// pixlime serve's dashboard (docs/serve.md, "Dashboard"): plain JavaScript, no framework, nothing
// fetched from anywhere but this server's /v1 API.
//
// Routes (hash): #/ the transactions table; #/transactions/<id> one transaction and its explanation.
//
// Hooks the browser test (serve/tests/test_dashboard.py) relies on; keep them stable:
//   #list-view, #transaction-view     the two views (the other one is [hidden])
//   #transactions                     the table; its body's rows are tr.tx-row[data-id="<transaction id>"]
//   td.status[data-status]            a row's explanation status: none|queued|running|finished|failed|cancelled
//   .explain-button                   a row's Explain button, and the transaction view's (#explain-button)
//   #filter-model, #filter-label      the filters (<select>; "" = any); #refresh reloads, #load-more pages on
//   #tx-title, #tx-meta               the transaction view's heading and facts
//   #task-status[data-status]         the viewed task's status (same values as above); #task-progress (<progress>)
//   #task-select                      the transaction's tasks, when it has several
//   #label-select                     the explained labels (the task's panes); option value = the pane's label
//   #panes img                        input, positive, negative and heatmap (figure.pane[data-pane=...]), each with alt
//   #side                             the explained labels' table; #uncertainty the selected label's uncertainty line
//   #settings, #timings, #task-info   the task's settings, timings (explanation's and service's) and dates
//   #message[data-kind]               errors (the API's {"error": {...}}) and notices; #message-text holds them,
//                                     one .message-line each (data-kind error|info)
//   #token-form, #token-input         asked for when the API answers 401; the token is kept in localStorage
//
// All data goes into the page as text (textContent, setAttribute), never as HTML. Images come
// through fetch() with the token (an <img> cannot send an Authorization header) as blob: URLs.
'use strict';

const POLL_MS = 1000;          // refresh while a visible task is queued or running
const POLL_ERROR_MS = 5000;    // after a failed refresh
const PAGE = 50;               // transactions per page
const TOKEN_KEY = 'pixlime.serve.token';
const ACTIVE = new Set(['queued', 'running']);
const PANE_KINDS = ['input', 'positive', 'negative', 'heatmap'];

const state = {
  gen: 0,                  // bumped by every route change: answers for an older view are dropped
  models: [],              // GET /v1/models
  filters: { model: '', label: '' },
  cursor: null,            // the list's next_cursor
  rows: new Map(),         // transaction id -> {cell, button} of the visible table rows
  txTask: new Map(),       // transaction id -> the task shown for it
  pollTimer: null,
  view: null,              // {kind: 'list'} or {kind: 'transaction', id, tx, task, label, rendered}
  images: new Map(),       // URL -> blob: URL, for the current view (revoked on route change)
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- DOM and formatting helpers

/** A new element: attributes set with setAttribute (false/null skipped), children appended as nodes or text. */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

function clear(node) { node.replaceChildren(); return node; }

function txHref(id) { return '#/transactions/' + encodeURIComponent(id); }

function fmtTime(t) {
  if (t === null || t === undefined || t === '') return '';
  const d = new Date(t);
  if (isNaN(d.getTime())) return String(t);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

function fmtNum(v, digits) {
  if (typeof v !== 'number' || !isFinite(v)) return v === null || v === undefined ? '' : String(v);
  return v.toFixed(digits);
}

function fmtValue(v) {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(fmtValue).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** "segment 3", "segments 3 and 7", "segments 1, 3 and 7". */
function segmentList(v) {
  const parts = v.map(String);
  const last = parts.pop();
  return (v.length === 1 ? 'segment ' : 'segments ') + (parts.length ? parts.join(', ') + ' and ' : '') + last;
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, error, retryAfter) {
    super(error.message || error.code || ('HTTP ' + status));
    this.status = status;
    this.error = error;
    this.retryAfter = retryAfter;
  }
}

function storedToken() {
  try { return localStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
}

function storeToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token); else localStorage.removeItem(TOKEN_KEY);
  } catch (e) {
    showMessage('The token cannot be kept (localStorage is unavailable): ' + e.message, 'error');
  }
}

/** fetch() with the stored token; an answer that is not 2xx becomes an ApiError (401 also asks for a token). */
async function request(path, options) {
  const opts = Object.assign({}, options || {});
  const headers = Object.assign({}, opts.headers || {});
  const token = storedToken();
  if (token) headers.Authorization = 'Bearer ' + token;
  opts.headers = headers;
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, { code: 'network', message: 'the server did not answer (' + e.message + ')' });
  }
  if (res.ok) return res;
  let error = null;
  const text = await res.text().catch(() => '');
  try { error = JSON.parse(text).error; } catch (e) { /* not the API's JSON */ }
  if (!error || typeof error !== 'object') {
    error = { code: 'http_' + res.status, message: (res.statusText || 'HTTP ' + res.status) + (text ? ': ' + text.slice(0, 200) : '') };
  }
  if (res.status === 401) askForToken();
  throw new ApiError(res.status, error, res.headers.get('Retry-After'));
}

async function api(path, options) {
  const res = await request(path, options);
  return res.status === 204 ? null : res.json();
}

function postJson(path, body) {
  return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

/** Shows url in img (through fetch, with the token), once per view; failures are reported. */
async function loadImage(img, url) {
  const gen = state.gen;
  img.dataset.url = url;
  try {
    let blobUrl = state.images.get(url);
    if (!blobUrl) {
      const blob = await (await request(url)).blob();
      if (gen !== state.gen) return;
      blobUrl = URL.createObjectURL(blob);
      state.images.set(url, blobUrl);
    }
    if (img.dataset.url === url) img.src = blobUrl;
  } catch (e) {
    if (gen !== state.gen) return;
    img.closest('figure')?.classList.add('broken');
    showError(e, 'image ' + url);
  }
}

function forgetImages() {
  for (const u of state.images.values()) URL.revokeObjectURL(u);
  state.images.clear();
}

// ---------------------------------------------------------------- messages and the token

/** Shows text in the message area; while it is open, further messages are added below (the same text once). */
function showMessage(text, kind) {
  const box = $('message');
  const list = $('message-text');
  if (box.hidden) clear(list);
  if (![...list.children].some((line) => line.textContent === text)) {
    list.append(el('div', { class: 'message-line', 'data-kind': kind || 'info' }, text));
    while (list.children.length > 6) list.firstElementChild.remove();
  }
  if (kind === 'error' || box.hidden) box.dataset.kind = kind || 'info';
  box.hidden = false;
}

function clearMessage() {
  $('message').hidden = true;
  clear($('message-text'));
}

function describeError(e) {
  if (!(e instanceof ApiError)) return String((e && e.message) || e);
  const er = e.error;
  let s = (e.status ? e.status + ' ' : '') + (er.code || 'error') + ': ' + (er.message || '');
  const details = [];
  if (er.parameter !== undefined) details.push('parameter ' + er.parameter);
  if (er.value !== undefined) details.push('value ' + fmtValue(er.value));
  if (er.expected !== undefined) details.push('expected ' + er.expected);
  if (details.length) s += ' (' + details.join('; ') + ')';
  if (e.retryAfter) s += ' Retry after ' + e.retryAfter + ' s.';
  return s;
}

function showError(e, what) {
  showMessage((what ? what + ': ' : '') + describeError(e), 'error');
}

function askForToken() {
  const form = $('token-form');
  const had = storedToken();
  form.hidden = false;
  $('token-forget').hidden = !had;
  form.dataset.state = had ? 'refused' : 'needed';
  if (document.activeElement !== $('token-input')) $('token-input').focus();
}

// ---------------------------------------------------------------- polling

function activeTasks() {
  const v = state.view;
  if (!v) return [];
  if (v.kind === 'transaction') return v.task && ACTIVE.has(v.task.status) ? [v.task] : [];
  const out = [];
  for (const id of state.rows.keys()) {
    const t = state.txTask.get(id);
    if (t && t.id && ACTIVE.has(t.status)) out.push(t);
  }
  return out;
}

function schedulePoll(delay) {
  if (state.pollTimer !== null || !activeTasks().length) return;
  state.pollTimer = setTimeout(poll, delay || POLL_MS);
}

function stopPoll() {
  if (state.pollTimer !== null) clearTimeout(state.pollTimer);
  state.pollTimer = null;
}

async function poll() {
  state.pollTimer = null;
  const gen = state.gen;
  const tasks = activeTasks();
  let delay = POLL_MS;
  try {
    const fresh = await Promise.all(tasks.map((t) => api('v1/explanations/' + encodeURIComponent(t.id))));
    if (gen !== state.gen) return;
    fresh.forEach(noteTask);
  } catch (e) {
    if (gen !== state.gen) return;
    showError(e, 'refreshing the explanations');
    delay = POLL_ERROR_MS;
  }
  schedulePoll(delay);
}

/** Records a task seen from the API and updates whatever shows it. */
function noteTask(task) {
  if (!task || !task.transaction_id) return;
  state.txTask.set(task.transaction_id, task);
  const row = state.rows.get(task.transaction_id);
  if (row) renderRowStatus(row, task);
  const v = state.view;
  if (v && v.kind === 'transaction' && v.id === task.transaction_id && (!v.task || v.task.id === task.id || v.follow)) {
    v.follow = false;
    v.task = task;
    renderTask();
  }
}

async function explain(ids, button) {
  const gen = state.gen;
  button.disabled = true;
  try {
    const r = await postJson('v1/explanations', { transactions: ids });
    if (gen !== state.gen) return;
    const v = state.view;
    if (v && v.kind === 'transaction') v.follow = true;  // show the returned task, even if it is another one
    (r.tasks || []).forEach(noteTask);
    schedulePoll();
  } catch (e) {
    if (gen === state.gen) showError(e, 'explain ' + ids.join(', '));
  } finally {
    if (gen === state.gen) button.disabled = ids.some((id) => ACTIVE.has((state.txTask.get(id) || {}).status));
  }
}

// ---------------------------------------------------------------- status badges

function statusText(task) {
  if (!task || !task.status) return 'not explained';
  const p = task.progress;
  if (task.status === 'running' && p && p.of) return 'running ' + (p.samples || 0) + '/' + p.of;
  return task.status;
}

function setStatus(node, task) {
  const status = (task && task.status) || 'none';
  node.dataset.status = status;
  clear(node).append(el('span', { class: 'badge status-' + status }, statusText(task)));
  if (task && task.status === 'failed' && task.error) node.title = fmtValue(task.error);
  else node.removeAttribute('title');
}

// ---------------------------------------------------------------- the transactions table

async function loadModels() {
  try {
    const r = await api('v1/models');
    state.models = r.models || [];
  } catch (e) {
    showError(e, 'models');
    return;
  }
  const sel = $('filter-model');
  clear(sel).append(el('option', { value: '' }, 'any'));
  for (const m of state.models) sel.append(el('option', { value: m.name }, m.name));
  sel.value = state.filters.model;
  fillLabelFilter();
}

function fillLabelFilter() {
  const sel = $('filter-label');
  const models = state.filters.model ? state.models.filter((m) => m.name === state.filters.model) : state.models;
  const names = [];
  for (const m of models) for (const c of m.classes || []) if (!names.includes(String(c))) names.push(String(c));
  clear(sel).append(el('option', { value: '' }, 'any'));
  for (const n of names) sel.append(el('option', { value: n }, n));
  if (state.filters.label && !names.includes(state.filters.label)) state.filters.label = '';
  sel.value = state.filters.label;
}

function showView(kind) {
  $('list-view').hidden = kind !== 'list';
  $('transaction-view').hidden = kind !== 'transaction';
}

function showList() {
  showView('list');
  state.view = { kind: 'list' };
  document.title = 'pixlime serve: transactions';
  loadList(false);
}

async function loadList(more) {
  const gen = state.gen;
  const q = new URLSearchParams();
  if (state.filters.model) q.set('model', state.filters.model);
  if (state.filters.label) q.set('label', state.filters.label);
  q.set('limit', String(PAGE));
  if (more && state.cursor) q.set('cursor', state.cursor);
  const button = $('load-more');
  button.disabled = true;
  let r;
  try {
    r = await api('v1/transactions?' + q.toString());
  } catch (e) {
    if (gen === state.gen) { showError(e, 'transactions'); button.disabled = false; }
    return;
  }
  if (gen !== state.gen) return;
  const body = $('transactions').tBodies[0];
  if (!more) { clear(body); state.rows.clear(); }
  for (const t of r.transactions || []) body.append(txRow(t));
  state.cursor = r.next_cursor || null;
  button.hidden = !state.cursor;
  button.disabled = false;
  $('list-empty').hidden = state.rows.size > 0;
  $('list-count').textContent = state.rows.size + (state.cursor ? '+' : '') + ' shown';
  schedulePoll();
}

/** The task to show for a transaction: the newest it lists (the API lists them newest first; this
 *  page's copy of it while the status agrees, for its progress), else the one this page last saw. */
function taskFor(t) {
  const ex = Array.isArray(t.explanations) ? t.explanations : [];
  const known = state.txTask.get(t.id);
  const listed = ex.length ? ex[0] : null;
  if (!listed) return known || null;
  if (known && known.id === listed.id && known.status === listed.status) return known;
  return listed;
}

function txRow(t) {
  const cell = el('td', { class: 'status' });
  const button = el('button', { type: 'button', class: 'explain-button', 'aria-label': 'Explain transaction ' + t.id }, 'Explain');
  const tr = el('tr', { class: 'tx-row', 'data-id': t.id },
    el('td', { class: 'time', title: fmtValue(t.time) }, fmtTime(t.time)),
    el('td', { class: 'id' }, el('a', { href: txHref(t.id) }, t.id)),
    el('td', { class: 'model' }, fmtValue(t.model)),
    el('td', { class: 'label' }, fmtValue(t.label)),
    el('td', { class: 'num probability' }, fmtNum(t.probability, 3)),
    cell,
    el('td', { class: 'action' }, button));
  tr.addEventListener('click', (e) => {
    if (e.target.closest('button, a, input, select')) return;
    location.hash = txHref(t.id);
  });
  button.addEventListener('click', () => explain([t.id], button));
  const row = { cell, button };
  state.rows.set(t.id, row);
  const task = taskFor(t);
  if (task) state.txTask.set(t.id, Object.assign({ transaction_id: t.id }, task));
  renderRowStatus(row, task);
  return tr;
}

function renderRowStatus(row, task) {
  setStatus(row.cell, task);
  row.button.disabled = !!(task && ACTIVE.has(task.status));
}

// ---------------------------------------------------------------- one transaction

async function showTransaction(id) {
  showView('transaction');
  const v = { kind: 'transaction', id, tx: null, task: null, label: null, rendered: '', follow: false };
  state.view = v;
  document.title = 'pixlime serve: ' + id;
  $('tx-title').textContent = 'Transaction ' + id;
  clear($('tx-meta'));
  clear($('panes'));
  clear($('side'));
  clear($('settings'));
  clear($('timings'));
  clear($('task-info'));
  $('explanation').hidden = true;
  $('uncertainty').hidden = true;
  $('task-error').hidden = true;
  $('task-select').hidden = $('task-select-label').hidden = true;
  $('label-select').hidden = $('label-select-label').hidden = true;
  $('task-progress').hidden = true;
  $('task-progress-text').textContent = '';
  setStatus($('task-status'), null);
  const gen = state.gen;
  let tx;
  try {
    tx = await api('v1/transactions/' + encodeURIComponent(id));
  } catch (e) {
    if (gen === state.gen) {
      showError(e, 'transaction ' + id);
      $('explain-button').disabled = true;
    }
    return;
  }
  if (gen !== state.gen) return;
  v.tx = tx;
  $('explanation').hidden = false;
  renderTxMeta(tx);
  const ex = Array.isArray(tx.explanations) ? tx.explanations : [];
  const sel = $('task-select');
  clear(sel);
  for (const x of ex) sel.append(el('option', { value: x.id }, x.id + ' (' + x.status + ')'));
  sel.hidden = $('task-select-label').hidden = ex.length < 2;
  const known = state.txTask.get(id);
  const pick = known && known.id ? known : ex[0];
  if (pick) {
    sel.value = pick.id;
    await loadTask(pick.id);
  } else {
    renderTask();
  }
}

function renderTxMeta(tx) {
  const meta = clear($('tx-meta'));
  const parts = [
    ['model', tx.model],
    ['time', fmtTime(tx.time)],
    ['predicted', el('b', {}, fmtValue(tx.label)), ' (p = ' + fmtNum(tx.probability, 3) + ')'],
    ['latency', fmtNum(tx.latency_ms, 1) + ' ms'],
    ['source', tx.source],
  ];
  if (tx.image) parts.push(['image', tx.image.width + '×' + tx.image.height + ' ' + fmtValue(tx.image.content_type)]);
  if (tx.metadata && Object.keys(tx.metadata).length) parts.push(['metadata', JSON.stringify(tx.metadata)]);
  parts.forEach(([k, ...v], i) => {
    if (i) meta.append(' · ');
    meta.append(el('span', { class: 'muted' }, k + ' '), ...v.map((x) => (x instanceof Node ? x : fmtValue(x))));
  });
}

async function loadTask(taskId) {
  const gen = state.gen;
  try {
    const task = await api('v1/explanations/' + encodeURIComponent(taskId));
    if (gen !== state.gen) return;
    state.view.task = task;
    state.txTask.set(task.transaction_id, task);
    renderTask();
  } catch (e) {
    if (gen === state.gen) showError(e, 'explanation ' + taskId);
  }
}

/** The viewed task: status, progress, and once finished the panes, labels, uncertainty, settings, timings. */
function renderTask() {
  const v = state.view;
  const task = v.task;
  setStatus($('task-status'), task);
  $('explanation').dataset.status = (task && task.status) || 'none';
  const active = !!(task && ACTIVE.has(task.status));
  $('explain-button').disabled = active;
  const bar = $('task-progress');
  const p = task && task.progress;
  bar.hidden = !(active && p && p.of);
  if (!bar.hidden) { bar.max = p.of; bar.value = p.samples || 0; }
  $('task-progress-text').textContent = active && p && p.of ? (p.samples || 0) + ' of ' + p.of + ' samples' : '';
  if (task) {
    const sel = $('task-select');
    if (![...sel.options].some((o) => o.value === task.id)) sel.append(el('option', { value: task.id }, task.id));
    sel.value = task.id;
    for (const o of sel.options) if (o.value === task.id) o.textContent = task.id + ' (' + task.status + ')';
  }
  const err = $('task-error');
  err.hidden = !(task && task.error && (task.status === 'failed' || task.status === 'cancelled'));
  err.textContent = err.hidden ? '' : 'failed after ' + (task.attempts || 0) + ' attempt(s): ' + fmtValue(task.error);

  const panes = orderedPanes(task);
  const key = (task ? task.id + '/' + task.status : '-') + '/' + panes.length;
  if (key !== v.rendered) {
    v.rendered = key;
    renderLabelSelect(panes);
    renderDetails(task);
    renderPanes();
  }
  if (active) schedulePoll();
}

/** The task's panes in the record's order of labels (the predicted one first), others after. */
function orderedPanes(task) {
  const panes = task && task.status === 'finished' && Array.isArray(task.panes) ? task.panes.slice() : [];
  const labels = (task && task.record && Array.isArray(task.record.labels)) ? task.record.labels.map((l) => String(l.label)) : [];
  const rank = (p) => { const i = labels.indexOf(String(p.label)); return i < 0 ? labels.length : i; };
  return panes.map((p, i) => [rank(p), i, p]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);
}

function renderLabelSelect(panes) {
  const v = state.view;
  const sel = $('label-select');
  clear(sel);
  for (const p of panes) sel.append(el('option', { value: String(p.label) }, fmtValue(p.name !== undefined ? p.name : p.label)));
  if (!panes.some((p) => String(p.label) === v.label)) v.label = panes.length ? String(panes[0].label) : null;
  if (v.label !== null) sel.value = v.label;
  sel.hidden = $('label-select-label').hidden = panes.length === 0;
}

function figure(kind, url, alt, caption) {
  const img = el('img', { alt, 'data-pane': kind });
  const fig = el('figure', { class: 'pane', 'data-pane': kind }, img, el('figcaption', {}, ...caption));
  loadImage(img, url);
  return fig;
}

function recordLabel(record, pane) {
  if (!record || !Array.isArray(record.labels)) return null;
  return record.labels.find((l) => String(l.label) === String(pane.label)) ||
         record.labels.find((l) => l.name !== undefined && String(l.name) === String(pane.name)) || null;
}

/** The input beside the selected label's positive pane, negative pane and heatmap (or the input alone). */
function renderPanes() {
  const v = state.view;
  const box = clear($('panes'));
  const task = v.task;
  const pane = orderedPanes(task).find((p) => String(p.label) === v.label);
  const txt = 'transaction ' + v.id;
  if (!pane) {
    if (v.tx && v.tx.image && v.tx.image.url) {
      box.append(figure('input', v.tx.image.url, 'input image of ' + txt, ['input (as sent, ' + v.tx.image.width + '×' + v.tx.image.height + ')']));
    }
    renderUncertainty(null, null);
    renderLabelsTable(null);
    return;
  }
  const name = fmtValue(pane.name !== undefined ? pane.name : pane.label);
  const record = task.record || {};
  const hatched = record.panes && record.panes.hatched_level !== undefined && record.panes.hatched_level !== null;
  const n = (record.panes && record.panes.num_features) || (task.settings && task.settings.num_features) || 5;
  box.append(
    figure('input', pane.input, 'input image of ' + txt + ' as the model saw it', ['input (at the model\'s input size)']),
    figure('positive', pane.positive, 'positive pane of ' + txt + ' for ' + name,
      ['positive: the (up to ' + n + ') segments that most raised ', el('b', {}, name)]),
    figure('negative', pane.negative, 'negative pane of ' + txt + ' for ' + name,
      ['negative: the (up to ' + n + ') segments that most lowered ', el('b', {}, name)]),
    figure('heatmap', pane.heatmap, 'heatmap of every segment\'s weight for ' + name + ', ' + txt,
      ['heatmap: every segment\'s weight for ', el('b', {}, name), ' (green up, magenta down)',
       hatched ? el('span', {}, '; ', el('span', { class: 'hatch' }, 'blue hatching'), ': within noise of 0') : '']));
  renderLabelsTable(pane);
  renderUncertainty(record, recordLabel(record, pane));
}

function renderLabelsTable(pane) {
  const side = clear($('side'));
  const record = state.view.task && state.view.task.record;
  if (!pane || !record || !Array.isArray(record.labels)) return;
  const t = el('table', {},
    el('caption', {}, 'explained labels'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'class'), el('th', { scope: 'col', class: 'num' }, 'model p'),
      el('th', { scope: 'col', class: 'num' }, 'surrogate'), el('th', { scope: 'col', class: 'num' }, 'R²'))));
  const body = el('tbody');
  record.labels.forEach((l, i) => {
    const selected = l === recordLabel(record, pane);
    body.append(el('tr', { class: selected ? 'selected' : null },
      el('td', {}, fmtValue(l.name !== undefined ? l.name : l.label), i === 0 ? el('span', { class: 'muted' }, ' (predicted)') : ''),
      el('td', { class: 'num' }, fmtNum(l.model_prediction, 3)),
      el('td', { class: 'num' }, fmtNum(l.local_prediction, 3)),
      el('td', { class: 'num' }, fmtNum(l.r2, 3))));
  });
  t.append(body);
  side.append(t);
  if (record.segments) side.append(el('p', {}, (record.segments.count || '?') + ' segments (' + fmtValue(record.segments.method) + ')'));
}

/** Top-5 stability, the top-5 segments within noise of 0 (hatched), model calls, target reached. */
function renderUncertainty(record, label) {
  const box = clear($('uncertainty'));
  box.hidden = !record || !label;
  box.classList.remove('noisy');
  if (box.hidden) return;
  const parts = [];
  if (typeof label.stability_top5 === 'number') {
    parts.push(el('span', {}, 'top-5 stability ', el('b', {}, fmtNum(label.stability_top5, 2)),
      ' (expected overlap of the top 5 with a rerun\'s)'));
  }
  if (Array.isArray(label.weights) && Array.isArray(label.intervals)) {
    const order = label.weights.map((_, k) => k).sort((a, b) => Math.abs(label.weights[b]) - Math.abs(label.weights[a]) || a - b).slice(0, 5);
    const noise = order.filter((k) => { const r = label.intervals[k]; return r && r[0] <= 0 && r[1] >= 0; });
    const level = record.panes && typeof record.panes.hatched_level === 'number' ? record.panes.hatched_level : null;
    const pct = Math.round(100 * (level !== null ? level : 0.95)) + '%';
    if (noise.length) {
      box.classList.add('noisy');
      parts.push(el('span', { class: 'noise' }, segmentList(noise) + (noise.length === 1 ? ' is' : ' are') + ' within noise of 0 (' + pct +
        ' interval contains 0', level !== null ? el('span', {}, '; ', el('span', { class: 'hatch' }, 'hatched')) : '', ')'));
    } else {
      parts.push(el('span', { class: 'noise' }, 'all top ' + order.length + ' segments are distinguishable from 0 (' + pct + ')'));
    }
  }
  if (typeof record.model_calls === 'number') parts.push(el('span', {}, el('b', {}, String(record.model_calls)), ' model calls'));
  if (typeof record.target_reached === 'boolean') {
    const target = record.settings && record.settings.target_stability;
    parts.push(el('span', { 'data-target-reached': String(record.target_reached) },
      target ? 'target stability ' + target + (record.target_reached ? ' reached' : ' not reached') :
               'target reached: ' + (record.target_reached ? 'yes' : 'no (no target set)')));
  }
  parts.forEach((p, i) => { if (i) box.append(' · '); box.append(p); });
}

/** A two-column table: [[key, value], ...] in sections [[title, rows], ...] (a title-less section: no heading row). */
function kvTable(caption, sections, numeric) {
  const t = el('table', {}, el('caption', {}, caption));
  for (const [title, rows] of sections) {
    if (!rows.length) continue;
    const body = el('tbody');
    if (title) body.append(el('tr', { class: 'section' }, el('th', { scope: 'colgroup', colspan: '2' }, title)));
    for (const [k, v] of rows) body.append(el('tr', {}, el('th', { scope: 'row' }, k), el('td', { class: numeric ? 'num' : null }, v)));
    t.append(body);
  }
  return t;
}

function renderDetails(task) {
  const settings = clear($('settings'));
  const timings = clear($('timings'));
  const info = clear($('task-info'));
  if (!task) return;
  const s = task.settings || (task.record && task.record.settings);
  if (s && typeof s === 'object') settings.append(kvTable('settings', [['', Object.entries(s).map(([k, v]) => [k, fmtValue(v)])]], false));
  const ms = (o) => (o && typeof o === 'object' ? Object.entries(o).map(([k, v]) => [k, fmtNum(v, 1)]) : []);
  const rec = ms(task.record && task.record.timings_ms);
  // the service's own timings, unless they are the record's (as the server sends them now)
  const service = JSON.stringify(task.timings_ms) === JSON.stringify(task.record && task.record.timings_ms) ? [] : ms(task.timings_ms);
  if (rec.length || service.length) timings.append(kvTable('timings (ms)', [['explanation', rec], ['service', service]], true));
  const when = [['task', task.id], ['created', fmtTime(task.created)], ['started', fmtTime(task.started)],
                ['finished', fmtTime(task.finished)], ['attempts', fmtValue(task.attempts)]].filter(([, v]) => v !== '');
  info.append(kvTable('task', [['', when]], false));
}

// ---------------------------------------------------------------- routing and start

function route() {
  state.gen++;
  stopPoll();
  forgetImages();
  state.rows.clear();
  const m = /^#\/transactions\/(.+)$/.exec(location.hash);
  if (m) {
    let id = m[1];
    try { id = decodeURIComponent(id); } catch (e) { /* keep it as written */ }
    showTransaction(id);
  } else {
    showList();
  }
}

function start() {
  $('message-close').addEventListener('click', clearMessage);
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token-input').value.trim();
    if (!token) return;
    storeToken(token);
    $('token-input').value = '';
    $('token-form').hidden = true;
    clearMessage();
    loadModels();
    route();
  });
  $('token-forget').addEventListener('click', () => {
    storeToken('');
    $('token-forget').hidden = true;
    showMessage('The stored token is forgotten.', 'info');
  });
  $('filters').addEventListener('submit', (e) => e.preventDefault());
  $('filter-model').addEventListener('change', (e) => {
    state.filters.model = e.target.value;
    fillLabelFilter();
    route();
  });
  $('filter-label').addEventListener('change', (e) => {
    state.filters.label = e.target.value;
    route();
  });
  $('refresh').addEventListener('click', () => { clearMessage(); route(); });
  $('load-more').addEventListener('click', () => loadList(true));
  $('explain-button').addEventListener('click', (e) => {
    const v = state.view;
    if (v && v.kind === 'transaction' && v.tx) explain([v.tx.id], e.currentTarget);
  });
  $('label-select').addEventListener('change', (e) => {
    state.view.label = e.target.value;
    renderPanes();
  });
  $('task-select').addEventListener('change', (e) => {
    const v = state.view;
    v.rendered = '';
    v.task = null;
    stopPoll();
    loadTask(e.target.value);
  });
  window.addEventListener('hashchange', () => { clearMessage(); route(); });
  loadModels();
  route();
}

document.addEventListener('DOMContentLoaded', start);
