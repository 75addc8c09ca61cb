// Copy buttons for permalinks (progressive: the field stays selectable without JS).
(function () {
  document.querySelectorAll("button.copy[data-copy]").forEach((button) => {
    const field = document.getElementById(button.dataset.copy);
    const status = button.parentElement.querySelector(".copied");
    if (!field || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(field.value);
        if (status) status.textContent = button.dataset.done || "Copied";
      } catch (e) {
        field.select();
      }
    });
  });
  document.querySelectorAll(".permalink input[readonly]").forEach((input) => {
    input.addEventListener("focus", () => input.select());
  });
})();
