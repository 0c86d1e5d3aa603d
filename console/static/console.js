// Roster console: the few things a page does in the browser. Every page
// works without this script; it only makes some of them quicker.
(function () {
  'use strict';

  // Roles: drag a role by its handle to a new place in the hierarchy. The
  // Up and Down buttons do the same from the keyboard or without script.
  var list = document.getElementById('role-list');
  var reorder = document.getElementById('reorder');
  if (list && reorder) {
    var dragging = null;
    list.addEventListener('pointerdown', function (e) {
      var handle = e.target.closest('.handle');
      if (!handle) return;
      dragging = handle.closest('tr');
      dragging.classList.add('dragging');
      list.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    list.addEventListener('pointermove', function (e) {
      if (!dragging) return;
      var over = document.elementFromPoint(e.clientX, e.clientY);
      var row = over && over.closest('#role-list tr');
      if (!row || row === dragging) return;
      var box = row.getBoundingClientRect();
      if (row.dataset.builtin === 'everyone' || e.clientY < box.top + box.height / 2) {
        list.insertBefore(dragging, row);
      } else {
        list.insertBefore(dragging, row.nextSibling);
      }
    });
    list.addEventListener('pointerup', function () {
      if (!dragging) return;
      dragging.classList.remove('dragging');
      dragging = null;
      var ids = [];
      list.querySelectorAll('tr[data-role-id]').forEach(function (tr) {
        if (tr.dataset.builtin !== 'everyone') ids.push(tr.dataset.roleId);
      });
      ids.reverse(); // the list is top first; an order is bottom to top
      var field = reorder.querySelector('input[name=order]');
      if (ids.join(',') === field.dataset.order) return;
      field.value = ids.join(',');
      reorder.submit();
    });
  }

  // Members: select every member shown.
  var all = document.getElementById('select-all');
  if (all) {
    all.addEventListener('change', function () {
      document.querySelectorAll('#batch input[name=user]').forEach(function (box) { box.checked = all.checked; });
    });
  }

  // Expiry fields are in the browser's local time: tell the server its offset.
  document.querySelectorAll('input.tz').forEach(function (tz) {
    tz.value = String(new Date().getTimezoneOffset());
  });

  // Members: a batch goes in parts of ten, with its progress shown; the
  // page then reloads and tells what the whole batch did.
  var batch = document.getElementById('batch');
  if (batch && window.fetch) {
    batch.addEventListener('submit', function (e) {
      var users = Array.prototype.map.call(batch.querySelectorAll('input[name=user]:checked'), function (b) { return b.value; });
      if (users.length === 0) { e.preventDefault(); say('Select the members first.'); return; }
      e.preventDefault();
      var action = (e.submitter && e.submitter.value) || 'add';
      var bar = document.getElementById('batch-progress');
      bar.hidden = false; bar.max = users.length; bar.value = 0;
      var buttons = batch.querySelectorAll('button');
      buttons.forEach(function (b) { b.disabled = true; });
      var part = function (i) {
        if (i >= users.length) { window.location.reload(); return; }
        var body = new URLSearchParams();
        body.set('csrf', batch.elements.csrf.value);
        body.set('role', batch.elements.role.value);
        body.set('action', action);
        users.slice(i, i + 10).forEach(function (u) { body.append('user', u); });
        fetch(batch.getAttribute('action'), { method: 'POST', body: body, credentials: 'same-origin', headers: { 'Roster-Batch-Part': '1' } }).then(function (resp) {
          return resp.text().then(function (html) {
            if (resp.redirected) throw new Error('your session has ended: sign in again');
            if (!resp.ok) {
              var err = new DOMParser().parseFromString(html, 'text/html').querySelector('.error');
              throw new Error(err ? err.textContent : 'the server answered ' + resp.status);
            }
            bar.value = Math.min(i + 10, users.length);
            say(bar.value + ' of ' + users.length + ' members done');
            part(i + 10);
          });
        }).catch(function (err) {
          say('Stopped after ' + bar.value + ' of ' + users.length + ' members: ' + err.message);
          buttons.forEach(function (b) { b.disabled = false; });
        });
      };
      part(0);
    });
  }
  function say(text) { var s = document.getElementById('batch-status'); if (s) s.textContent = text; }

  // Audit: the first page takes new changes as they happen, from the
  // change stream (each request waits for the next ones).
  var audit = document.querySelector('table.audit[data-live]');
  if (audit && window.fetch) {
    var after = audit.dataset.after;
    var status = document.getElementById('live-status');
    var follow = function () {
      var asked = Date.now();
      fetch(audit.dataset.live + '&after=' + encodeURIComponent(after), { credentials: 'same-origin' }).then(function (resp) {
        if (resp.redirected || !resp.ok) throw new Error('the server answered ' + resp.status);
        return resp.text();
      }).then(function (html) {
        var rows = new DOMParser().parseFromString('<table>' + html + '</table>', 'text/html').querySelector('tbody');
        if (!rows) throw new Error('the answer held no rows');
        after = rows.dataset.next;
        var body = audit.tBodies[0];
        Array.prototype.slice.call(rows.rows).reverse().forEach(function (tr) {
          tr.classList.add('new');
          body.insertBefore(document.importNode(tr, true), body.firstChild);
        });
        // A server without a change feed answers at once: ask again soon.
        setTimeout(follow, Date.now() - asked < 1000 ? 2000 : 0);
      }).catch(function (err) {
        if (status) status.textContent = '(live updates paused: ' + err.message + '; retrying)';
        setTimeout(follow, 5000);
      });
    };
    follow();
  }
})();
