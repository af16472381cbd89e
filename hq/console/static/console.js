// 总览 refreshes itself: every 10 s it asks /admin/overview.json and updates the numbers and
// the kiosk list. No inline script: the page's CSP allows only this file.
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
  function update(o) {
    document.querySelectorAll('[data-k]').forEach(function (el) {
      var k = el.dataset.k;
      if (!(k in o) && k !== 'last_sync') return;
      el.textContent = el.dataset.time ? time(o[k]) : String(o[k]);
    });
    var tb = document.querySelector('#devices tbody');
    if (tb && o.devices && o.devices.length) {
      tb.textContent = '';
      o.devices.forEach(function (d) {
        var tr = document.createElement('tr');
        cell(tr, d.name, d.id);
        cell(tr, d.site_id);
        cell(tr, d.revoked ? root.dataset.revoked : root.dataset.inUse);
        cell(tr, time(d.last_seen));
        tb.appendChild(tr);
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
