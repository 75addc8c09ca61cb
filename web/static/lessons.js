// Reference pickers on the lesson form: choosing a suggestion from the
// autocomplete list appends it, one a line, to the field's text area.
(function () {
  document.querySelectorAll("input.picker").forEach(function (picker) {
    var target = document.getElementById(picker.dataset.target);
    var list = document.getElementById(picker.getAttribute("list"));
    if (!target || !list) return;
    picker.addEventListener("change", function () {
      var value = picker.value.trim();
      var known = Array.prototype.some.call(list.options, function (o) { return o.value === value; });
      if (!value || !known) return;
      var lines = target.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
      if (lines.indexOf(value) < 0) lines.push(value);
      target.value = lines.join("\n");
      picker.value = "";
    });
  });
})();
