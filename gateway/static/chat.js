// The chat widget: plain JavaScript, no library, text only (textContent, never innerHTML).
(function () {
  "use strict";
  var KEY = "healthaid.transcript";
  var MAX_ENTRIES = 200;
  var section = document.querySelector(".chat");
  if (!section) { return; }
  var log = document.getElementById("transcript");
  var form = document.getElementById("ask");
  var input = document.getElementById("message");
  var campaign = section.getAttribute("data-campaign") || null;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(entries) {
    try { localStorage.setItem(KEY, JSON.stringify(entries.slice(-MAX_ENTRIES))); } catch (e) { /* private mode */ }
  }
  var entries = load();

  function render(entry, live) {
    var bubble = document.createElement("div");
    bubble.className = "bubble " + entry.who;
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = entry.who === "me" ? "我：" : (entry.who === "cadre" ? "工作人员：" : "助手：");
    bubble.appendChild(who);
    var text = document.createElement("p");
    text.textContent = entry.text;
    bubble.appendChild(text);
    if (live && entry.buttons && entry.buttons.length) {
      var group = document.createElement("div");
      group.className = "choices";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "快捷回复");
      entry.buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.addEventListener("click", function () {
          group.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
          send(b.payload, b.title, false);
        });
        group.appendChild(button);
      });
      bubble.appendChild(group);
    }
    log.appendChild(bubble);
    bubble.scrollIntoView({block: "end"});
  }

  function add(entry) {
    entries.push(entry);
    save(entries);
    render(entry, true);
  }

  // The cadre's own message is shown and kept (localStorage, a possibly shared village
  // computer) with ID numbers masked, as every reply masks them; the full number goes only to
  // the gateway, which replaces it with a token before anything else sees it.
  function maskIds(text) {
    return text
      .replace(/(^|[^0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])/g, "$1$2********$3")
      .replace(/(^|[^0-9A-Za-z])(\d{6})\d{5}(\d{4})(?![0-9A-Za-z])/g, "$1$2*****$3");
  }

  function send(message, shown, start) {
    if (shown) { add({who: "me", text: maskIds(shown)}); }
    var headers = {"Content-Type": "application/json"};
    if (csrf) { headers["X-CSRF-Token"] = csrf; }
    return fetch("/api/chat", {
      method: "POST",
      headers: headers,
      credentials: "same-origin",
      body: JSON.stringify({message: message, campaign: campaign, start: start})
    }).then(function (response) {
      if (response.status === 403) { throw new Error("expired"); }
      if (!response.ok) { throw new Error("busy"); }
      return response.json();
    }).then(function (data) {
      data.replies.forEach(function (r) { add({who: "bot", text: r.text, buttons: r.buttons}); });
      if (data.handoff) { follow(data.handoff); }
    }).catch(function (error) {
      var text = error.message === "expired" ? "页面已过期，请刷新页面后再试。" : "系统繁忙，请稍后再试。";
      add({who: "bot", text: text, buttons: []});
    });
  }

  // While a person answers (转人工), their replies are fetched every few seconds; polling
  // stops when the handoff is closed (by the cadre or by 「结束人工」).
  var HANDOFF_KEY = "healthaid.handoff";
  var POLL_MS = 3000;
  var polling = null;
  function follow(state) {
    try { localStorage.setItem(HANDOFF_KEY, JSON.stringify(state)); } catch (e) { /* ignore */ }
    if (state.open && polling === null) {
      polling = window.setInterval(poll, POLL_MS);
    } else if (!state.open && polling !== null) {
      window.clearInterval(polling);
      polling = null;
    }
  }
  function poll() {
    var state = {};
    try { state = JSON.parse(localStorage.getItem(HANDOFF_KEY) || "{}"); } catch (e) { state = {}; }
    fetch("/api/chat/handoff?after=" + encodeURIComponent(state.after || 0), {credentials: "same-origin"})
      .then(function (response) { if (!response.ok) { throw new Error("busy"); } return response.json(); })
      .then(function (data) {
        data.messages.forEach(function (m) {
          add({who: m.by === "cadre" ? "cadre" : "bot", text: m.text, buttons: []});
        });
        follow({open: data.open, after: data.after});
      })
      .catch(function () { /* the next poll tries again */ });
  }

  entries.forEach(function (entry, index) { render(entry, index === entries.length - 1); });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var message = input.value.trim();
    if (!message) { return; }
    input.value = "";
    send(message, message, false);
  });

  // Signing out forgets the transcript on this device (it may hold a resident's details).
  document.querySelectorAll('form[action="/logout"]').forEach(function (f) {
    f.addEventListener("submit", function () {
      try { localStorage.removeItem(KEY); localStorage.removeItem(HANDOFF_KEY); } catch (e) { /* ignore */ }
    });
  });

  try {
    var saved = JSON.parse(localStorage.getItem(HANDOFF_KEY) || "{}");
    if (saved.open) { follow(saved); }
  } catch (e) { /* ignore */ }

  if (campaign) {
    var started = "healthaid.started." + campaign;
    if (!localStorage.getItem(started)) {
      try { localStorage.setItem(started, "1"); } catch (e) { /* ignore */ }
      send("", null, true);
    }
  }
}());
