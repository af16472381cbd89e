// 吉事办 pages: form steps, prompts next to their fields, the SMS countdown, the demo outbox,
// and the live 吉祥码. No framework, no inline script: the CSP allows only this file.
'use strict';
(function () {
  var body = document.body;
  var lang = body.dataset.lang || 'zh';

  // A message from the API is "中文 / English": show the half of the page's language.
  function pick(msg) {
    if (!msg) return '';
    var i = msg.indexOf(' / ');
    if (i < 0) return msg;
    return lang === 'en' ? msg.slice(i + 3) : msg.slice(0, i);
  }

  function api(method, path, data) {
    var opt = { method: method, credentials: 'same-origin', cache: 'no-store', headers: {} };
    if (data !== undefined) {
      opt.headers['Content-Type'] = 'application/json';
      opt.body = JSON.stringify(data);
    }
    return fetch(path, opt).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) {
        return { status: r.status, ok: r.ok, body: b, retry: parseInt(r.headers.get('Retry-After') || '0', 10) };
      });
    });
  }

  function errEl(form, field) {
    return form.querySelector('#' + (field || 'form') + '-err') || form.querySelector('#form-err');
  }
  function showErr(form, field, text) {
    var el = errEl(form, field);
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    var input = form.querySelector('#' + field);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  }
  function clearErrs(form) {
    form.querySelectorAll('.err').forEach(function (e) { e.hidden = true; e.textContent = ''; });
    form.querySelectorAll('[aria-invalid]').forEach(function (e) { e.removeAttribute('aria-invalid'); });
  }
  // check returns false (and shows the prompt) at the first empty or wrong field of scope.
  function check(form, scope) {
    var inputs = scope.querySelectorAll('input');
    for (var i = 0; i < inputs.length; i++) {
      var el = inputs[i];
      var v = el.value.trim();
      if (v === '') { showErr(form, el.id, el.dataset.empty); return false; }
      if (el.dataset.pattern && !new RegExp(el.dataset.pattern).test(v)) { showErr(form, el.id, el.dataset.bad); return false; }
      if (el.dataset.sameAs && form.querySelector('#' + el.dataset.sameAs).value !== el.value) {
        showErr(form, el.id, el.dataset.mismatch); return false;
      }
    }
    return true;
  }
  function val(form, id) {
    var el = form.querySelector('#' + id);
    return el ? el.value.trim() : '';
  }
  function networkErr(form) { showErr(form, '', body.dataset.errNetwork); }
  function busy(btn, on) { if (btn) btn.disabled = on; }

  // The 获取验证码 button: send, then count down retry_after_s.
  function smsButton(form) {
    var btn = form.querySelector('.sms-btn');
    if (!btn) return;
    var timer = null;
    function countdown(s) {
      clearInterval(timer);
      btn.disabled = true;
      var tick = function () {
        if (s <= 0) { clearInterval(timer); btn.disabled = false; btn.textContent = btn.dataset.label; return; }
        btn.textContent = btn.dataset.wait.replace('{n}', s);
        s--;
      };
      tick();
      timer = setInterval(tick, 1000);
    }
    btn.addEventListener('click', function () {
      clearErrs(form);
      var phone = form.querySelector('#phone');
      if (!check(form, phone.closest('.field'))) return;
      btn.disabled = true;
      api('POST', '/api/v1/citizen/sms', { phone: val(form, 'phone'), purpose: form.dataset.purpose }).then(function (r) {
        if (r.status === 202) {
          form.querySelector('.sms-sent').hidden = false;
          countdown(r.body.retry_after_s || 60);
          form.querySelector('#sms_code').focus();
          return;
        }
        showErr(form, r.body.field || 'phone', pick(r.body.message));
        if (r.status === 429) countdown(r.body.retry_after_s || r.retry || 60);
        else btn.disabled = false;
      }, function () { btn.disabled = false; showErr(form, 'phone', body.dataset.errNetwork); });
    });
  }

  // The demo outbox for the typed phone (demo mode only).
  function demoSMS(form) {
    var link = form.querySelector('.demo-sms');
    if (!link) return;
    var out = form.querySelector('.demo-out');
    link.addEventListener('click', function () {
      out.textContent = '';
      out.hidden = false;
      var phone = val(form, 'phone');
      if (!phone) { out.appendChild(li(link.dataset.phoneFirst)); return; }
      api('GET', '/api/v1/dev/sms?phone=' + encodeURIComponent(phone)).then(function (r) {
        var msgs = (r.body && r.body.messages) || [];
        if (!r.ok) { out.appendChild(li(pick(r.body.message))); return; }
        if (msgs.length === 0) { out.appendChild(li(link.dataset.none)); return; }
        msgs.slice().reverse().forEach(function (m) {
          var item = li(m.text);
          item.dataset.code = m.code;
          out.appendChild(item);
        });
      });
    });
    function li(text) { var e = document.createElement('li'); e.textContent = text; return e; }
  }

  function loginPage() {
    var form = document.getElementById('login-form');
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      clearErrs(form);
      if (!check(form, form)) return;
      var btn = form.querySelector('[type=submit]');
      busy(btn, true);
      api('POST', '/api/v1/citizen/login', { phone: val(form, 'phone'), password: form.querySelector('#password').value }).then(function (r) {
        busy(btn, false);
        if (r.ok) { location.assign(form.dataset.next || '/'); return; }
        showErr(form, r.body.field || '', pick(r.body.message));
      }, function () { busy(btn, false); networkErr(form); });
    });
  }

  function registerPage() {
    var form = document.getElementById('register-form');
    var steps = form.querySelectorAll('.step');
    var dots = document.querySelectorAll('.steps li');
    var at = 1;
    function go(n) {
      at = n;
      steps.forEach(function (s) { s.hidden = s.dataset.step !== String(n); });
      dots.forEach(function (d) { d.classList.toggle('on', Number(d.dataset.dot) <= n); });
      var first = form.querySelector('.step[data-step="' + n + '"] input');
      if (first && !first.value) first.focus();
    }
    var stepOf = { phone: 1, sms_code: 1, password: 2, password2: 2, name: 3, id_number: 3 };
    form.querySelectorAll('.next').forEach(function (b) {
      b.addEventListener('click', function () {
        clearErrs(form);
        if (check(form, form.querySelector('.step[data-step="' + at + '"]'))) go(at + 1);
      });
    });
    form.querySelectorAll('.back').forEach(function (b) {
      b.addEventListener('click', function () { clearErrs(form); go(at - 1); });
    });
    form.addEventListener('keydown', function (ev) {
      // Enter in steps 1 and 2 means 下一步, not submitting the whole form.
      if (ev.key === 'Enter' && at < 3 && ev.target.tagName === 'INPUT') {
        ev.preventDefault();
        form.querySelector('.step[data-step="' + at + '"] .next').click();
      }
    });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      clearErrs(form);
      if (at !== 3) return;
      if (!check(form, form.querySelector('.step[data-step="3"]'))) return;
      var btn = form.querySelector('[type=submit]');
      busy(btn, true);
      api('POST', '/api/v1/citizen/register', {
        phone: val(form, 'phone'), sms_code: val(form, 'sms_code'), password: form.querySelector('#password').value,
        name: val(form, 'name'), id_number: val(form, 'id_number').toUpperCase()
      }).then(function (r) {
        busy(btn, false);
        if (r.ok) { location.assign('/?done=registered'); return; }
        var f = r.body.field || '';
        if (stepOf[f]) go(stepOf[f]);
        showErr(form, f, pick(r.body.message));
      }, function () { busy(btn, false); networkErr(form); });
    });
    smsButton(form);
    demoSMS(form);
  }

  function resetPage() {
    var form = document.getElementById('reset-form');
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      clearErrs(form);
      if (!check(form, form)) return;
      var btn = form.querySelector('[type=submit]');
      busy(btn, true);
      api('POST', '/api/v1/citizen/reset', { phone: val(form, 'phone'), sms_code: val(form, 'sms_code'), password: form.querySelector('#password').value }).then(function (r) {
        busy(btn, false);
        if (r.ok) { location.assign('/login?done=reset'); return; }
        showErr(form, r.body.field || '', pick(r.body.message));
      }, function () { busy(btn, false); networkErr(form); });
    });
    smsButton(form);
    demoSMS(form);
  }

  function mePage() {
    var btn = document.getElementById('logout');
    if (!btn) return;
    btn.addEventListener('click', function () {
      busy(btn, true);
      api('POST', '/api/v1/citizen/logout', {}).then(function () { location.assign('/?done=logout'); },
        function () { busy(btn, false); var e = document.getElementById('form-err'); e.textContent = body.dataset.errNetwork; e.hidden = false; });
    });
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function hms(d) { return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }

  // The live code: fetched at once, again at 2/3 of its lifetime, when the page is shown again
  // and when the network comes back. A code past its expiry, or a session gone, greys out.
  function codePage() {
    var page = document.getElementById('code-page');
    var qr = document.getElementById('qr');
    var overlay = document.getElementById('qr-overlay');
    var warn = document.getElementById('warn');
    var timer = null, validUntil = 0, modules = 0, loading = false, lastFetch = 0;

    // The border's colour changes every day: a hue from the local date, far from yesterday's.
    var now = new Date();
    var day = Math.floor(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) / 86400000);
    document.documentElement.style.setProperty('--day-hue', String((day * 137) % 360));

    function grey(msg, relogin) {
      page.classList.add('stale');
      overlay.hidden = false;
      document.getElementById('qr-msg').textContent = msg;
      document.getElementById('relogin').hidden = !relogin;
    }
    function ungrey() {
      page.classList.remove('stale');
      overlay.hidden = true;
      warn.hidden = true;
    }
    // Size the QR to a whole number of device pixels per module: sharp at any pixel ratio.
    function sizeQR() {
      if (!modules) return;
      var dpr = window.devicePixelRatio || 1;
      var box = qr.parentElement.clientWidth || 260;
      var per = Math.max(1, Math.floor(box * dpr / modules));
      qr.style.width = (per * modules / dpr) + 'px';
      qr.style.height = qr.style.width;
    }
    function render(c) {
      var word = page.dataset[c.status] || c.status;
      page.dataset.status = c.status;
      document.getElementById('status-text').textContent = word;
      qr.alt = word;
      modules = c.qr_modules;
      qr.src = c.qr_png;
      qr.hidden = false;
      document.getElementById('qr-wait').hidden = true;
      sizeQR();
      document.getElementById('who-name').textContent = c.name_masked;
      document.getElementById('who-id').textContent = c.id_masked;
      document.getElementById('who-household').textContent = c.household_name || c.household || '—';
      var reason = document.getElementById('reason');
      reason.textContent = c.reason || '';
      reason.hidden = !c.reason;
      document.getElementById('updated').textContent = hms(new Date());
    }
    function schedule(ms) {
      clearTimeout(timer);
      timer = setTimeout(load, ms);
    }
    function load() {
      if (loading) return;
      loading = true;
      lastFetch = Date.now();
      api('GET', '/api/v1/citizen/code').then(function (r) {
        loading = false;
        if (r.status === 401) { clearTimeout(timer); validUntil = 0; grey(page.dataset.relogin, true); return; }
        if (!r.ok) { failed(page.dataset.failed); return; }
        var c = r.body;
        // Lifetime by HQ's clock, so a phone with a wrong clock still refreshes in time.
        var life = Date.parse(c.expires_at) - Date.parse(c.server_time);
        validUntil = Date.now() + life;
        ungrey();
        render(c);
        schedule(Math.max(5000, life * 2 / 3));
      }, function () { loading = false; failed(page.dataset.offline); });
    }
    function failed(msg) {
      if (Date.now() >= validUntil) grey(validUntil ? page.dataset.expired : msg, false);
      else { warn.textContent = msg; warn.hidden = false; }
      schedule(5000);
    }
    function tick() {
      var d = new Date();
      document.getElementById('clock').textContent = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + hms(d);
      if (validUntil && d.getTime() >= validUntil && !page.classList.contains('stale')) {
        grey(page.dataset.expired, false);
        load();
      }
      setTimeout(tick, 1000 - d.getMilliseconds());
    }
    tick();
    load();
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible' && Date.now() - lastFetch > 2000) load();
    });
    window.addEventListener('online', load);
    window.addEventListener('resize', sizeQR);
    document.getElementById('refresh').addEventListener('click', load);
  }

  var pages = { login: loginPage, register: registerPage, reset: resetPage, me: mePage, code: codePage };
  if (pages[body.dataset.page]) pages[body.dataset.page]();
})();
