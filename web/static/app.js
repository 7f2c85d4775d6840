// The chat page: sends a message to /v1/chat as a stream and shows the reply,
// the tool calls and consults, and the documents as they arrive. The sign-in
// page uses it only to remember where to go back to.
"use strict";

(function () {
  const next = document.getElementById("next");
  if (next) {
    next.value = new URLSearchParams(location.search).get("next") || "/";
  }
  // A fragment htmx could not load says so where it would have gone.
  document.body.addEventListener("htmx:responseError", function (event) {
    const target = event.detail.target;
    if (!target) return;
    const p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    const status = event.detail.xhr.status;
    p.textContent = status === 403 ? "Your key does not reach this." : "This could not be loaded (the server answered " + status + ").";
    target.replaceChildren(p);
  });

  const form = document.getElementById("chat-form");
  if (!form) return;

  const log = document.getElementById("log");
  const input = document.getElementById("message");
  const send = document.getElementById("send");
  const customer = document.getElementById("customer");
  const capability = document.getElementById("capability");

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function sessionId() {
    return document.getElementById("session-id").value;
  }

  function setSession(id) {
    document.getElementById("session-id").value = id;
  }

  function scroll() {
    log.scrollTop = log.scrollHeight;
  }

  // An error in words: the API's message, never its JSON.
  async function errorText(response) {
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) return body.error.message;
    } catch (_) { /* not JSON */ }
    return "the server answered " + response.status + " " + response.statusText;
  }

  function showError(bubble, text) {
    const p = el("p", "error", "The coach could not answer: " + text);
    p.setAttribute("role", "alert");
    bubble.appendChild(p);
    scroll();
  }

  async function rendered(markdown) {
    const response = await fetch("/ui/markdown", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ markdown: markdown }),
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(await errorText(response));
    return response.text();
  }

  function download(name, markdown) {
    const link = el("a", "download", "Download " + name);
    link.href = URL.createObjectURL(new Blob([markdown], { type: "text/markdown" }));
    link.download = name;
    return link;
  }

  async function showDocument(bubble, artifact) {
    const box = el("section", "document");
    box.appendChild(el("h3", "", "📄 " + artifact.title));
    const name = artifact.saved_as || artifact.template + ".md";
    const actions = el("p", "actions");
    actions.appendChild(download(name, artifact.markdown));
    if (artifact.saved_as && customer.value) {
      const view = el("a", "", "Open in the document viewer");
      view.href = "/customers/" + encodeURIComponent(customer.value) + "/documents/" + encodeURIComponent(artifact.saved_as);
      actions.append(" · ", view);
    }
    box.appendChild(actions);
    const body = el("div", "markdown");
    box.appendChild(body);
    bubble.appendChild(box);
    try {
      body.innerHTML = await rendered(artifact.markdown);
    } catch (err) {
      body.textContent = artifact.markdown;
    }
    scroll();
  }

  function toolStarted(bubble, data) {
    const marker = el("div", "tool-call running");
    marker.dataset.id = data.id;
    const what = data.capability ? "consulting " + data.capability : data.name;
    marker.textContent = "⚙ " + what + " · started";
    bubble.querySelector(".tools").appendChild(marker);
    scroll();
  }

  function toolFinished(bubble, data) {
    const marker = bubble.querySelector('.tool-call[data-id="' + CSS.escape(data.id) + '"]');
    if (!marker) return;
    const what = data.capability ? "consulted " + data.capability : data.name;
    marker.className = "tool-call " + (data.ok ? "ok" : "failed");
    marker.textContent = "⚙ " + what + " · " + (data.ok ? "finished" : "failed") + " in " + data.duration_ms + " ms";
  }

  async function finish(bubble, reply, data) {
    setSession(data.session_id);
    if (data.reply) {
      try {
        reply.innerHTML = await rendered(data.reply);
        reply.classList.add("markdown");
      } catch (_) { /* keep the streamed text */ }
    }
    const tokens = data.usage && data.usage.total_tokens;
    const cost = typeof data.cost_usd === "number" ? " · $" + data.cost_usd.toFixed(4) : "";
    bubble.appendChild(el("small", "meta", tokens + " tokens" + cost));
    if (window.htmx && customer.value) window.htmx.trigger("#sessions", "refresh");
  }

  // Reads a text/event-stream body, calling `on(event, data)` for each event.
  async function readEvents(response, on) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length) await on(event, JSON.parse(data.join("\n")));
      }
    }
  }

  function bubbles(message) {
    const mine = el("div", "msg user");
    mine.append(el("div", "who", "You"), el("div", "body", message));
    const theirs = el("div", "msg assistant");
    const who = el("div", "who", "…");
    const tools = el("div", "tools");
    const reply = el("div", "body reply");
    theirs.append(who, tools, reply);
    log.append(mine, theirs);
    scroll();
    return { bubble: theirs, who: who, reply: reply };
  }

  async function submit() {
    const message = input.value.trim();
    if (!message || send.disabled) return;
    const body = { message: message, stream: true };
    if (customer.value) body.customer = customer.value;
    if (capability.value !== "auto") body.capability = capability.value;
    if (sessionId()) body.session_id = sessionId();
    const { bubble, who, reply } = bubbles(message);
    input.value = "";
    send.disabled = true;
    try {
      const response = await fetch("/v1/chat", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      if (!response.ok) {
        showError(bubble, await errorText(response));
        return;
      }
      await readEvents(response, async function (event, data) {
        if (event === "capability") who.textContent = data.capability + (data.routed ? " (routed)" : "");
        else if (event === "delta") { reply.textContent += data.text; scroll(); }
        else if (event === "tool_call_started") toolStarted(bubble, data);
        else if (event === "tool_call_finished") toolFinished(bubble, data);
        else if (event === "artifact") await showDocument(bubble, data);
        else if (event === "done") await finish(bubble, reply, data);
        else if (event === "error") showError(bubble, (data.error && data.error.message) || "the turn failed");
      });
    } catch (err) {
      showError(bubble, "the connection to the server failed (" + err.message + ")");
    } finally {
      send.disabled = false;
      input.focus();
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });

  function newSession() {
    setSession("");
    log.replaceChildren();
    input.focus();
  }
  document.getElementById("new-session").addEventListener("click", newSession);

  customer.addEventListener("change", function () {
    newSession();
    const id = customer.value;
    const url = id ? "/?customer=" + encodeURIComponent(id) : "/";
    history.replaceState(null, "", url);
    const link = document.getElementById("dashboard-link");
    link.hidden = !id;
    link.href = id ? "/customers/" + encodeURIComponent(id) : "#";
    const sessions = document.getElementById("sessions");
    const source = "/ui/sessions" + (id ? "?customer=" + encodeURIComponent(id) : "");
    sessions.setAttribute("hx-get", source);
    if (window.htmx) {
      window.htmx.process(sessions);
      window.htmx.ajax("GET", source, { target: "#sessions" });
    }
  });
})();
