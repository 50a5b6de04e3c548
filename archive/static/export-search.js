// Filters and ranks the posts listed in index.html as you type,
// over window.SEARCH_INDEX (search-index.js).
// Works from file:// (no fetch); without this script the page still lists every post.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("posts");
  var count = document.getElementById("count");
  var index = window.SEARCH_INDEX;
  if (!input || !list || !count || !Array.isArray(index)) return;

  function fold(text) {
    return String(text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }
  function words(text) {
    return fold(text).match(/[\p{L}\p{N}]+/gu) || [];
  }
  function padded(list) {
    return " " + list.join(" ") + " ";
  }

  var posts = index.map(function (entry, order) {
    return {
      order: order,
      item: document.getElementById("p-" + entry.s),
      title: padded(words(entry.t)),
      titleText: fold(entry.t),
      author: padded(words(entry.a)),
      tags: padded(words((entry.g || []).join(" "))),
      date: entry.d || "",
      body: " " + (entry.w || "") + " "
    };
  }).filter(function (post) { return post.item; });

  // Whole word beats a word that only starts with the term (the last word is often half typed).
  function field(text, term, whole, prefix) {
    if (text.indexOf(" " + term + " ") >= 0) return whole;
    if (text.indexOf(" " + term) >= 0) return prefix;
    return 0;
  }
  function score(post, query, terms, dates) {
    var total = 0;
    for (var i = 0; i < dates.length; i++) {
      if (post.date.indexOf(dates[i]) !== 0) return 0;
      total += 4;
    }
    for (var j = 0; j < terms.length; j++) {
      var t = terms[j];
      var s = field(post.title, t, 12, 8) + field(post.tags, t, 6, 4) + field(post.author, t, 5, 3) +
        field(post.body, t, 2, 1);
      if (!s) return 0;  // every word must be found somewhere
      total += s;
    }
    if (query.length > 2 && post.titleText.indexOf(query) >= 0) total += 10;
    return total;
  }

  var total = posts.length;
  function plural(n) { return n + (n === 1 ? " post" : " posts"); }

  function update() {
    var raw = input.value.trim();
    var dates = [], terms = [];
    raw.split(/\s+/).forEach(function (part) {
      if (/^\d{4}(-\d{1,2}){0,2}$/.test(part)) dates.push(part);
      else terms = terms.concat(words(part));
    });
    var shown;
    if (!dates.length && !terms.length) {
      shown = posts;
      count.textContent = plural(total);
    } else {
      var query = fold(raw);
      shown = posts.map(function (post) {
        return { post: post, score: score(post, query, terms, dates) };
      }).filter(function (hit) { return hit.score > 0; }).sort(function (a, b) {
        return b.score - a.score || a.post.order - b.post.order;
      }).map(function (hit) { return hit.post; });
      count.textContent = shown.length ? plural(shown.length) + " of " + total : "No posts match.";
    }
    var fragment = document.createDocumentFragment();
    shown.forEach(function (post) { fragment.appendChild(post.item); });
    list.replaceChildren(fragment);
    var address = location.pathname + location.search + (raw ? "#q=" + encodeURIComponent(raw) : "");
    try { history.replaceState(null, "", address); } catch (e) { /* some browsers refuse on file:// */ }
  }

  function fromAddress() {
    var match = /^#q=(.*)$/.exec(location.hash);
    if (match) {
      try { input.value = decodeURIComponent(match[1]); } catch (e) { input.value = match[1]; }
    }
    update();
  }

  input.addEventListener("input", update);
  input.form.addEventListener("submit", function (event) {
    event.preventDefault();
    update();
  });
  window.addEventListener("hashchange", fromAddress);
  fromAddress();
})();
