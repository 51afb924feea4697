/**
 * The console's script, served as its own response (the page's CSP admits script from 'self' only).
 * Plain DOM code: no framework, no eval, no innerHTML — API text goes in as text nodes only, and the
 * two charts are drawn as SVG elements here (docs/console.md). Kept free of backticks and template
 * placeholders so it can live in this raw string as it is served.
 */
export const CONSOLE_SCRIPT = String.raw`
(() => {
  'use strict';
  const TYPES = ['inbound_webhook', 'outbound_webhook', 'prebuilt_integration', 'custom_node', 'custom_event'];
  const TYPE_LABELS = {
    inbound_webhook: 'Inbound webhooks',
    outbound_webhook: 'Outbound webhooks',
    prebuilt_integration: 'Prebuilt integrations',
    custom_node: 'Custom nodes',
    custom_event: 'Custom events',
  };
  const COLORS = {
    inbound_webhook: '#0969da',
    outbound_webhook: '#8250df',
    prebuilt_integration: '#cf222e',
    custom_node: '#bf8700',
    custom_event: '#1a7f37',
  };
  const SVG_NS = 'http://www.w3.org/2000/svg';

  // The key lives in this variable and nowhere else: no storage, no cookie, no URL. Reloading the
  // page forgets it.
  let apiKey = '';
  let dashboard = null;
  const hiddenInDonut = new Set();
  const hiddenInTrend = new Set();

  const $ = (id) => document.getElementById(id);

  // Every piece of API text goes in through textContent or a text node: vendor messages, names and
  // descriptions are attacker-influenced and must never become markup.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.className = String(value);
      else if (name === 'text') node.textContent = String(value);
      else node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    return node;
  }

  const token = (value) => String(value === null || value === undefined ? '' : value).replace(/[^a-z_]/g, '');
  const words = (value) => String(value === null || value === undefined ? '' : value).replace(/_/g, ' ');
  const when = (iso) => (iso ? String(iso).replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '—');
  const typeLabel = (type) => TYPE_LABELS[type] || String(type);

  class ProblemError extends Error {
    constructor(status, problem) {
      super(typeof problem.detail === 'string' ? problem.detail : 'HTTP ' + status);
      this.status = status;
      this.code = typeof problem.code === 'string' ? problem.code : 'http_' + status;
      this.detail = this.message;
    }
  }

  async function api(method, path) {
    const response = await fetch(path, {
      method,
      headers: { Authorization: 'Bearer ' + apiKey, Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
    const text = await response.text();
    let body = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = {};
    }
    if (!body || typeof body !== 'object') body = {};
    if (!response.ok) throw new ProblemError(response.status, body);
    return body;
  }

  const describe = (error) =>
    error instanceof ProblemError ? error.code + ': ' + error.detail : String((error && error.message) || error);

  function notify(text, isError) {
    const notice = $('notice');
    notice.textContent = text;
    notice.className = isError ? 'notice error' : 'notice';
    notice.hidden = !text;
  }

  /** A section that could not load says why in place (a key without the scope, for one). */
  async function section(target, load) {
    try {
      await load();
    } catch (error) {
      target.replaceChildren(el('p', { class: 'guard', 'data-error': 'section', text: describe(error) }));
      throw error;
    }
  }

  // ---- Integrations -------------------------------------------------------------------------

  async function loadIntegrations() {
    const report = await api('GET', 'v1/integrations/status');
    const summary = report.summary || {};
    $('integration-summary').textContent = ['connected', 'needs_attention', 'disconnected', 'checking']
      .map((state) => (summary[state] || 0) + ' ' + words(state))
      .join(' · ');
    const cards = (report.items || []).map((item) => {
      const error = item.lastError;
      const errorText = error
        ? [error.status, error.vendorMessage || error.reason].filter((part) => part !== null && part !== undefined && part !== '').join(' ')
        : '';
      return el(
        'div',
        { class: 'card state-' + token(item.state), 'data-integration': item.integrationId, 'data-state': token(item.state) },
        el('h4', { class: 'name', text: item.name }),
        el('p', {}, el('span', { class: 'badge ' + token(item.state), text: words(item.state) }), ' ', String(item.vendor)),
        el('p', { text: 'Last check: ' + when(item.lastCheckAt) }),
        item.lastSuccessAt ? el('p', { class: 'muted', text: 'Last success: ' + when(item.lastSuccessAt) }) : null,
        error ? el('p', { class: 'last-error', text: 'Latest error: ' + errorText }) : null,
        error && error.hint ? el('p', { class: 'hint', text: 'Hint: ' + error.hint }) : null,
        // Standing warnings the probe cannot see (a Datto key expiry never saved): shown even when green.
        ...(item.warnings || []).map((w) => el('p', { class: 'warning', 'data-warning': w.code, text: 'Warning: ' + w.hint })),
      );
    });
    $('integration-cards').replaceChildren(...(cards.length ? cards : [el('p', { class: 'muted', text: 'No integrations yet.' })]));
  }

  // ---- Dashboard ----------------------------------------------------------------------------

  function change(pct, label, goodWhenUp) {
    if (pct === null || pct === undefined) return el('div', { class: 'flat', text: label + ' —' });
    const direction = pct > 0 ? 'up' : pct < 0 ? 'down' : 'flat';
    const arrow = pct > 0 ? '▲ +' : pct < 0 ? '▼ ' : '';
    return el('div', { class: goodWhenUp ? 'ok' : '' }, label + ' ', el('span', { class: direction, text: arrow + pct + '%' }));
  }

  function renderChangeCards() {
    const rows = [Object.assign({ name: 'All types', type: 'all' }, dashboard.totals || {})].concat(
      (dashboard.byType || []).map((t) => Object.assign({ name: typeLabel(t.type) }, t)),
    );
    $('change-cards').replaceChildren(
      ...rows.map((row) =>
        el(
          'div',
          { class: 'card', 'data-change': row.type },
          el('h4', { text: row.name }),
          el('div', { class: 'big', text: (row.failed || 0) + ' failed' }),
          change(row.failedChangePct, 'vs previous period:', false),
          el('div', { class: 'muted', text: (row.succeeded || 0) + ' succeeded' }),
          change(row.succeededChangePct, 'vs previous period:', true),
          row.type === 'all' ? controlsLine(dashboard.controls) : null,
        ),
      ),
    );
  }

  // Work the pause and rate-limit controls kept waiting (not transactions, so not in the counts above).
  function controlsLine(controls) {
    const c = controls || {};
    return el('div', {
      class: 'muted controls',
      'data-controls': 'held',
      text: (c.held || 0) + ' deliveries held, ' + (c.throttled || 0) + ' throttled, ' + (c.inboundHeld || 0) + ' inbound events held',
    });
  }

  function failedByType() {
    return TYPES.map((type) => {
      const row = (dashboard.byType || []).find((t) => t.type === type);
      return { type, value: row ? row.failed || 0 : 0 };
    });
  }

  function toggleButton(type, hidden, count, onToggle) {
    const button = el('button', {
      type: 'button',
      class: 't-' + token(type),
      'data-type': type,
      'aria-pressed': hidden ? 'false' : 'true',
      text: typeLabel(type) + (count === undefined ? '' : ' (' + count + ')'),
    });
    button.addEventListener('click', onToggle);
    return button;
  }

  function toggle(set, type, render) {
    if (set.has(type)) set.delete(type);
    else set.add(type);
    render();
  }

  function arcPath(cx, cy, outer, inner, start, end) {
    const large = end - start > Math.PI ? 1 : 0;
    const point = (r, a) => (cx + r * Math.cos(a)).toFixed(2) + ' ' + (cy + r * Math.sin(a)).toFixed(2);
    return (
      'M ' + point(outer, start) + ' A ' + outer + ' ' + outer + ' 0 ' + large + ' 1 ' + point(outer, end) +
      ' L ' + point(inner, end) + ' A ' + inner + ' ' + inner + ' 0 ' + large + ' 0 ' + point(inner, start) + ' Z'
    );
  }

  function renderDonut() {
    const data = failedByType();
    const shown = data.filter((d) => d.value > 0 && !hiddenInDonut.has(d.type));
    const total = shown.reduce((n, d) => n + d.value, 0);
    const chart = svg('svg', { viewBox: '0 0 200 200', width: 200, height: 200, role: 'img', 'aria-label': 'Failures by type' });
    const cx = 100;
    const cy = 100;
    const outer = 90;
    const inner = 56;
    if (total === 0) {
      chart.append(svg('circle', { cx, cy, r: (outer + inner) / 2, fill: 'none', stroke: '#eaeef2', 'stroke-width': outer - inner }));
    } else {
      let angle = -Math.PI / 2;
      for (const d of shown) {
        const sweep = (d.value / total) * Math.PI * 2;
        // A full circle cannot be one arc: a single type is drawn as a ring.
        const slice =
          shown.length === 1
            ? svg('circle', { cx, cy, r: (outer + inner) / 2, fill: 'none', stroke: COLORS[d.type], 'stroke-width': outer - inner })
            : svg('path', { d: arcPath(cx, cy, outer, inner, angle, angle + sweep), fill: COLORS[d.type], stroke: '#fff', 'stroke-width': 1 });
        slice.setAttribute('class', 'slice');
        slice.setAttribute('data-type', d.type);
        const title = svg('title', {});
        title.textContent = typeLabel(d.type) + ': ' + d.value;
        slice.append(title);
        slice.addEventListener('click', () => toggle(hiddenInDonut, d.type, renderDonut));
        chart.append(slice);
        angle += sweep;
      }
    }
    const center = svg('text', { x: cx, y: cy + 4, 'text-anchor': 'middle', class: 'donut-total' });
    center.textContent = total + ' failed';
    chart.append(center);
    $('donut').replaceChildren(chart);
    $('donut-legend').replaceChildren(
      ...data.map((d) => toggleButton(d.type, hiddenInDonut.has(d.type), d.value, () => toggle(hiddenInDonut, d.type, renderDonut))),
    );
  }

  function renderTrend() {
    const trends = dashboard.trends || [];
    const dates = [...new Set(trends.map((p) => p.date))].sort();
    const failed = new Map(trends.map((p) => [p.date + '|' + p.type, p.failed || 0]));
    const width = 640;
    const height = 220;
    const left = 36;
    const right = 12;
    const top = 10;
    const bottom = 26;
    const series = TYPES.filter((type) => !hiddenInTrend.has(type)).map((type) => ({
      type,
      values: dates.map((date) => failed.get(date + '|' + type) || 0),
    }));
    const max = Math.max(1, ...series.flatMap((s) => s.values));
    const x = (i) => (dates.length <= 1 ? left + (width - left - right) / 2 : left + (i * (width - left - right)) / (dates.length - 1));
    const y = (v) => top + (height - top - bottom) * (1 - v / max);
    const chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, width: '100%', height, role: 'img', 'aria-label': 'Failures per day' });
    for (const v of [0, Math.round(max / 2), max]) {
      chart.append(svg('line', { x1: left, x2: width - right, y1: y(v), y2: y(v), stroke: '#eaeef2' }));
      const label = svg('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end' });
      label.textContent = String(v);
      chart.append(label);
    }
    const marks = dates.length <= 1 ? [0] : [0, Math.floor((dates.length - 1) / 2), dates.length - 1];
    for (const i of [...new Set(marks)]) {
      if (dates[i] === undefined) continue;
      const label = svg('text', { x: x(i), y: height - 8, 'text-anchor': 'middle' });
      label.textContent = dates[i];
      chart.append(label);
    }
    for (const s of series) {
      const line = svg('polyline', {
        class: 'series',
        'data-type': s.type,
        fill: 'none',
        stroke: COLORS[s.type],
        'stroke-width': 2,
        points: s.values.map((v, i) => x(i).toFixed(1) + ',' + y(v).toFixed(1)).join(' '),
      });
      const title = svg('title', {});
      title.textContent = typeLabel(s.type);
      line.append(title);
      chart.append(line);
      s.values.forEach((v, i) => {
        if (v > 0) chart.append(svg('circle', { cx: x(i), cy: y(v), r: 3, fill: COLORS[s.type] }));
      });
    }
    $('trend').replaceChildren(chart);
    $('trend-toggles').replaceChildren(
      ...TYPES.map((type) => toggleButton(type, hiddenInTrend.has(type), undefined, () => toggle(hiddenInTrend, type, renderTrend))),
    );
  }

  function actionButton(label, attrs, onClick) {
    const button = el('button', Object.assign({ type: 'button', text: label }, attrs));
    button.addEventListener('click', onClick);
    return button;
  }

  function renderCodes() {
    const rows = (dashboard.errorsByCode || []).map((row) =>
      el(
        'tr',
        { 'data-code': row.code },
        el('td', {}, el('code', { text: row.code })),
        el('td', { text: row.label }),
        el('td', { text: row.count }),
        el('td', {
          text: TYPES.filter((t) => row.byType && row.byType[t] > 0)
            .map((t) => typeLabel(t) + ' ' + row.byType[t])
            .join(', '),
        }),
        el('td', {}, actionButton('Catalog', { 'data-catalog': row.catalogCode }, () => showCatalog(row.catalogCode))),
      ),
    );
    $('codes').tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(5, 'No errors in this period.')]));
  }

  function emptyRow(columns, text) {
    return el('tr', {}, el('td', { colspan: columns, class: 'muted', text }));
  }

  function renderFailures() {
    const rows = (dashboard.failures || []).map((row) =>
      el(
        'tr',
        { 'data-failure': row.id },
        el('td', { text: typeLabel(row.type) }),
        el('td', { text: row.integrationName }),
        el('td', {}, el('code', { text: row.code }), ' ', row.label),
        el('td', { text: row.description }),
        el('td', { text: row.totalErrors }),
        el('td', { text: when(row.lastSeen) }),
        el('td', {}, actionButton('Details', { 'data-action': 'failure' }, () => showFailure(row.id))),
      ),
    );
    $('failures').tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(7, 'Nothing failed in this period.')]));
  }

  function definitionList(pairs) {
    const list = el('dl');
    for (const [term, value] of pairs) {
      if (value === null || value === undefined || value === '') continue;
      list.append(el('dt', { text: term }), value instanceof Node ? el('dd', {}, value) : el('dd', { text: value }));
    }
    return list;
  }

  async function showPanel(panel, load) {
    panel.hidden = false;
    panel.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
    try {
      panel.replaceChildren(...(await load()));
    } catch (error) {
      panel.replaceChildren(el('p', { class: 'guard', text: describe(error) }));
    }
  }

  function showFailure(id) {
    const days = $('days').value;
    return showPanel($('failure-detail'), async () => {
      const f = await api('GET', 'v1/dashboard/failures/' + encodeURIComponent(id) + '?days=' + encodeURIComponent(days));
      const examples = el(
        'ul',
        {},
        ...(f.examples || []).map((e) => el('li', { text: e.kind + ' ' + e.id + ' at ' + when(e.at) })),
      );
      return [
        el('h4', { text: 'Failure: ' + typeLabel(f.type) + ' · ' + f.integrationName }),
        definitionList([
          ['Code', f.code + ' ' + f.label],
          ['Description', f.description],
          ['Services', (f.services || []).join(', ')],
          ['Flows (SOPs)', (f.flows || []).join(', ')],
          ['Errors', String(f.totalErrors)],
          ['First seen', when(f.firstSeen)],
          ['Last seen', when(f.lastSeen)],
          ['What to do', f.remediation],
          ['Examples', (f.examples || []).length ? examples : ''],
        ]),
        actionButton('Catalog entry ' + f.catalogCode, { 'data-catalog': f.catalogCode }, () => showCatalog(f.catalogCode)),
      ];
    });
  }

  function showCatalog(code) {
    return showPanel($('catalog-entry'), async () => {
      const entry = await api('GET', 'v1/error-catalog/' + encodeURIComponent(code));
      const remediation = el(
        'ul',
        {},
        ...TYPES.filter((t) => entry.remediation && entry.remediation[t] && entry.remediation[t].applicable).map((t) =>
          el('li', {}, el('strong', { text: typeLabel(t) + ': ' }), entry.remediation[t].text),
        ),
      );
      const notes = el('ul', {}, ...(entry.vendorNotes || []).map((n) => el('li', {}, el('strong', { text: n.vendor + ': ' }), n.note)));
      return [
        el('h4', { class: 'catalog-title', text: 'Error catalog: ' + entry.code + ' — ' + entry.title }),
        definitionList([
          ['Asked for', entry.fallback ? entry.requested + ' (not listed; its class explains it)' : ''],
          ['Meaning', entry.meaning],
          ['Remediation', remediation],
          ['Vendor notes', (entry.vendorNotes || []).length ? notes : ''],
          ['Related', (entry.related || []).join(', ')],
        ]),
      ];
    });
  }

  async function loadDashboard() {
    const days = $('days').value;
    dashboard = await api('GET', 'v1/dashboard?days=' + encodeURIComponent(days));
    const day = (iso) => String(iso || '').slice(0, 10);
    $('dashboard-period').textContent =
      day(dashboard.from) + ' to ' + day(dashboard.to) + ' (compared with ' + day(dashboard.previousFrom) + ' to ' + day(dashboard.previousTo) + ')';
    renderChangeCards();
    renderDonut();
    renderTrend();
    renderCodes();
    renderFailures();
  }

  // ---- Event log ----------------------------------------------------------------------------

  function badge(status) {
    return el('span', { class: 'badge ' + token(status), text: words(status) });
  }

  function showResult(target, ok, code, text) {
    target.replaceChildren(...(code ? [el('code', { class: 'result-code', text: code }), ' '] : []), el('span', { class: 'result-text', text }));
    target.className = 'result ' + (ok ? 'accepted' : 'guard');
    target.setAttribute('data-outcome', ok ? 'accepted' : 'refused');
  }

  async function replay(id) {
    const target = $('event-result');
    try {
      const accepted = await api('POST', 'v1/events/' + encodeURIComponent(id) + '/replay');
      showResult(target, true, '', 'Replay accepted: new event ' + accepted.eventId + ' (replay of ' + accepted.replayOf + ').');
    } catch (error) {
      // The guard's own words, verbatim: replay in flight, cooldown, rate limit, confirmation.
      if (error instanceof ProblemError) showResult(target, false, error.code, error.detail);
      else showResult(target, false, '', describe(error));
    }
  }

  async function loadEvents() {
    const status = $('event-status').value;
    const list = await api('GET', 'v1/events?limit=25' + (status ? '&status=' + encodeURIComponent(status) : ''));
    const rows = (list.items || []).map((e) =>
      el(
        'tr',
        { 'data-event': e.id },
        el('td', { text: when(e.receivedAt) }),
        el('td', { text: e.source }),
        el('td', { text: e.type || '—' }),
        el(
          'td',
          {},
          badge(e.status),
          // A filtered event names the ingest filter that dropped it (docs/console.md).
          e.filteredBy ? el('div', { class: 'muted', 'data-filtered-by': e.filteredBy, text: 'rule: ' + e.filteredBy }) : null,
        ),
        el('td', { text: words(e.stage) }),
        el('td', { text: e.errorType || '' }),
        el(
          'td',
          {},
          actionButton('Failure Analysis', { 'data-action': 'event' }, () => showEvent(e.id)),
          ' ',
          actionButton('Replay', { 'data-action': 'replay' }, () => replay(e.id)),
          ' ',
          actionButton('Dry run', { 'data-action': 'dry-run' }, () => dryRun(e.id)),
        ),
      ),
    );
    $('event-list').tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(7, 'No events.')]));
  }

  function showEvent(id) {
    return showPanel($('event-detail'), async () => {
      const e = await api('GET', 'v1/events/' + encodeURIComponent(id));
      const f = e.failure;
      const timeline = el(
        'ol',
        {},
        ...(e.timeline || []).map((t) =>
          el('li', { text: words(t.stage) + ' · ' + t.step + ' · ' + t.outcome + (t.errorType ? ' (' + t.errorType + ')' : '') + (t.message ? ': ' + t.message : '') }),
        ),
      );
      return [
        el('h4', { text: 'Event ' + e.id }),
        definitionList([
          ['Status', badge(e.status)],
          ['Source', e.source],
          ['Stage', words(e.stage)],
          ['Received', when(e.receivedAt)],
          ['Replay of', e.replayOf],
          ['Timeline', (e.timeline || []).length ? timeline : ''],
          ['Replays', (e.replays || []).map((r) => r.eventId + ' at ' + when(r.at)).join(', ')],
        ]),
        f
          ? el(
              'div',
              { class: 'analysis' },
              el('h4', { text: 'Failure Analysis' }),
              definitionList([
                ['Stage', words(f.stage)],
                ['Error type', f.errorType],
                ['Message', f.message],
                ['Suggested fix', f.suggestedFix],
                ['At', when(f.at)],
              ]),
            )
          : el('p', { class: 'muted', text: 'No Failure Analysis: the event has not failed.' }),
        actionButton('Replay this event', { 'data-action': 'replay-detail' }, () => replay(e.id)),
      ];
    });
  }

  function stepText(step) {
    const parts = ['#' + step.index, step.name || step.tool, words(step.status)];
    if (step.condition) parts.push('if ' + step.condition.text + ' (' + (step.condition.holds ? 'holds' : 'does not hold') + ')');
    if (step.approvalReason) parts.push('approval: ' + step.approvalReason);
    if (step.error) parts.push((step.errorType ? step.errorType + ': ' : '') + step.error);
    return parts.join(' · ');
  }

  /** What replaying the event would do now (POST /events/{id}/dry-run): nothing is written. */
  function dryRun(id) {
    return showPanel($('dry-run'), async () => {
      const r = await api('POST', 'v1/events/' + encodeURIComponent(id) + '/dry-run');
      const v = r.verdict;
      const steps = r.steps || [];
      return [
        el('h4', { text: 'Dry run of event ' + id }),
        el('p', { class: 'dry-run-verdict', 'data-outcome': v.outcome, text: words(v.outcome) + ': ' + v.summary }),
        definitionList([
          ['Stage', v.stage ? words(v.stage) : ''],
          ['Error type', v.errorType],
          ['Stops at step', v.stopsAtStep === null ? '' : String(v.stopsAtStep)],
          ['Filter', r.filter && r.filter.matched ? r.filter.matched.name + (r.filter.applies ? '' : ' (reported, not applied to a replay)') : ''],
          ['SOP', r.sop ? r.sop.name + ' v' + r.sop.version : 'none matched'],
        ]),
        steps.length
          ? el('ol', { class: 'dry-run-steps' }, ...steps.map((step) => el('li', { 'data-step': String(step.index), text: stepText(step) })))
          : el('p', { class: 'muted', text: 'No steps would run.' }),
        el('p', { class: 'muted', text: 'Nothing was written and no vendor was called.' }),
      ];
    });
  }

  // ---- Delivery log -------------------------------------------------------------------------

  function attemptText(a) {
    if (!a) return '—';
    return '#' + a.n + ' ' + a.trigger + ' at ' + when(a.at) + ': ' + (a.statusCode !== null && a.statusCode !== undefined ? 'HTTP ' + a.statusCode : a.error || 'no answer');
  }

  async function retryDelivery(id) {
    const target = $('delivery-result');
    try {
      const result = await api('POST', 'v1/deliveries/' + encodeURIComponent(id) + '/retry');
      showResult(target, true, '', 'Manual attempt ' + attemptText(result.attempt) + '; the delivery is now ' + result.status + '.');
      await loadDeliveries();
    } catch (error) {
      if (error instanceof ProblemError) showResult(target, false, error.code, error.detail);
      else showResult(target, false, '', describe(error));
    }
  }

  async function loadDeliveries() {
    const list = await api('GET', 'v1/deliveries?limit=25');
    const rows = (list.items || []).map((d) =>
      el(
        'tr',
        { 'data-delivery': d.id, 'data-status': token(d.status) },
        el('td', { text: when(d.createdAt) }),
        el('td', { text: d.eventType }),
        el('td', {}, badge(d.status), d.statusReason ? el('div', { class: 'muted', text: d.statusReason }) : null),
        el('td', { text: d.attemptCount }),
        el('td', { text: attemptText(d.lastAttempt) }),
        el('td', { text: when(d.nextAttemptAt) }),
        el('td', {}, d.status === 'succeeded' ? null : actionButton('Retry now', { 'data-action': 'retry' }, () => retryDelivery(d.id))),
      ),
    );
    $('delivery-list').tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(7, 'No deliveries in the last 30 days.')]));
  }

  // ---- The key and loading ------------------------------------------------------------------

  let generation = 0;

  async function loadAll() {
    const run = ++generation;
    notify('Loading…', false);
    const results = await Promise.allSettled([
      section($('integration-cards'), loadIntegrations),
      section($('change-cards'), loadDashboard),
      section($('event-list').tBodies[0], loadEvents),
      section($('delivery-list').tBodies[0], loadDeliveries),
    ]);
    if (run !== generation) return;
    const failures = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
    const refused = failures.find((e) => e instanceof ProblemError && (e.status === 401 || e.status === 429));
    if (refused && failures.length === results.length) {
      $('main').hidden = true;
      notify(describe(refused), true);
    } else {
      $('main').hidden = false;
      notify(failures.length ? 'Some parts could not load: ' + failures.map(describe).join(' · ') : '', failures.length > 0);
    }
    document.documentElement.setAttribute('data-loaded', String(run));
  }

  function forget() {
    apiKey = '';
    generation++;
    dashboard = null;
    $('main').hidden = true;
    $('key-forget').hidden = true;
    $('refresh').disabled = true;
    for (const id of ['integration-cards', 'change-cards', 'donut', 'donut-legend', 'trend', 'trend-toggles', 'failure-detail', 'catalog-entry', 'event-detail', 'dry-run', 'event-result', 'delivery-result']) {
      $(id).replaceChildren();
    }
    for (const id of ['codes', 'failures', 'event-list', 'delivery-list']) $(id).tBodies[0].replaceChildren();
    notify('Key forgotten. Paste a key to look again.', false);
  }

  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('api-key');
    const key = input.value.trim();
    input.value = '';
    if (!key) return;
    apiKey = key;
    $('key-forget').hidden = false;
    $('refresh').disabled = false;
    void loadAll();
  });
  $('key-forget').addEventListener('click', forget);
  $('refresh').addEventListener('click', () => {
    if (apiKey) void loadAll();
  });
  $('days').addEventListener('change', () => {
    if (apiKey) void section($('change-cards'), loadDashboard).catch((error) => notify(describe(error), true));
  });
  $('event-status').addEventListener('change', () => {
    if (apiKey) void section($('event-list').tBodies[0], loadEvents).catch((error) => notify(describe(error), true));
  });
  document.documentElement.setAttribute('data-console-ready', 'true');
})();
`;
