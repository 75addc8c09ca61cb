// The SPARQL editor: CodeMirror with SPARQL highlighting over textarea#query
// (the textarea stays the editor without JavaScript), Ctrl/Cmd+Enter to run,
// library examples loaded into the editor without leaving the page.
(function () {
  "use strict";
  var textarea = document.getElementById("query");
  if (!textarea) return;
  var form = textarea.form;
  var announce = document.getElementById("sparql-announce");
  var editor = null;

  function run() {
    if (editor) editor.save();
    var button = document.getElementById("run-query");
    if (form.requestSubmit) form.requestSubmit(button); else form.submit();
  }

  if (typeof CodeMirror !== "undefined") {
    var label = document.querySelector("label[for=query]");
    editor = CodeMirror.fromTextArea(textarea, {
      mode: "application/sparql-query",
      lineNumbers: true,
      indentUnit: 2,
      matchBrackets: true,
      viewportMargin: Infinity,
      screenReaderLabel: label ? label.textContent : "SPARQL query",
      extraKeys: {
        "Ctrl-Enter": run,
        "Cmd-Enter": run,
        // Let Tab and Shift-Tab move the focus, so the editor is no keyboard trap.
        "Tab": false,
        "Shift-Tab": false
      }
    });
    if (label) label.addEventListener("click", function () { editor.focus(); });
  } else {
    textarea.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); run(); }
    });
  }

  document.querySelectorAll("a.load-example").forEach(function (link) {
    link.addEventListener("click", function (ev) {
      var source = document.getElementById(link.dataset.example);
      if (!source) return;          // fall back to following the link
      ev.preventDefault();
      var text = source.textContent;
      if (editor) { editor.setValue(text); editor.focus(); editor.setCursor(0, 0); }
      else { textarea.value = text; textarea.focus(); }
      form.scrollIntoView({ block: "start" });
      if (announce) announce.textContent = (link.textContent || "").trim();
    });
  });
})();
