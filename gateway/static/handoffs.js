// The cadres' inbox (/handoffs): polls /api/handoffs, updates the cards in place (a reply
// being typed is kept), sends replies and closes requests. Plain JavaScript, text only
// (textContent, never innerHTML).
(function () {
  "use strict";
  var POLL_MS = 4000;
  var LABELS = {earlier: "居民（问助手）", resident: "居民", cadre: "工作人员", assistant: "助手"};
  var list = document.getElementById("inbox");
  if (!list) { return; }
  var empty = document.getElementById("handoffs-empty");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var seen = "";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function stamp(iso) {
    var d = new Date(iso);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " + two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body || {})
    });
  }

  function card(h) {
    var li = el("li", "handoff");
    li.id = "handoff-" + h.id;
    li.setAttribute("data-id", h.id);
    li.appendChild(el("p", "meta"));
    li.appendChild(el("p", "summary"));
    li.appendChild(el("ol", "lines"));
    var note = el("p", "note");
    li.appendChild(note);
    var form = el("form", "reply");
    form.setAttribute("data-id", h.id);
    var label = el("label", "", "回复居民");
    label.setAttribute("for", "reply-" + h.id);
    var area = el("textarea");
    area.id = "reply-" + h.id;
    area.name = "text";
    area.rows = 2;
    area.maxLength = 500;
    area.required = true;
    var row = el("div", "row");
    var send = el("button", "", "发送");
    send.type = "submit";
    var status = el("span", "status");
    status.setAttribute("role", "status");
    row.appendChild(send);
    row.appendChild(status);
    form.appendChild(label);
    form.appendChild(area);
    form.appendChild(row);
    li.appendChild(form);
    var close = el("form", "close");
    close.method = "post";
    close.action = "/handoffs/" + h.id + "/close";
    close.setAttribute("data-id", h.id);
    var closeButton = el("button", "", "结束人工（交还助手）");
    closeButton.type = "submit";
    close.appendChild(closeButton);
    li.appendChild(close);
    wire(li);
    return li;
  }

  function update(li, h) {
    var meta = li.querySelector(".meta");
    meta.textContent = "";
    meta.appendChild(el("strong", "", "编号 " + h.id));
    var waited = h.waited_minutes === null ? "已回复" : "已等待" + h.waited_minutes + "分钟";
    meta.appendChild(document.createTextNode(" · " + h.channel_name +
      (h.campaign ? " · 活动：" + h.campaign : "") + " · "));
    meta.appendChild(el("span", "waited", waited));
    var summary = li.querySelector(".summary");
    if (summary) { summary.textContent = h.summary; summary.hidden = !h.summary; }
    var lines = li.querySelector(".lines");
    lines.textContent = "";
    h.lines.forEach(function (line) {
      var item = el("li", "line " + line.direction);
      item.appendChild(el("span", "who", LABELS[line.direction] || line.direction));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("time", "", stamp(line.at)));
      item.appendChild(el("p", "", line.text));
      if (line.delivery) { item.appendChild(el("span", "delivery", line.delivery)); }
      lines.appendChild(item);
    });
    lines.scrollTop = lines.scrollHeight;
    var note = li.querySelector(".note");
    note.textContent = h.note || "";
    note.hidden = !h.note;
    var form = li.querySelector("form.reply");
    form.hidden = !h.can_reply && !h.phone_offer;
    form.setAttribute("data-via-phone", h.phone_offer ? "yes" : "no");
    form.querySelector("button").textContent = h.phone_offer ? "改发短信" : "发送";
  }

  function render(handoffs) {
    var keep = {};
    handoffs.forEach(function (h) {
      keep[h.id] = true;
      var li = document.getElementById("handoff-" + h.id);
      if (!li) { li = card(h); }
      list.appendChild(li);  // in the server's order: the longest waiting first
      update(li, h);
    });
    Array.prototype.slice.call(list.children).forEach(function (li) {
      if (!keep[li.getAttribute("data-id")]) { list.removeChild(li); }
    });
    empty.hidden = handoffs.length > 0;
  }

  function refresh() {
    return fetch("/api/handoffs?seen=" + encodeURIComponent(seen), {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        seen = data.fingerprint;
        if (data.changed) { render(data.handoffs); }
      })
      .catch(function () { /* the next poll tries again */ });
  }

  function wire(li) {
    var form = li.querySelector("form.reply");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var area = form.querySelector("textarea");
      var button = form.querySelector("button");
      var status = form.querySelector(".status");
      var text = area.value.trim();
      if (!text) { return; }
      button.disabled = true;
      status.textContent = "发送中…";
      post("/api/handoffs/" + form.getAttribute("data-id") + "/messages",
           {text: text, via_phone: form.getAttribute("data-via-phone") === "yes"})
        .then(function (response) {
          return response.json().then(function (data) { return {ok: response.ok, data: data}; });
        })
        .then(function (result) {
          if (result.ok) { area.value = ""; status.textContent = "已提交"; }
          else { status.textContent = result.data.detail || "发送失败，请重试。"; }
        })
        .catch(function () { status.textContent = "网络不通，请重试。"; })
        .then(function () { button.disabled = false; return refresh(); });
    });
    var close = li.querySelector("form.close");
    close.addEventListener("submit", function (event) {
      event.preventDefault();
      post("/api/handoffs/" + close.getAttribute("data-id") + "/close").then(refresh, refresh);
    });
  }

  Array.prototype.slice.call(list.children).forEach(wire);
  refresh();
  window.setInterval(refresh, POLL_MS);
}());
