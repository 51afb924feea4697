/**
 * The console's HTML: a shell with no data in it, so it needs no key and can be cached by nobody's
 * rules but the API's. Everything shown is fetched by shared/console/page-script.ts with the key
 * the user types, and written with textContent only (docs/console.md, "Safety").
 *
 * The policy admits the page's own script and stylesheet (separate routes, relative URLs, so the
 * page works under any host and route prefix), fetches to the same origin and nothing else: no
 * inline script or style, no frames around it, no form posts, no other origin.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>MSP Integration Hub console</title>
<link rel="stylesheet" href="console/console.css">
<script src="console/console.js" defer></script>
</head>
<body>
<header>
  <strong>MSP Integration Hub</strong> <span class="muted">console</span>
  <form id="key-form" autocomplete="off">
    <label for="api-key">API key</label>
    <input id="api-key" type="password" autocomplete="off" spellcheck="false" placeholder="paste an API key">
    <button id="key-open" type="submit">Open</button>
    <button id="key-forget" type="button" hidden>Forget key</button>
  </form>
  <label class="period">Period
    <select id="days">
      <option value="1">1 day</option>
      <option value="7" selected>7 days</option>
      <option value="30">30 days</option>
      <option value="90">90 days</option>
    </select>
  </label>
  <button id="refresh" type="button" disabled>Refresh</button>
</header>
<p id="notice" class="notice" role="status">Paste an API key (scopes integrations:read, events:read, events:replay, subscriptions:read and subscriptions:write, or admin). It stays in this tab's memory only: reloading the page forgets it.</p>
<main id="main" hidden>
  <section id="integrations" class="panel">
    <h2>Integrations <span id="integration-summary" class="muted"></span></h2>
    <div id="integration-cards" class="cards"></div>
  </section>

  <section id="dashboard" class="panel">
    <h2>Dashboard <span id="dashboard-period" class="muted"></span></h2>
    <div id="change-cards" class="cards change"></div>
    <div class="charts">
      <figure class="chart">
        <figcaption>Failures by type <span class="muted">(click a type to hide it)</span></figcaption>
        <div id="donut"></div>
        <div id="donut-legend" class="legend"></div>
      </figure>
      <figure class="chart wide">
        <figcaption>Failures per day</figcaption>
        <div id="trend-toggles" class="legend"></div>
        <div id="trend"></div>
      </figure>
    </div>
    <h3>Errors by code</h3>
    <table id="codes"><thead><tr><th>Code</th><th>Meaning</th><th>Count</th><th>By type</th><th></th></tr></thead><tbody></tbody></table>
    <h3>Failures in integrations</h3>
    <table id="failures"><thead><tr><th>Type</th><th>Integration</th><th>Code</th><th>Description</th><th>Errors</th><th>Last seen</th><th></th></tr></thead><tbody></tbody></table>
    <div id="failure-detail" class="detail" hidden></div>
    <div id="catalog-entry" class="detail" hidden></div>
  </section>

  <section id="events" class="panel">
    <h2>Event log</h2>
    <label>Status
      <select id="event-status">
        <option value="">any</option>
        <option value="failed" selected>failed</option>
        <option value="succeeded">succeeded</option>
        <option value="filtered">filtered</option>
        <option value="processing">processing</option>
        <option value="awaiting_approval">awaiting approval</option>
      </select>
    </label>
    <table id="event-list"><thead><tr><th>Received</th><th>Source</th><th>Type</th><th>Status</th><th>Stage</th><th>Error</th><th></th></tr></thead><tbody></tbody></table>
    <p id="event-result" class="result" role="status"></p>
    <div id="event-detail" class="detail" hidden></div>
    <div id="dry-run" class="detail" hidden></div>
  </section>

  <section id="deliveries" class="panel">
    <h2>Delivery log</h2>
    <table id="delivery-list"><thead><tr><th>Created</th><th>Event type</th><th>Status</th><th>Attempts</th><th>Last attempt</th><th>Next attempt</th><th></th></tr></thead><tbody></tbody></table>
    <p id="delivery-result" class="result" role="status"></p>
  </section>
</main>
</body>
</html>
`;
