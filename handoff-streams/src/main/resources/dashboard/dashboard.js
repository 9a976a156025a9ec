/*
 * Handoff metrics dashboard: the five-number handoff dashboard over the metrics query API
 * (docs/metrics-api.md). Plain browser JavaScript, no build step; Chart.js 4 comes from its WebJar.
 *
 * Test contract (DashboardBrowser in the tests relies on it):
 *  - every number of the five-number table (#five-numbers) carries data-band="<BAND>",
 *    data-metric="<name>" and data-value="<the API's raw value>" ("" where the API said null), with the
 *    human text as content. Names: captured, acknowledged, median_ms, p90_ms, no_ack_rate,
 *    no_ack_numerator, no_ack_denominator, pending, handoff_breaches, sla_status (GREEN/AMBER/RED/NONE);
 *    A band of CRITICAL..LOW without findings keeps its line (tr data-band, data-empty="true") with no numbers;
 *  - the tiles carry data-metric (unrouted_depth, ownership_currency, captured_total,
 *    handoff_breaches_total) and data-value, without data-band;
 *  - when every fetch of one refresh has finished, body gets data-state="ready" or "error" and then
 *    data-loaded="<n>" (1, 2, 3, ...); body data-from / data-to / data-zone / data-team describe what is shown;
 *  - a refresh superseded by a newer one (filter changed meanwhile) is dropped without counting.
 */
(function () {
  'use strict';

  var REFRESH_MS = 30000;
  var BANDS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];
  var BAND_LABELS = { CRITICAL: 'Critical', HIGH: 'High', MEDIUM: 'Medium', LOW: 'Low', INFO: 'Info' };
  var BAND_COLORS = { CRITICAL: '#8b1a1a', HIGH: '#d9622b', MEDIUM: '#d9a520', LOW: '#3a78c9', INFO: '#8c99aa' };
  var MODES = ['DECAYED_ROUTING', 'NOTIFICATION_NOISE', 'ACK_AMBIGUITY', 'ASSET_BINDING_GAP', 'SEVERITY_MISMATCH', 'UNCLASSIFIED'];
  var MODE_LABELS = {
    DECAYED_ROUTING: 'Decayed routing',
    NOTIFICATION_NOISE: 'Notification noise',
    ACK_AMBIGUITY: 'Ack ambiguity',
    ASSET_BINDING_GAP: 'Asset binding gap',
    SEVERITY_MISMATCH: 'Severity mismatch',
    UNCLASSIFIED: 'Unclassified'
  };
  var STAGES = ['CAPTURE', 'ENRICHMENT', 'ROUTING', 'NOTIFICATION', 'ACKNOWLEDGEMENT', 'TRIAGE'];
  var STAGE_LABELS = {
    CAPTURE: ['Capture', 'first seen'],
    ENRICHMENT: ['Enrichment', 'capture → enriched'],
    ROUTING: ['Routing', 'enriched → routed'],
    NOTIFICATION: ['Notification', 'routed → notified'],
    ACKNOWLEDGEMENT: ['Acknowledgement', 'notified → acked'],
    TRIAGE: ['Triage entry', 'acked → triage']
  };
  var SEGMENTS = ['handoff', 'triage', 'fix', 'verification'];
  var SEGMENT_LABELS = { handoff: 'Handoff', triage: 'Triage', fix: 'Fix', verification: 'Verification' };
  var SEGMENT_COLORS = { handoff: '#0f766e', triage: '#6d4fc2', fix: '#2563a8', verification: '#b0407a' };
  var STATUS_TITLES = {
    GREEN: 'GREEN: at least 90 % of the findings with a known handoff outcome met the handoff SLA',
    AMBER: 'AMBER: at least 50 % (but under 90 %) met the handoff SLA',
    RED: 'RED: fewer than 50 % met the handoff SLA',
    NONE: 'NONE: no handoff outcome is known yet'
  };
  var NO_FINDINGS = 'No findings in this period';
  var NO_TEAM = 'none';          // the API's key for findings without a team

  function teamLabel(key) {
    return key === NO_TEAM ? '(no team)' : key;
  }

  var MINUTE = 60000, HOUR = 60 * MINUTE, DAY = 24 * HOUR;
  // Tick values of the log-scale duration axis.
  var NICE_DURATIONS = [1000, 10000, MINUTE, 10 * MINUTE, HOUR, 4 * HOUR, DAY, 7 * DAY, 30 * DAY, 90 * DAY, 365 * DAY,
    1095 * DAY];

  // ------------------------------------------------------------------ state

  var filter = { period: '30', from: '', to: '', team: '' };
  var zone = null;               // workspace zone, known after the first answer
  var loadSeq = 0;               // id of the newest refresh started
  var loadedCounter = 0;         // refreshes finished (body data-loaded)
  var controller = null;         // aborts the fetches of a superseded refresh
  var refreshTimer = null;
  var distributionMode = 'share';
  var lastHandoff = null;
  var charts = {};

  var $ = function (id) { return document.getElementById(id); };
  var periodSel = $('period-filter');
  var teamSel = $('team-filter');
  var fromInput = $('from-date');
  var toInput = $('to-date');

  // ------------------------------------------------------------------ formatting

  function isNum(v) {
    return typeof v === 'number' && isFinite(v);
  }

  /** "45s", "12m", "3h 20m", "2d 4h"; "—" for null. */
  function fmtDuration(ms) {
    if (!isNum(ms)) return '—';
    if (ms < 0) return '−' + fmtDuration(-ms);
    if (ms < 1000) return Math.round(ms) + ' ms';
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60), rs = s % 60;
    if (m < 10) return rs ? m + 'm ' + rs + 's' : m + 'm';
    if (m < 60) return m + 'm';
    var h = Math.floor(m / 60), rm = m % 60;
    if (h < 24) return rm ? h + 'h ' + rm + 'm' : h + 'h';
    var d = Math.floor(h / 24), rh = h % 24;
    if (d >= 10) return d + 'd';
    return rh ? d + 'd ' + rh + 'h' : d + 'd';
  }

  function fmtPct(rate) {
    if (!isNum(rate)) return '—';
    return (rate * 100).toFixed(1) + '%';
  }

  function fmtCount(n) {
    if (!isNum(n)) return '—';
    return n.toLocaleString('en-US');
  }

  /** The raw value for a data-value attribute: "" for null. */
  function raw(v) {
    if (v === null || v === undefined) return '';
    return String(v);
  }

  function safeZone(z) {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: z });
      return z;
    } catch (e) {
      return 'UTC';
    }
  }

  function fmtInstant(iso, z) {
    var d = new Date(iso);
    if (!iso || isNaN(d.getTime())) return '—';
    var tz = safeZone(z || 'UTC');
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: tz, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'
    }).format(d) + ' ' + tz;
  }

  function fmtDay(ymd, withYear) {
    var d = new Date(ymd + 'T00:00:00Z');
    if (!ymd || isNaN(d.getTime())) return ymd || '—';
    var opts = { timeZone: 'UTC', day: 'numeric', month: 'short' };
    if (withYear) opts.year = 'numeric';
    return new Intl.DateTimeFormat('en-GB', opts).format(d);
  }

  function fmtShortDate(ms, z) {
    return new Intl.DateTimeFormat('en-GB', { timeZone: safeZone(z || 'UTC'), day: 'numeric', month: 'short' }).format(new Date(ms));
  }

  function fmtDateTime(ms, z) {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: safeZone(z || 'UTC'), day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'
    }).format(new Date(ms));
  }

  function fmtClock(ms, z) {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: safeZone(z || 'UTC'), hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'
    }).format(new Date(ms));
  }

  function todayIn(z) {
    var parts = {};
    new Intl.DateTimeFormat('en-GB', { timeZone: safeZone(z || 'UTC'), year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(new Date()).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + '-' + parts.month + '-' + parts.day;
  }

  function addDays(ymd, n) {
    var d = new Date(ymd + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function daysBetween(from, to) {
    return Math.round((Date.parse(to + 'T00:00:00Z') - Date.parse(from + 'T00:00:00Z')) / DAY) + 1;
  }

  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16 & 255) + ',' + (n >> 8 & 255) + ',' + (n & 255) + ',' + a + ')';
  }

  // ------------------------------------------------------------------ DOM helpers

  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = v;
        else e.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(e, arguments[i]);
    return e;
  }

  function append(parent, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(parent, c); }); return; }
    parent.append(child instanceof Node ? child : String(child));
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /** A number of the five-number table: data-band, data-metric, data-value, human text. */
  function metric(tag, band, name, value, text, cls) {
    return el(tag, { class: cls, 'data-band': band, 'data-metric': name, 'data-value': raw(value) }, text);
  }

  function setTile(name, value, text, sub, subId) {
    var node = document.querySelector('.tile-value[data-metric="' + name + '"]');
    node.setAttribute('data-value', raw(value));
    node.textContent = text;
    var subNode = $(subId);
    clear(subNode);
    append(subNode, sub || '\u00a0');
  }

  /** Shows the chart/table of a card, or hides it behind a message. */
  function setCardMessage(card, message) {
    var box = card.querySelector('.chart-box, .table-box');
    var empty = card.querySelector('.empty');
    if (message) {
      box.hidden = true;
      empty.hidden = false;
      empty.textContent = message;
    } else {
      box.hidden = false;
      empty.hidden = true;
      empty.textContent = '';
    }
  }

  // ------------------------------------------------------------------ fetching

  function ApiError(message) {
    this.name = 'ApiError';
    this.message = message;
  }
  ApiError.prototype = Object.create(Error.prototype);

  function query(params) {
    var q = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      if (params[k] !== undefined && params[k] !== null && params[k] !== '') q.set(k, params[k]);
    });
    return q.toString();
  }

  function getJson(path, params, signal) {
    var url = path + '?' + query(params);
    return fetch(url, { signal: signal, cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (resp) {
        return resp.text().then(function (text) {
          var body = null;
          try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
          if (!resp.ok) {
            var detail = body && typeof body.error === 'string' ? body.error : (resp.statusText || 'no details');
            throw new ApiError(path + ' answered ' + resp.status + ': ' + detail);
          }
          if (!body || typeof body !== 'object') throw new ApiError(path + ' did not answer JSON');
          if (typeof body.error === 'string') throw new ApiError(path + ': ' + body.error);
          return body;
        });
      }, function (e) {
        if (e && e.name === 'AbortError') throw e;
        throw new ApiError(path + ': the server could not be reached (' + (e && e.message ? e.message : e) + ')');
      });
  }

  // ------------------------------------------------------------------ filters

  function readUrl() {
    var q = new URLSearchParams(location.search);
    var p = q.get('period');
    if (p === '7' || p === '30' || p === '90' || p === 'custom') filter.period = p;
    if (q.get('from')) filter.from = q.get('from');
    if (q.get('to')) filter.to = q.get('to');
    if (filter.from && filter.to && !p) filter.period = 'custom';
    if (q.get('team')) filter.team = q.get('team');
  }

  function writeUrl() {
    var params = {};
    if (filter.period !== '30') params.period = filter.period;
    if (filter.period === 'custom') { params.from = filter.from; params.to = filter.to; }
    if (filter.team) params.team = filter.team;
    var qs = query(params);
    try { history.replaceState(null, '', location.pathname + (qs ? '?' + qs : '')); } catch (e) { /* file:// etc. */ }
  }

  function syncControls() {
    periodSel.value = filter.period;
    $('custom-dates').hidden = filter.period !== 'custom';
    fromInput.value = filter.from || '';
    toInput.value = filter.to || '';
    ensureTeamOption(filter.team);
    teamSel.value = filter.team;
  }

  function ensureTeamOption(key) {
    if (!key) return;
    for (var i = 0; i < teamSel.options.length; i++) if (teamSel.options[i].value === key) return;
    teamSel.append(el('option', { value: key }, teamLabel(key)));
  }

  /** The day range to ask for: {from, to}, {} for the server's default, or {error}. */
  function range() {
    if (filter.period === 'custom') {
      if (!filter.from || !filter.to) return { error: 'Choose both a From and a To date for a custom period.' };
      if (filter.from > filter.to) return { error: 'The From date (' + filter.from + ') is after the To date (' + filter.to + ').' };
      return { from: filter.from, to: filter.to };
    }
    var days = parseInt(filter.period, 10);
    if (!zone && days === 30) return {};        // the server's default is the last 30 days in its own zone
    var to = todayIn(zone || 'UTC');
    return { from: addDays(to, -(days - 1)), to: to };
  }

  // ------------------------------------------------------------------ loading

  function load() {
    var seq = ++loadSeq;
    if (controller) controller.abort();
    var ctl = typeof AbortController === 'function' ? new AbortController() : null;
    controller = ctl;
    clearTimeout(refreshTimer);
    document.body.classList.add('is-loading');
    writeUrl();

    var r = range();
    if (r.error) {
      return Promise.resolve().then(function () {
        if (seq !== loadSeq) return;
        finish([r.error]);
      });
    }
    var team = filter.team;
    var scope = team ? { dimension: 'TEAM', key: team } : { dimension: 'ALL' };
    var base = { from: r.from, to: r.to };
    var signal = ctl ? ctl.signal : undefined;
    var requests = [
      getJson('/metrics/handoff', Object.assign({}, base, { dimension: 'TEAM', detail: 'five' }), signal),
      getJson('/metrics/handoff', Object.assign({}, base, scope), signal),
      getJson('/metrics/cycle', Object.assign({}, base, scope), signal),
      getJson('/metrics/timeseries', Object.assign({}, base, scope, { granularity: 'DAY' }), signal)
    ];
    return Promise.allSettled(requests).then(function (results) {
      if (seq !== loadSeq) return;              // superseded: a newer refresh will report
      var errors = [];
      var ok = results.map(function (res) {
        if (res.status === 'fulfilled') return res.value;
        errors.push(res.reason && res.reason.message ? res.reason.message : String(res.reason));
        return null;
      });
      if (!chartsReady()) errors.push('The chart library did not load from /webjars/chart.js/4.5.1/dist/chart.umd.min.js; charts are not shown.');
      try {
        render(ok[0], ok[1], ok[2], ok[3], team);
      } catch (e) {
        errors.push('The page could not display the data: ' + (e && e.message ? e.message : e));
        if (window.console) console.error(e);
      }
      finish(errors);
    });
  }

  function finish(errors) {
    showErrors(errors);
    document.body.classList.remove('is-loading');
    var now = new Date();
    $('updated-at').textContent = 'Page refreshed ' + now.toLocaleTimeString('en-GB', { hourCycle: 'h23' })
      + ' (browser time) · data from the Handoff metrics API';
    $('refresh-note').textContent = 'Updated ' + now.toLocaleTimeString('en-GB', { hourCycle: 'h23' }) + ' · auto-refresh every 30 s';
    document.body.setAttribute('data-state', errors.length ? 'error' : 'ready');
    loadedCounter += 1;
    document.body.setAttribute('data-loaded', String(loadedCounter));
    refreshTimer = setTimeout(load, REFRESH_MS);
  }

  function showErrors(errors) {
    var banner = $('error-banner');
    clear(banner);
    var unique = errors.filter(function (m, i) { return errors.indexOf(m) === i; });
    if (!unique.length) {
      banner.hidden = true;
      return;
    }
    banner.append(el('strong', null, 'Part of the dashboard could not be loaded.'));
    banner.append(' Anything affected is marked below; the page retries every 30 s.');
    var list = el('ul');
    unique.forEach(function (m) { list.append(el('li', null, m)); });
    banner.append(list);
    banner.hidden = false;
  }

  // ------------------------------------------------------------------ rendering

  function rowsOf(resp) {
    return resp && Array.isArray(resp.rows) ? resp.rows : [];
  }

  function bandOrder(a, b) {
    var ia = BANDS.indexOf(a.band), ib = BANDS.indexOf(b.band);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  }

  /** Rows of the chosen scope: the team's rows for a team, else the ALL rows; one per band. */
  function scopeRows(resp, team) {
    var seen = {};
    return rowsOf(resp).filter(function (row) {
      if (!row || !row.band) return false;
      if (team && row.key !== undefined && row.key !== team) return false;
      if (seen[row.band]) return false;
      seen[row.band] = true;
      return true;
    }).sort(bandOrder);
  }

  function render(teamsResp, handoff, cycle, timeseries, team) {
    var any = handoff || cycle || timeseries || teamsResp;
    if (any && any.zone) zone = safeZone(any.zone);
    $('scope-text').textContent = team === NO_TEAM ? 'Findings without a team' : team ? 'Team ' + team : 'All teams';
    renderHeader(handoff || cycle || timeseries || teamsResp, team);
    if (teamsResp) renderTeams(teamsResp);

    var rows = handoff ? scopeRows(handoff, team) : null;
    lastHandoff = rows;
    renderTiles(handoff, rows);
    renderTable(rows);
    renderDistribution(rows);
    renderModes(rows, 'breach');
    renderModes(rows, 'noack');
    renderStages(rows);
    renderUnrouted(timeseries);
    renderCycle(cycle ? scopeRows(cycle, team) : null);
  }

  function renderHeader(resp, team) {
    var body = document.body;
    if (!resp) {
      body.removeAttribute('data-from');
      body.removeAttribute('data-to');
      return;
    }
    $('as-of').textContent = fmtInstant(resp.as_of, resp.zone);
    if (resp.as_of) $('as-of').setAttribute('datetime', resp.as_of);
    var days = resp.from && resp.to ? daysBetween(resp.from, resp.to) : null;
    $('period-text').textContent = resp.from && resp.to
      ? 'Findings captured ' + fmtDay(resp.from, resp.from.slice(0, 4) !== resp.to.slice(0, 4)) + ' – ' + fmtDay(resp.to, true)
        + ' (' + days + (days === 1 ? ' day' : ' days') + ', ' + (resp.zone || 'UTC') + ')'
      : '';
    body.setAttribute('data-from', resp.from || '');
    body.setAttribute('data-to', resp.to || '');
    body.setAttribute('data-zone', resp.zone || '');
    body.setAttribute('data-team', team || '');
    if (filter.period !== 'custom') {
      // keep the custom inputs primed with the range on show
      filter.from = resp.from || filter.from;
      filter.to = resp.to || filter.to;
      fromInput.value = filter.from;
      toInput.value = filter.to;
    }
  }

  function renderTeams(resp) {
    var keys = [];
    rowsOf(resp).forEach(function (row) {
      if (!row || (row.dimension && row.dimension !== 'TEAM')) return;
      if (typeof row.key === 'string' && row.key !== '' && keys.indexOf(row.key) < 0) keys.push(row.key);
    });
    keys.sort(function (a, b) { return a.localeCompare(b); });
    if (filter.team && keys.indexOf(filter.team) < 0) keys.push(filter.team);
    var current = [];
    for (var i = 1; i < teamSel.options.length; i++) current.push(teamSel.options[i].value);
    if (current.join('\n') === keys.join('\n')) return;       // unchanged: leave an open select alone
    while (teamSel.options.length > 1) teamSel.remove(1);
    keys.forEach(function (k) { teamSel.append(el('option', { value: k }, teamLabel(k))); });
    teamSel.value = filter.team;
  }

  function renderTiles(handoff, rows) {
    var g = handoff && handoff.gauges ? handoff.gauges : null;
    if (!handoff) {
      setTile('unrouted_depth', null, '—', 'not available', 'unrouted-sub');
      setTile('ownership_currency', null, '—', 'not available', 'ownership-sub');
      setTile('captured_total', null, '—', 'not available', 'captured-sub');
      setTile('handoff_breaches_total', null, '—', 'not available', 'breaches-sub');
      return;
    }
    var depth = g ? g.unrouted_depth : null;
    var depthSub;
    if (isNum(depth) && depth > 0 && g.oldest_unrouted_at) {
      var age = Date.parse(handoff.as_of) - Date.parse(g.oldest_unrouted_at);
      depthSub = isNum(age) && age >= 0
        ? ['oldest waiting ', el('strong', null, fmtDuration(age)), ' (whole workspace)']
        : 'oldest since ' + fmtInstant(g.oldest_unrouted_at, handoff.zone);
    } else if (depth === 0) {
      depthSub = 'queue empty (whole workspace)';
    } else {
      depthSub = 'whole workspace';
    }
    setTile('unrouted_depth', depth, fmtCount(depth), depthSub, 'unrouted-sub');

    var cur = g ? g.ownership_currency : null;
    var curSub = g && isNum(g.open)
      ? [fmtCount(g.open_with_active_owner), ' of ', fmtCount(g.open), ' open findings have an active owner']
      : 'open findings with an active owner';
    setTile('ownership_currency', cur, fmtPct(cur), curSub, 'ownership-sub');

    var captured = 0, acked = 0, breaches = 0, decided = 0;
    rows.forEach(function (row) {
      captured += isNum(row.captured) ? row.captured : 0;
      acked += isNum(row.acknowledged) ? row.acknowledged : 0;
      var b = row.handoff_breaches && isNum(row.handoff_breaches.count) ? row.handoff_breaches.count : 0;
      breaches += b;
      decided += b + (isNum(row.handoff_within_sla) ? row.handoff_within_sla : 0);
    });
    setTile('captured_total', captured, fmtCount(captured),
      rows.length ? fmtCount(acked) + ' acknowledged · all severities' : NO_FINDINGS, 'captured-sub');
    setTile('handoff_breaches_total', breaches, fmtCount(breaches),
      decided ? fmtPct(breaches / decided) + ' of ' + fmtCount(decided) + ' findings with a known outcome'
        : 'no handoff outcome known yet', 'breaches-sub');
  }

  function renderTable(rows) {
    var tbody = $('five-numbers-body');
    clear(tbody);
    if (!rows) {
      tbody.append(el('tr', { class: 'placeholder' }, el('td', { colspan: 8 }, 'The numbers are not available right now (see the error above).')));
      return;
    }
    if (!rows.length) {
      tbody.append(el('tr', { class: 'placeholder' }, el('td', { colspan: 8 }, NO_FINDINGS)));
      return;
    }
    // CRITICAL to LOW always have a line (saying so when a band had no findings); INFO and unknown bands only with data
    var byBand = {};
    rows.forEach(function (row) { byBand[row.band] = row; });
    BANDS.slice(0, 4).forEach(function (band) {
      if (byBand[band]) return;
      tbody.append(el('tr', { 'data-band': band, 'data-empty': 'true', class: 'band-row empty-band' },
        el('th', { scope: 'row', class: 'band-cell' },
          el('span', { class: 'swatch', style: 'background:' + BAND_COLORS[band] }), BAND_LABELS[band]),
        el('td', { colspan: 7, class: 'no-findings' }, NO_FINDINGS)));
    });
    rows.forEach(function (row) {
      var band = row.band;
      var na = row.no_ack || {};
      var hb = row.handoff_breaches || {};
      var sla = row.sla || {};
      var status = typeof sla.status === 'string' ? sla.status : 'NONE';
      var decided = (isNum(hb.count) ? hb.count : 0) + (isNum(row.handoff_within_sla) ? row.handoff_within_sla : 0);
      var inferred = isNum(row.inferred_acks) && row.inferred_acks > 0 ? row.inferred_acks : 0;

      var tr = el('tr', { 'data-band': band, class: 'band-row' },
        el('th', { scope: 'row', class: 'band-cell' },
          el('span', { class: 'swatch', style: 'background:' + (BAND_COLORS[band] || '#999') }),
          BAND_LABELS[band] || band),
        metric('td', band, 'captured', row.captured, fmtCount(row.captured), 'num'),
        el('td', { class: 'num' },
          metric('span', band, 'acknowledged', row.acknowledged, fmtCount(row.acknowledged), 'val'),
          inferred ? el('span', { class: 'sub' }, '+' + fmtCount(inferred) + ' inferred') : null),
        metric('td', band, 'median_ms', row.median_ms, fmtDuration(row.median_ms), 'num big'),
        metric('td', band, 'p90_ms', row.p90_ms, fmtDuration(row.p90_ms), 'num big'),
        el('td', { class: 'num' },
          metric('span', band, 'no_ack_rate', na.rate, fmtPct(na.rate), 'val big'),
          el('span', { class: 'sub' },
            metric('span', band, 'no_ack_numerator', na.numerator, fmtCount(na.numerator)),
            ' of ',
            metric('span', band, 'no_ack_denominator', na.denominator, fmtCount(na.denominator)),
            ' · ',
            metric('span', band, 'pending', na.pending, fmtCount(na.pending)),
            ' pending')),
        el('td', { class: 'num' },
          metric('span', band, 'handoff_breaches', hb.count, fmtCount(hb.count), 'val big'),
          el('span', { class: 'sub' }, decided ? 'of ' + fmtCount(decided) + ' decided' : 'none decided yet')),
        el('td', { class: 'sla-cell' },
          el('span', {
            class: 'chip ' + (STATUS_TITLES[status] ? status : 'NONE'), 'data-band': band, 'data-metric': 'sla_status',
            'data-value': status, title: STATUS_TITLES[status] || status
          }, status),
          el('span', { class: 'sla-target' }, sla.handoff ? 'target ' + sla.handoff : 'no handoff SLA'))
      );
      tbody.append(tr);
    });
    // keep the band order, empty bands included
    Array.prototype.slice.call(tbody.children).sort(function (a, b) {
      return bandOrder({ band: a.getAttribute('data-band') }, { band: b.getAttribute('data-band') });
    }).forEach(function (tr) { tbody.append(tr); });
  }

  // ------------------------------------------------------------------ charts

  function chartsReady() {
    return typeof window.Chart === 'function';
  }

  function upsertChart(id, config) {
    var existing = charts[id];
    if (existing && existing.config.type === config.type) {
      existing.data = config.data;
      existing.options = config.options;
      existing.update('none');
      return existing;
    }
    if (existing) existing.destroy();
    charts[id] = new window.Chart($(id), config);
    return charts[id];
  }

  function chartUnavailable(card) {
    setCardMessage(card, 'Charts are unavailable: the chart library did not load (/webjars/chart.js/4.5.1/dist/chart.umd.min.js).');
  }

  function legendOptions() {
    return { position: 'top', align: 'end', labels: { boxWidth: 14, boxHeight: 14, padding: 14 } };
  }

  function renderDistribution(rows) {
    var card = $('distribution-card');
    if (!rows) return setCardMessage(card, 'Not available right now (see the error above).');
    var withData = rows.filter(function (r) {
      return Array.isArray(r.distribution) && r.distribution.some(function (b) { return b && b.count > 0; });
    });
    if (!withData.length) return setCardMessage(card, rows.length ? 'No acknowledged findings to measure in this period' : NO_FINDINGS);
    if (!chartsReady()) return chartUnavailable(card);
    setCardMessage(card, null);

    var labels = [];
    withData.forEach(function (r) {
      r.distribution.forEach(function (b) { if (b && labels.indexOf(b.label) < 0) labels.push(b.label); });
    });
    var share = distributionMode === 'share';
    var datasets = withData.map(function (r) {
      var total = r.distribution.reduce(function (s, b) { return s + (b && isNum(b.count) ? b.count : 0); }, 0);
      var counts = labels.map(function (l) {
        var b = r.distribution.find(function (x) { return x && x.label === l; });
        return b && isNum(b.count) ? b.count : 0;
      });
      return {
        label: BAND_LABELS[r.band] || r.band,
        band: r.band,
        counts: counts,
        total: total,
        data: counts.map(function (c) { return share ? (total ? 100 * c / total : 0) : c; }),
        backgroundColor: BAND_COLORS[r.band] || '#999',
        borderRadius: 2,
        maxBarThickness: 44,
        categoryPercentage: 0.8,
        barPercentage: 0.9
      };
    });
    upsertChart('distribution-chart', {
      type: 'bar',
      data: { labels: labels, datasets: datasets },
      options: {
        plugins: {
          legend: legendOptions(),
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var ds = ctx.dataset, c = ds.counts[ctx.dataIndex];
                return ds.label + ': ' + fmtCount(c) + ' findings (' + fmtPct(ds.total ? c / ds.total : null) + ' of the band)';
              }
            }
          }
        },
        scales: {
          x: { grid: { display: false }, title: { display: true, text: 'Handoff latency (capture → acknowledgement)' } },
          y: {
            beginAtZero: true,
            grace: '5%',
            title: { display: true, text: share ? '% of the band\'s acknowledged findings' : 'Findings' },
            ticks: share ? { callback: function (v) { return v + '%'; } } : { precision: 0 }
          }
        }
      }
    });
  }

  function renderModes(rows, kind) {
    var card = $(kind === 'breach' ? 'breach-modes-card' : 'noack-modes-card');
    var canvasId = kind === 'breach' ? 'breach-modes-chart' : 'noack-modes-chart';
    if (!rows) return setCardMessage(card, 'Not available right now (see the error above).');
    if (!rows.length) return setCardMessage(card, NO_FINDINGS);
    var modes = [];
    var byBand = rows.map(function (r) {
      var src = kind === 'breach' ? r.handoff_breaches : r.no_ack;
      var counts = {};
      (src && Array.isArray(src.by_mode) ? src.by_mode : []).forEach(function (m) {
        if (!m || !m.mode || !isNum(m.count) || m.count <= 0) return;
        counts[m.mode] = (counts[m.mode] || 0) + m.count;
        if (modes.indexOf(m.mode) < 0) modes.push(m.mode);
      });
      return { band: r.band, counts: counts };
    });
    if (!modes.length) {
      return setCardMessage(card, kind === 'breach' ? 'No handoff SLA breaches in this period' : 'No no-acks in this period');
    }
    if (!chartsReady()) return chartUnavailable(card);
    setCardMessage(card, null);
    modes.sort(function (a, b) {
      var ia = MODES.indexOf(a), ib = MODES.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
    var datasets = byBand.filter(function (b) { return Object.keys(b.counts).length; }).map(function (b) {
      return {
        label: BAND_LABELS[b.band] || b.band,
        data: modes.map(function (m) { return b.counts[m] || 0; }),
        backgroundColor: BAND_COLORS[b.band] || '#999',
        borderColor: '#fff',
        borderWidth: { right: 1 },
        maxBarThickness: 30,
        barPercentage: 0.75,
        categoryPercentage: 0.9
      };
    });
    upsertChart(canvasId, {
      type: 'bar',
      data: { labels: modes.map(function (m) { return MODE_LABELS[m] || m; }), datasets: datasets },
      options: {
        indexAxis: 'y',
        plugins: {
          legend: legendOptions(),
          tooltip: {
            callbacks: {
              footer: function (items) {
                if (!items.length) return '';
                var i = items[0].dataIndex, total = 0;
                items[0].chart.data.datasets.forEach(function (ds) { total += ds.data[i] || 0; });
                return 'All bands: ' + fmtCount(total);
              }
            }
          }
        },
        scales: {
          x: { stacked: true, beginAtZero: true, ticks: { precision: 0 },
            title: { display: true, text: kind === 'breach' ? 'Breached findings carrying the mode' : 'No-ack findings carrying the mode' } },
          y: { stacked: true, grid: { display: false }, ticks: { font: { size: 13 } } }
        }
      }
    });
  }

  function renderStages(rows) {
    var card = $('stages-card');
    var table = $('stages-table');
    if (!rows) return setCardMessage(card, 'Not available right now (see the error above).');
    if (!rows.length) return setCardMessage(card, NO_FINDINGS);
    var present = [];
    rows.forEach(function (r) {
      (Array.isArray(r.stages) ? r.stages : []).forEach(function (s) {
        if (s && s.stage && present.indexOf(s.stage) < 0) present.push(s.stage);
      });
    });
    // CAPTURE is t0: it has no duration of its own unless the API says otherwise.
    present = present.filter(function (s) {
      return s !== 'CAPTURE' || rows.some(function (r) {
        return (r.stages || []).some(function (x) { return x && x.stage === 'CAPTURE' && isNum(x.median_ms); });
      });
    });
    if (!present.length) return setCardMessage(card, 'No stage timings in this period');
    present.sort(function (a, b) {
      var ia = STAGES.indexOf(a), ib = STAGES.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
    });
    setCardMessage(card, null);
    clear(table);
    var head = el('tr', null, el('th', { scope: 'col', class: 'band-col' }, 'Severity'));
    present.forEach(function (s) {
      var l = STAGE_LABELS[s] || [s, ''];
      head.append(el('th', { scope: 'col', class: 'num' }, el('span', { class: 'stage-name' }, l[0]), el('span', { class: 'sub' }, l[1])));
    });
    table.append(el('thead', null, head));
    var tbody = el('tbody');
    rows.forEach(function (r) {
      var byStage = {};
      (Array.isArray(r.stages) ? r.stages : []).forEach(function (s) { if (s && s.stage) byStage[s.stage] = s; });
      var slowest = null, measured = 0;
      present.forEach(function (s) {
        var st = byStage[s];
        if (!st || !isNum(st.median_ms)) return;
        measured += 1;
        if (!slowest || st.median_ms > byStage[slowest].median_ms) slowest = s;
      });
      // only worth pointing at when there is something to compare
      if (measured < 2 || !(byStage[slowest].median_ms > 0)) slowest = null;
      var tr = el('tr', { 'data-band': r.band },
        el('th', { scope: 'row', class: 'band-cell' },
          el('span', { class: 'swatch', style: 'background:' + (BAND_COLORS[r.band] || '#999') }), BAND_LABELS[r.band] || r.band));
      present.forEach(function (s) {
        var st = byStage[s] || {};
        tr.append(el('td', {
          class: 'num' + (s === slowest ? ' slowest' : ''),
          'data-stage': s,
          'data-value': raw(st.median_ms),
          title: (STAGE_LABELS[s] || [s])[0] + ': ' + fmtCount(st.count) + ' findings, median ' + fmtDuration(st.median_ms)
            + ', p90 ' + fmtDuration(st.p90_ms)
        },
        el('span', { class: 'val' }, fmtDuration(st.median_ms)),
        el('span', { class: 'sub' }, isNum(st.p90_ms) ? 'p90 ' + fmtDuration(st.p90_ms) : '\u00a0')));
      });
      tbody.append(tr);
    });
    table.append(tbody);
  }

  function renderUnrouted(ts) {
    var card = $('unrouted-card');
    if (!ts) return setCardMessage(card, 'Not available right now (see the error above).');
    var points = (Array.isArray(ts.unrouted_depth) ? ts.unrouted_depth : [])
      .map(function (p) { return p ? { x: Date.parse(p.at), y: p.depth } : null; })
      .filter(function (p) { return p && isNum(p.x) && isNum(p.y); })
      .sort(function (a, b) { return a.x - b.x; });
    if (!points.length) return setCardMessage(card, 'No unrouted-queue history in this period');
    if (!chartsReady()) return chartUnavailable(card);
    setCardMessage(card, null);
    var z = ts.zone || zone;
    var span = points[points.length - 1].x - points[0].x;
    var many = points.length > 40;
    upsertChart('unrouted-chart', {
      type: 'line',
      data: {
        datasets: [{
          label: 'Unrouted findings',
          data: points,
          borderColor: '#b45309',
          backgroundColor: 'rgba(245, 158, 11, 0.18)',
          fill: 'origin',
          borderWidth: 2,
          pointRadius: many ? 0 : 2.5,
          pointHoverRadius: 4,
          tension: 0,
          stepped: false
        }]
      },
      options: {
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        plugins: {
          legend: { display: false },
          decimation: { enabled: points.length > 1000, algorithm: 'lttb', samples: 600 },
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? fmtDateTime(items[0].parsed.x, z) : ''; },
              label: function (ctx) { return fmtCount(ctx.parsed.y) + ' unrouted'; }
            }
          }
        },
        scales: {
          x: {
            type: 'linear',
            min: points[0].x,
            max: points[points.length - 1].x,
            ticks: {
              stepSize: timeStep(span),
              includeBounds: false,
              maxTicksLimit: 12,
              maxRotation: 0,
              callback: function (v) {
                return span > 2 * DAY ? fmtShortDate(v, z) : span > 10 * MINUTE ? fmtDateTime(v, z) : fmtClock(v, z);
              }
            },
            grid: { display: false }
          },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'Findings waiting for an owner' } }
        }
      }
    });
  }

  /** A whole number of hours or days between x-axis ticks, so that ticks fall on round times. */
  function timeStep(span) {
    var steps = [1000, 5000, 15000, 30000, MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR,
      12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 91 * DAY];
    for (var i = 0; i < steps.length; i++) if (span / steps[i] <= 10) return steps[i];
    return 182 * DAY;
  }

  function niceFloor(v) {
    var n = NICE_DURATIONS[0];
    NICE_DURATIONS.forEach(function (x) { if (x <= v) n = x; });
    return n;
  }

  function niceCeil(v) {
    for (var i = 0; i < NICE_DURATIONS.length; i++) if (NICE_DURATIONS[i] >= v) return NICE_DURATIONS[i];
    return v;
  }

  function renderCycle(rows) {
    var card = $('cycle-card');
    if (!rows) return setCardMessage(card, 'Not available right now (see the error above).');
    if (!rows.length) return setCardMessage(card, NO_FINDINGS);
    rows = rows.filter(function (r) {
      return SEGMENTS.some(function (s) { return r[s] && isNum(r[s].median_ms); });
    });
    var values = [];
    rows.forEach(function (r) {
      SEGMENTS.forEach(function (s) {
        var seg = r[s];
        if (seg && isNum(seg.median_ms) && seg.median_ms > 0) values.push(seg.median_ms);
        if (seg && isNum(seg.p90_ms) && seg.p90_ms > 0) values.push(seg.p90_ms);
      });
    });
    if (!values.length) return setCardMessage(card, 'No completed cycle segments in this period');
    if (!chartsReady()) return chartUnavailable(card);
    setCardMessage(card, null);
    // one step below the shortest bar, so that the shortest bar is still visible on the log scale
    var min = niceFloor(Math.min.apply(null, values) / 4);
    var max = niceCeil(Math.max.apply(null, values));
    if (max <= min) max = niceCeil(min * 2);
    var datasets = [];
    SEGMENTS.forEach(function (s) {
      ['median_ms', 'p90_ms'].forEach(function (q) {
        datasets.push({
          label: SEGMENT_LABELS[s] + (q === 'median_ms' ? ' median' : ' p90'),
          segment: s,
          quantile: q,
          data: rows.map(function (r) {
            var v = r[s] && isNum(r[s][q]) && r[s][q] > 0 ? r[s][q] : null;
            return v;
          }),
          counts: rows.map(function (r) { return r[s] && isNum(r[s].count) ? r[s].count : null; }),
          backgroundColor: q === 'median_ms' ? SEGMENT_COLORS[s] : alpha(SEGMENT_COLORS[s], 0.35),
          borderColor: SEGMENT_COLORS[s],
          borderWidth: q === 'median_ms' ? 0 : 1,
          maxBarThickness: 36,
          categoryPercentage: 0.86,
          barPercentage: 0.92
        });
      });
    });
    upsertChart('cycle-chart', {
      type: 'bar',
      data: { labels: rows.map(function (r) { return BAND_LABELS[r.band] || r.band; }), datasets: datasets },
      options: {
        plugins: {
          legend: {
            position: 'top',
            align: 'end',
            labels: {
              boxWidth: 14,
              boxHeight: 14,
              padding: 14,
              filter: function (item, data) { return data.datasets[item.datasetIndex].quantile === 'median_ms'; },
              generateLabels: function (chart) {
                var labels = window.Chart.defaults.plugins.legend.labels.generateLabels(chart);
                labels.forEach(function (l) { l.text = SEGMENT_LABELS[chart.data.datasets[l.datasetIndex].segment]; });
                return labels;
              }
            },
            onClick: function (e, item, legend) {
              var chart = legend.chart, seg = chart.data.datasets[item.datasetIndex].segment;
              chart.data.datasets.forEach(function (ds, i) {
                if (ds.segment === seg) chart.setDatasetVisibility(i, !chart.isDatasetVisible(i));
              });
              chart.update('none');
            }
          },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var ds = ctx.dataset, n = ds.counts[ctx.dataIndex];
                return ds.label + ': ' + fmtDuration(ctx.parsed.y) + (isNum(n) ? ' (' + fmtCount(n) + ' findings)' : '');
              }
            }
          }
        },
        scales: {
          x: { grid: { display: false }, ticks: { font: { size: 13, weight: 'bold' } } },
          y: {
            type: 'logarithmic',
            min: min,
            max: max,
            title: { display: true, text: 'Duration (log scale)' },
            afterBuildTicks: function (axis) {
              axis.ticks = NICE_DURATIONS.filter(function (v) { return v >= min && v <= max; }).map(function (v) { return { value: v }; });
            },
            ticks: { callback: function (v) { return fmtDuration(v); } }
          }
        }
      }
    });
  }

  // ------------------------------------------------------------------ wiring

  function configureCharts() {
    if (!chartsReady()) return;
    var d = window.Chart.defaults;
    d.animation = false;
    d.responsive = true;
    d.maintainAspectRatio = false;
    d.font.family = getComputedStyle(document.body).fontFamily;
    d.font.size = 13;
    d.color = '#334155';
    d.borderColor = '#e2e8f0';
    d.plugins.tooltip.titleFont = { size: 13, weight: 'bold' };
    d.plugins.tooltip.bodyFont = { size: 13 };
  }

  function wire() {
    $('filters').addEventListener('submit', function (e) {
      e.preventDefault();
      if (filter.period === 'custom') {
        filter.from = fromInput.value;
        filter.to = toInput.value;
      }
      load();
    });
    periodSel.addEventListener('change', function () {
      filter.period = periodSel.value;
      $('custom-dates').hidden = filter.period !== 'custom';
      if (filter.period === 'custom') {
        fromInput.focus();
        return;                                  // wait for Apply
      }
      load();
    });
    fromInput.addEventListener('change', function () { filter.from = fromInput.value; });
    toInput.addEventListener('change', function () { filter.to = toInput.value; });
    teamSel.addEventListener('change', function () {
      filter.team = teamSel.value;
      load();
    });
    $('dist-share').addEventListener('click', function () { setDistributionMode('share'); });
    $('dist-count').addEventListener('click', function () { setDistributionMode('count'); });
    document.addEventListener('visibilitychange', function () {
      // a tab coming back after a long sleep refreshes at once
      if (!document.hidden && document.body.getAttribute('data-state') !== 'loading') {
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(load, 500);
      }
    });
  }

  function setDistributionMode(mode) {
    distributionMode = mode;
    $('dist-share').classList.toggle('on', mode === 'share');
    $('dist-count').classList.toggle('on', mode === 'count');
    $('dist-share').setAttribute('aria-pressed', String(mode === 'share'));
    $('dist-count').setAttribute('aria-pressed', String(mode === 'count'));
    if (lastHandoff) renderDistribution(lastHandoff);
  }

  function start() {
    readUrl();
    syncControls();
    configureCharts();
    wire();
    load();
  }

  window.addEventListener('error', function (e) {
    // last resort: never leave a blank page without saying why
    var banner = $('error-banner');
    if (banner && banner.hidden) {
      clear(banner);
      banner.append(el('strong', null, 'The dashboard hit an error: '), String(e.message || e));
      banner.hidden = false;
    }
  });

  start();
}());
