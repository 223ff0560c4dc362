// Field work with no signal (离线采集): the health round and survey visits, on a staircase with no
// network. A form marked data-offline is sent by this script; a send that cannot reach the server
// is kept on the phone with its key and the phone's time, and sent again when the network returns:
// the server keeps each once however many times it arrives, and decides it as if sent at once.
//
// The queue belongs to the worker who signed in: it is stored under their id, so another person
// signed in on the same phone neither sends nor sees nor deletes it, and it is sent when its owner
// is back. A send the server refuses (a reading out of range, a household visited meanwhile by
// someone else) is never dropped: it waits under "needs attention" until the worker deals with it.
(function () {
  'use strict';
  var panel = document.getElementById('field-queue');
  if (!panel) return;
  var user = panel.dataset.user;
  var csrf = panel.dataset.csrf;
  var QUEUE = 'shouhu.field.queue.' + user;
  var ATTENTION = 'shouhu.field.attention.' + user;
  var waiting = document.getElementById('field-waiting');
  var attention = document.getElementById('field-attention');
  var sending = false;

  function load(name) {
    try { return JSON.parse(localStorage.getItem(name) || '[]'); } catch (e) { return []; }
  }
  function save(name, list) {
    if (list.length) localStorage.setItem(name, JSON.stringify(list)); else localStorage.removeItem(name);
  }
  function key() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
  }
  function count(q) {
    return q.reduce(function (n, e) { return n + (e.n || 1); }, 0);
  }
  function show() {
    var q = load(QUEUE), bad = load(ATTENTION);
    var n = count(q);
    waiting.hidden = n === 0;
    waiting.textContent = panel.dataset.waiting.replace('{n}', n);
    panel.hidden = n === 0 && bad.length === 0;
    attention.hidden = bad.length === 0;
    var list = attention.querySelector('ul');
    list.textContent = '';
    bad.forEach(function (e, i) {
      var li = document.createElement('li');
      li.className = 'row';
      var what = document.createElement('strong');
      what.textContent = e.label;
      var why = document.createElement('span');
      why.className = 'field-error';
      why.textContent = e.why;
      var when = document.createElement('span');
      when.className = 'muted';
      when.textContent = new Date(e.at).toLocaleString(document.documentElement.lang || undefined);
      var open = document.createElement('a');
      open.className = 'button';
      open.href = e.page;
      open.textContent = panel.dataset.reopen;
      var drop = document.createElement('button');
      drop.type = 'button';
      drop.textContent = panel.dataset.discard;
      drop.addEventListener('click', function () {
        var now = load(ATTENTION);
        now.splice(i, 1);
        save(ATTENTION, now);
        show();
      });
      li.append(what, why, when, open, drop);
      list.appendChild(li);
    });
  }

  // One send: 'sent' (with where the server sent the browser), 'offline' (keep it), or 'refused'
  // (with the server's words). The session's token is the current one: a send queued before the
  // worker signed in again carries their new session's.
  async function attempt(entry) {
    var body = new URLSearchParams(entry.body);
    body.set('csrf', csrf);
    var r;
    try {
      r = await fetch(entry.url, {
        method: 'POST', body: body, credentials: 'same-origin',
        headers: { 'content-type': 'application/x-www-form-urlencoded' }
      });
    } catch (e) {
      return { outcome: 'offline' };
    }
    if (r.status >= 500 || r.status === 408 || r.status === 429) return { outcome: 'offline' };
    // Signed out meanwhile: kept until the worker is back.
    if (r.redirected && /\/(login|password)$/.test(new URL(r.url).pathname)) return { outcome: 'offline' };
    if (r.ok) return { outcome: 'sent', to: r.url };
    var words = String(r.status);
    try {
      var doc = new DOMParser().parseFromString(await r.text(), 'text/html');
      var said = Array.prototype.map.call(doc.querySelectorAll('[role=alert], .field-error'),
        function (el) { return el.textContent.trim(); }).filter(Boolean);
      if (said.length) words = said.join('；');
    } catch (e) { /* the status alone */ }
    return { outcome: 'refused', why: words };
  }

  // Sends the queue in order; stops at the first that cannot get through.
  async function replay() {
    if (sending) return;
    sending = true;
    try {
      var q = load(QUEUE);
      while (q.length) {
        var a = await attempt(q[0]);
        if (a.outcome === 'offline') break;
        var done = q.shift();
        if (a.outcome === 'refused') {
          var bad = load(ATTENTION);
          done.why = a.why;
          bad.push(done);
          save(ATTENTION, bad);
        }
        save(QUEUE, q);
        show();
      }
    } finally {
      sending = false;
      show();
    }
  }

  function summary(form) {
    var filled = Array.prototype.filter.call(form.querySelectorAll('input[inputmode=decimal]'),
      function (i) { return i.value.trim() !== ''; });
    if (filled.length) {
      return {
        n: filled.length,
        label: form.dataset.offline + ' · ' + filled.map(function (i) {
          var l = form.querySelector('label[for="' + i.id + '"]');
          return (l ? l.textContent.trim() : '') + ' ' + i.value.trim();
        }).join('、')
      };
    }
    return { n: 1, label: form.dataset.offline + (form.dataset.label ? ' · ' + form.dataset.label : '') };
  }

  document.querySelectorAll('form[data-offline]').forEach(function (form) {
    form.addEventListener('submit', async function (e) {
      e.preventDefault();
      var data = new URLSearchParams(new FormData(form));
      var keyField = form.querySelector('input[name=key]');
      if (!data.get('key')) data.set('key', key());
      data.set('device_time', String(Math.floor(Date.now() / 1000)));
      var s = summary(form);
      var entry = { url: form.action, body: data.toString(), n: s.n, label: s.label,
        at: Date.now(), page: location.href };
      var a = load(QUEUE).length ? { outcome: 'offline' } : await attempt(entry);
      if (a.outcome === 'sent') { location.href = a.to; return; }
      if (a.outcome === 'refused') {
        // Sent and refused (nothing kept that was refused): the page shows why, as without script.
        form.submit();
        return;
      }
      var q = load(QUEUE);
      q.push(entry);
      save(QUEUE, q);
      // Ready for the next household: the form emptied and a new key for its next send; the people
      // just kept are marked so that nobody is taken twice from the same page.
      var kept = Array.prototype.filter.call(form.querySelectorAll('input[inputmode=decimal]'),
        function (i) { return i.value.trim() !== ''; });
      form.reset();
      kept.forEach(function (i) {
        i.disabled = true;
        i.placeholder = panel.dataset.kept;
        var row = i.closest('.reading');
        if (row) row.classList.add('queued');
      });
      if (keyField) keyField.value = key();
      var note = document.getElementById('field-saved');
      note.hidden = false;
      show();
      window.scrollTo(0, 0);
    });
  });

  show();
  window.addEventListener('online', replay);
  setInterval(replay, 3000);
  replay();
})();
