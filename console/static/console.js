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
})();
