// The guard's page: scan by camera (BarcodeDetector), by a USB/Bluetooth scanner that types the code
// and Enter, or by hand. A scan that cannot reach the server waits in this browser's queue with its
// idempotency key and is sent again when the network returns: the server logs it once however many
// times it arrives. The queue holds only what the scans sent (codes, temperatures, plates) and is
// cleared at sign-out (here, and by the server's Clear-Site-Data).
(function () {
  'use strict';
  var form = document.getElementById('scan-form');
  var QUEUE = 'shouhu.gate.queue';
  var logout = document.querySelector('form[action="/logout"]');
  if (logout) {
    logout.addEventListener('submit', function () { localStorage.removeItem(QUEUE); });
  }
  if (!form) return;
  var csrf = form.dataset.csrf;
  var words = JSON.parse(form.dataset.words || '{}');
  var $ = function (id) { return document.getElementById(id); };
  var code = $('code'), temperature = $('temperature'), plate = $('plate'), vehicle = $('vehicle');
  var answer = $('answer'), queueNote = $('queue');
  var sending = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(QUEUE) || '[]'); } catch (e) { return []; }
  }
  function store(q) {
    if (q.length) localStorage.setItem(QUEUE, JSON.stringify(q)); else localStorage.removeItem(QUEUE);
    queueNote.hidden = q.length === 0;
    queueNote.textContent = (words.pending || '') + ' ' + q.length;
  }
  function key() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
  }
  answer.addEventListener('click', function () { answer.hidden = true; });
  function show(kind, word, reason, who) {
    answer.hidden = false;
    answer.className = 'answer ' + kind;
    $('answer-word').textContent = word;
    $('answer-reason').textContent = reason || '';
    $('answer-who').textContent = who || '';
    if (navigator.vibrate && kind === 'deny') navigator.vibrate([200, 100, 200]);
  }
  function send(body) {
    return fetch('/api/v1/gate/scans', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body)
    });
  }
  function place(j) {
    return [j.name, j.building, j.room].filter(Boolean).join(' · ');
  }
  // Sends the queue in order; stops at the first that cannot get through.
  async function replay() {
    if (sending) return;
    sending = true;
    try {
      var q = load();
      while (q.length) {
        var r;
        try { r = await send(q[0]); } catch (e) { break; }
        if (r.status === 401) { location.href = '/login'; break; }
        if (r.status >= 500) break;
        q.shift();
        store(q);
      }
      store(q);
    } finally {
      sending = false;
    }
  }
  async function scan() {
    var value = code.value.trim();
    if (!value) { code.focus(); return; }
    var body = {
      gate_id: Number($('gate').value),
      code: value,
      direction: form.querySelector('input[name=direction]:checked').value,
      temperature: temperature.value.trim() ? Number(temperature.value.trim()) : null,
      plate: vehicle.checked && plate.value.trim() ? plate.value.trim() : null,
      idempotency_key: key()
    };
    code.value = '';
    code.focus();
    var r;
    try {
      r = await send(body);
    } catch (e) {
      var q = load();
      q.push(body);
      store(q);
      show('queued', words.offline, words.queued, value.length > 4 ? '…' + value.slice(-4) : '');
      return;
    }
    if (r.status === 401) { location.href = '/login'; return; }
    var j = {};
    try { j = await r.json(); } catch (e) { j = {}; }
    if (r.ok) {
      temperature.value = '';
      var allow = j.decision === 'allow';
      show(allow ? 'allow' : 'deny', allow ? words.allow : words.deny,
        j.reason ? (words[j.reason] || j.reason) : '', place(j));
    } else if (r.status >= 500) {
      var q2 = load();
      q2.push(body);
      store(q2);
      show('queued', words.error, words.queued, '');
    } else {
      show('deny', words.error, explain(j, r.status), '');
    }
  }
  form.addEventListener('submit', function (e) { e.preventDefault(); scan(); });
  vehicle.addEventListener('change', function () {
    document.querySelectorAll('.vehicle-only').forEach(function (el) { el.hidden = !vehicle.checked; });
  });

  // The camera, where the browser can read QR codes itself.
  var camera = $('camera');
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices) {
    camera.disabled = true;
    camera.textContent = words.no_camera;
  } else {
    camera.addEventListener('click', async function () {
      var video = $('preview');
      var stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      } catch (e) { show('deny', words.no_camera, '', ''); return; }
      var detector = new window.BarcodeDetector({ formats: ['qr_code'] });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
      var started = Date.now();
      (async function look() {
        if (Date.now() - started > 30000) { stop(); return; }
        try {
          var found = await detector.detect(video);
          if (found.length) { stop(); code.value = found[0].rawValue; scan(); return; }
        } catch (e) { stop(); return; }
        requestAnimationFrame(look);
      })();
    });
  }

  // A refusal in words: each field at fault by its label on the page, and what is wrong with it.
  var FIELDS = { name: 'v-name', phone: 'v-phone', host_building: 'v-building', host_unit: 'v-unit',
    host_room: 'v-room', host_household_id: 'v-building', purpose: 'v-purpose', plate: 'v-plate',
    code: 'code', temperature: 'temperature' };
  var explain = function (j, status) {
    var faults = (j && j.errors && j.errors.length) ? j.errors : (j && j.error ? [{ field: j.field, code: j.error }] : []);
    if (!faults.length) return String(status);
    return faults.map(function (f) {
      var said = words['invalid.' + f.code] || words['invalid.other'];
      var label = FIELDS[f.field] ? document.querySelector('label[for="' + FIELDS[f.field] + '"]') : null;
      return (label ? label.textContent.trim() + '：' : '') + said;
    }).join('；');
  };

  // Visitors: registered here, answered with a one-day code.
  var vform = $('visitor-form');
  if (vform) {
    vform.addEventListener('submit', async function (e) {
      e.preventDefault();
      var val = function (id) { var v = $(id).value.trim(); return v ? v : null; };
      var note = $('visitor-answer');
      note.hidden = false;
      try {
        var r = await fetch('/api/v1/gate/visitors', {
          method: 'POST', credentials: 'same-origin',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: JSON.stringify({
            gate_id: Number($('gate').value), name: val('v-name') || '', phone: val('v-phone') || '',
            host_building: val('v-building'), host_unit: val('v-unit'), host_room: val('v-room'),
            purpose: val('v-purpose') || '', plate: val('v-plate')
          })
        });
        var j = await r.json();
        note.className = r.ok ? 'notice good' : 'notice bad';
        note.textContent = r.ok ? j.code + ' (' + j.valid_on + ')' : explain(j, r.status);
        if (r.ok) vform.reset();
      } catch (err) {
        note.className = 'notice bad';
        note.textContent = words.offline;
      }
    });
  }

  store(load());
  window.addEventListener('online', replay);
  setInterval(replay, 3000);
  replay();
})();
