// Autocomplete for the search box: keyboard-operable, announced as a listbox.
(function () {
  const input = document.getElementById("q");
  const list = document.getElementById("suggestions");
  if (!input || !list) return;
  let items = [], active = -1, timer = null;
  function render() {
    list.innerHTML = "";
    items.forEach((item, i) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = "suggestion-" + i;
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      li.textContent = item.label;
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = item.kind || "";
      li.appendChild(kind);
      li.addEventListener("mousedown", () => { window.location = item.url; });
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-activedescendant", active >= 0 ? "suggestion-" + active : "");
  }
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 1) { items = []; render(); return; }
    timer = setTimeout(async () => {
      const r = await fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q));
      items = r.ok ? await r.json() : [];
      active = -1; render();
    }, 120);
  });
  input.addEventListener("keydown", (e) => {
    if (list.hidden) return;
    if (e.key === "ArrowDown") { active = Math.min(items.length - 1, active + 1); render(); e.preventDefault(); }
    else if (e.key === "ArrowUp") { active = Math.max(-1, active - 1); render(); e.preventDefault(); }
    else if (e.key === "Enter" && active >= 0) { window.location = items[active].url; e.preventDefault(); }
    else if (e.key === "Escape") { items = []; render(); }
  });
  input.addEventListener("blur", () => setTimeout(() => { items = []; render(); }, 150));
})();
