// Document page: selecting words inside one passage opens the "add link" form
// with the passage IRI and the character offsets of the selection in the
// passage's text (the text as stored, whatever highlights wrap it).
(function () {
  var form = document.getElementById("add-link");
  if (!form) return;
  function offsetIn(p, node, offset) {
    var range = document.createRange();
    range.setStart(p, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }
  document.addEventListener("mouseup", function () {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || sel.rangeCount === 0) return;
    var range = sel.getRangeAt(0);
    var p = range.commonAncestorContainer;
    while (p && !(p.nodeType === 1 && p.dataset && p.dataset.passage)) p = p.parentNode;
    if (!p) return;
    var start = offsetIn(p, range.startContainer, range.startOffset);
    var end = offsetIn(p, range.endContainer, range.endOffset);
    var text = p.textContent;
    while (start < end && /\s/.test(text[start])) start++;
    while (end > start && /\s/.test(text[end - 1])) end--;
    if (end <= start) return;
    form.elements.passage.value = p.dataset.passage;
    form.elements.start.value = start;
    form.elements.end.value = end;
    form.querySelector("q.selected").textContent = text.slice(start, end);
    form.hidden = false;
    form.elements.concept.focus();
  });
})();
