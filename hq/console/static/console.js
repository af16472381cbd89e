// 总览 refreshes itself: every 10 s it asks /admin/overview.json and updates the numbers, the
// per-site rows, the kiosks that refused a dataset and the kiosk list. No inline script: the page's CSP allows only this file.
(function () {
  'use strict';
  var root = document.getElementById('overview');
  if (!root) return;
  var fmt = new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false
  });
  function time(s) {
    if (!s) return root.dataset.never;
    var d = new Date(s);
    return isNaN(d) ? s : fmt.format(d);
  }
  function cell(tr, text, code) {
    var td = document.createElement('td');
    td.textContent = text;
    if (code) {
      var c = document.createElement('code');
      c.textContent = code;
      td.appendChild(document.createTextNode(' '));
      td.appendChild(c);
    }
    tr.appendChild(td);
  }
  var refusals = {};
  document.querySelectorAll('#refusal-words li').forEach(function (li) { refusals[li.dataset.code] = li.textContent; });
  function known(n) { return n === null || n === undefined ? root.dataset.unknown : String(n); }
  function num(tr, text) { cell(tr, text); tr.lastChild.className = 'num'; }
  // fill replaces a table's rows with one per item (row fills a <tr>), or one row saying none.
  function fill(id, items, cols, none, row) {
    var tb = document.querySelector('#' + id + ' tbody');
    if (!tb || !items) return;
    tb.textContent = '';
    if (!items.length) {
      var tr = document.createElement('tr');
      cell(tr, none);
      tr.firstChild.colSpan = cols;
      tb.appendChild(tr);
      return;
    }
    items.forEach(function (x) {
      var tr = document.createElement('tr');
      row(tr, x);
      tb.appendChild(tr);
    });
  }
  function update(o) {
    document.querySelectorAll('[data-k]').forEach(function (el) {
      var k = el.dataset.k;
      if (!(k in o) && k !== 'last_sync') return;
      el.textContent = el.dataset.time ? time(o[k]) : String(o[k]);
    });
    fill('sites', o.sites, 9, root.dataset.noneSites, function (tr, s) {
      cell(tr, s.name, s.id);
      num(tr, s.kiosks_online + ' / ' + s.kiosks);
      cell(tr, time(s.last_sync));
      num(tr, known(s.pending));
      num(tr, known(s.quarantined));
      num(tr, String(s.checks_today));
      num(tr, String(s.turned_back_today));
      num(tr, String(s.review_today));
      num(tr, String(s.fevers_today));
    });
    var devs = o.devices || [];
    fill('refused', devs.filter(function (d) { return !d.revoked && d.refused > 0; }), 5, root.dataset.noneRefused, function (tr, d) {
      cell(tr, d.name, d.id);
      cell(tr, d.site_id);
      num(tr, String(d.refused));
      cell(tr, refusals[d.refusal] || refusals['']);
      cell(tr, time(d.last_seen));
    });
    if (devs.length) {
      fill('devices', devs, 7, '', function (tr, d) {
        cell(tr, d.name, d.id);
        cell(tr, d.site_id);
        cell(tr, d.revoked ? root.dataset.revoked : root.dataset.inUse);
        cell(tr, d.online ? root.dataset.up : root.dataset.down);
        cell(tr, time(d.last_seen));
        num(tr, known(d.pending));
        cell(tr, d.version || root.dataset.unknown);
      });
    }
  }
  var err = document.getElementById('poll-err');
  function poll() {
    fetch('/admin/overview.json', { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
      if (r.status === 401) { location.reload(); return null; }
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (o) {
      if (!o) return;
      update(o);
      err.hidden = true;
      root.dataset.polled = String((Number(root.dataset.polled) || 0) + 1);
    }).catch(function () { err.hidden = false; });
  }
  setInterval(poll, 10000);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) poll(); });
})();
