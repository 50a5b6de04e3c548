// Results follow the search box as you type (the page works without this script too).
(function () {
  const form = document.getElementById("search");
  const results = document.getElementById("results");
  if (!form || !results) return;
  let timer = null;
  let latest = 0;
  function update() {
    const params = new URLSearchParams(new FormData(form));
    const ticket = ++latest;
    fetch("/results?" + params.toString())
      .then((response) => response.text())
      .then((html) => {
        if (ticket !== latest) return; // an older request answered late
        results.innerHTML = html;
        history.replaceState(null, "", "/?" + params.toString());
      });
  }
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(update, 150);
  });
  form.addEventListener("change", update);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    update();
  });
})();
