/*
 * SI joint FAQ assistant: chat widget for the clinic's pages.
 *
 * Embed (see README): a JSON config in <script type="application/json"
 * id="sij-chat-config"> (or window.SIJChatConfig) and this script. It loads
 * its stylesheet and the socket.io client from the same place it was loaded
 * from, and talks to Rasa's socket.io channel (assistant/channels.py sends
 * per bot message {text} or {text, buttons}, then its {custom} payload as a
 * second event, which is attached to that message; a single {text, buttons,
 * custom} event is read too).
 *
 * Safety: every piece of visitor or bot text is put into the page with
 * textContent / createTextNode, never innerHTML, so markup in a message is
 * shown as text. Links are made only for http(s) URLs and US phone numbers,
 * and open in a new tab without access to this page.
 *
 * Under every answer: "Was this helpful?" (sent to the web app with the
 * conversation's resume token, assistant/feedback.py) and, per quote, a link
 * that opens the article with that passage marked (``/?quote=...#passage``).
 */
(function () {
  "use strict";

  var STORAGE_KEY = "sij-chat-v1";
  var MAX_STORED_MESSAGES = 200;
  var MAX_INPUT = 2000;  // the channel's limit too (assistant/limits.py)
  var COUNTER_FROM = 1600;  // show "n / 2000" from here on
  var OPEN_SOURCES_UP_TO = 280;  // one quote this short is shown open; longer ones fold
  var REPLY_TIMEOUT_MS = 45000;
  var script = document.currentScript;
  var base = script ? script.src.replace(/widget\.js(\?.*)?$/, "") : "/widget/";
  var assetOrigin = script ? new URL(script.src, location.href).origin : location.origin;

  function readConfig() {
    var fromPage = window.SIJChatConfig;
    if (!fromPage) {
      var el = document.getElementById("sij-chat-config");
      if (el) {
        try { fromPage = JSON.parse(el.textContent); } catch (e) { fromPage = null; }
      }
    }
    var config = fromPage || {};
    return {
      serverUrl: config.serverUrl || location.protocol + "//" + location.hostname + ":5005",
      socketPath: config.socketPath || "/socket.io",
      // HTTP long-polling only by default: Rasa 3.6's Sanic 21.12 fails the
      // WebSocket upgrade on Python 3.11 ("Passing coroutines is forbidden").
      transports: Array.isArray(config.transports) ? config.transports : ["polling"],
      title: config.title || "Questions? Ask our assistant",
      subtitle: config.subtitle || "Automated assistant",
      launcherText: config.launcherText || "Questions? Chat with us",
      initialPayload: config.initialPayload === undefined ? "/greet" : config.initialPayload,
      colors: config.colors || {},
      contactsUrl: config.contactsUrl || assetOrigin + "/widget/clinic.json",
      feedbackUrl: config.feedbackUrl || assetOrigin + "/widget/feedback",
      articleUrl: config.articleUrl || assetOrigin + "/",
      openOnLoad: Boolean(config.openOnLoad)
    };
  }

  // ---- state kept for the browser tab (sessionStorage: gone when the tab closes,
  // so a shared computer does not keep someone's health questions) ----
  function loadState() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
      if (saved && Array.isArray(saved.messages)) { return saved; }
    } catch (e) { /* unreadable: start fresh */ }
    return { sessionId: null, open: false, messages: [] };
  }

  function saveState(state) {
    state.messages = state.messages.slice(-MAX_STORED_MESSAGES);
    try { sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state)); } catch (e) { /* full or disabled */ }
  }

  // ---- DOM helpers: text only ----
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs.text; }
      else if (name === "className") { node.className = attrs.className; }
      else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  var LINKABLE = /(https?:\/\/[^\s<>"“”]+[^\s<>"“”.,;:!?)]|\(\d{3}\) \d{3}-\d{4}|\b(?:911|988)\b|\bSIJ-[A-Z0-9]{8}\b)/g;

  /* Append text, turning web addresses, US phone numbers and the emergency
     (911) and crisis (988) lines into safe links: on a phone one tap calls.
     A booking reference (SIJ-XXXXXXXX) stays on one line and is selected whole
     with one click, to copy. */
  function appendRichText(parent, text) {
    var last = 0;
    String(text).replace(LINKABLE, function (match, _group, offset) {
      if (offset > last) { parent.appendChild(document.createTextNode(text.slice(last, offset))); }
      var link;
      if (match.indexOf("SIJ-") === 0) {
        link = el("span", { className: "sij-reference", text: match });
      } else if (match === "911" || match === "988") {
        link = el("a", { href: "tel:" + match, className: "sij-call", text: match });
      } else if (match.charAt(0) === "(") {
        link = el("a", { href: "tel:+1" + match.replace(/\D/g, ""), text: match });
      } else {
        link = el("a", { href: match, target: "_blank", rel: "noopener noreferrer", text: match });
      }
      parent.appendChild(link);
      last = offset + match.length;
      return match;
    });
    if (last < text.length) { parent.appendChild(document.createTextNode(text.slice(last))); }
  }

  function textBlock(className, text) {
    var p = el("p", { className: className });
    appendRichText(p, text);
    return p;
  }

  function Widget(config) {
    this.config = config;
    this.state = loadState();
    this.socket = null;
    this.online = false;
    this.contacts = null;
    this.replyTimer = null;
    this.nodes = [];  // the rendered bubble of each message in state.messages, same order
    this.build();
    this.renderHistory();
    this.loadContacts();
    this.loadSocketClient();
    if (this.state.open || config.openOnLoad) { this.open(false); }
  }

  Widget.prototype.build = function () {
    var self = this;
    var colors = this.config.colors;
    this.root = el("div", { className: "sij-chat" });
    // Colours through CSS custom properties (CSSOM, allowed by a strict CSP).
    if (colors.primary) { this.root.style.setProperty("--sij-primary", colors.primary); }
    if (colors.primaryText) { this.root.style.setProperty("--sij-primary-text", colors.primaryText); }

    this.launcher = el("button", {
      type: "button", className: "sij-launcher", "aria-expanded": "false",
      "aria-controls": "sij-panel", text: this.config.launcherText
    });
    this.launcher.addEventListener("click", function () { self.open(true); });

    this.title = el("h2", { id: "sij-title", className: "sij-title", text: this.config.title });
    this.subtitle = el("p", { className: "sij-subtitle", text: this.config.subtitle });
    this.restartButton = el("button", { type: "button", className: "sij-restart", text: "Start over" });
    this.restartButton.addEventListener("click", function () { self.confirmStartOver(); });
    this.closeButton = el("button", { type: "button", className: "sij-close", "aria-label": "Close chat", text: "×" });
    this.closeButton.addEventListener("click", function () { self.close(); });

    this.status = el("div", { className: "sij-status", role: "status", "aria-live": "polite" });
    this.status.hidden = true;
    this.log = el("div", {
      className: "sij-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      "aria-label": "Conversation", tabindex: "0"
    });
    this.typing = el("p", { className: "sij-typing", role: "status", text: "The assistant is typing…" });
    this.typing.hidden = true;

    this.confirmBar = el("div", { className: "sij-confirm", role: "alertdialog", "aria-labelledby": "sij-confirm-text" }, [
      el("p", { id: "sij-confirm-text", text: "Start a new conversation? This chat will be cleared from this window." })
    ]);
    var confirmYes = el("button", { type: "button", className: "sij-confirm-yes", text: "Yes, start over" });
    var confirmNo = el("button", { type: "button", className: "sij-confirm-no", text: "Keep this chat" });
    confirmYes.addEventListener("click", function () { self.confirmBar.hidden = true; self.startOver(); });
    confirmNo.addEventListener("click", function () { self.confirmBar.hidden = true; self.restartButton.focus(); });
    this.confirmBar.appendChild(el("div", { className: "sij-confirm-buttons" }, [confirmYes, confirmNo]));
    this.confirmBar.hidden = true;

    // No maxlength: a pasted text over the limit would be cut silently.
    this.input = el("textarea", {
      id: "sij-input", className: "sij-input", rows: "2",
      placeholder: "Type your question…", autocomplete: "off", "aria-describedby": "sij-counter"
    });
    var label = el("label", { "for": "sij-input", className: "sij-visually-hidden", text: "Your question" });
    this.counter = el("p", { id: "sij-counter", className: "sij-counter", "aria-live": "polite" });
    this.counter.hidden = true;
    this.input.addEventListener("input", function () { self.updateCounter(); });
    this.sendButton = el("button", { type: "submit", className: "sij-send", text: "Send" });
    this.form = el("form", { className: "sij-form" }, [label, this.input, this.sendButton, this.counter]);
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submitInput();
    });
    this.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        self.submitInput();
      }
    });

    this.panel = el("section", {
      id: "sij-panel", className: "sij-panel", role: "dialog", "aria-labelledby": "sij-title"
    }, [
      el("header", { className: "sij-header" }, [
        el("div", { className: "sij-heading" }, [this.title, this.subtitle]),
        this.restartButton, this.closeButton
      ]),
      this.confirmBar, this.status, this.log, this.typing, this.form,
      el("p", {
        className: "sij-footnote",
        text: "Automated assistant, not medical advice. In an emergency call 911."
      })
    ]);
    this.panel.hidden = true;
    this.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { self.close(); }
    });

    this.root.appendChild(this.panel);
    this.root.appendChild(this.launcher);
    document.body.appendChild(this.root);
    var css = el("link", { rel: "stylesheet", href: base + "widget.css" });
    document.head.appendChild(css);
  };

  // ---- opening, closing, starting over ----
  Widget.prototype.open = function (focus) {
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.root.classList.add("sij-open");
    // For the host page: it may make room beside the panel (the article page does, site.css).
    document.documentElement.classList.add("sij-chat-open");
    this.state.open = true;
    saveState(this.state);
    this.scrollToEnd();
    if (focus) { this.input.focus(); }
    this.greetIfNew();
  };

  Widget.prototype.close = function () {
    this.panel.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.root.classList.remove("sij-open");
    document.documentElement.classList.remove("sij-chat-open");
    this.state.open = false;
    saveState(this.state);
    this.launcher.focus();
  };

  /* Starting over loses the chat on screen: ask first (unless there is nothing to lose). */
  Widget.prototype.confirmStartOver = function () {
    if (!this.state.messages.some(function (m) { return m.from === "user"; })) { this.startOver(); return; }
    this.confirmBar.hidden = false;
    this.confirmBar.querySelector(".sij-confirm-no").focus();
  };

  Widget.prototype.startOver = function () {
    this.state = { sessionId: null, open: true, messages: [] };
    this.pending = null;
    this.greeted = false;
    saveState(this.state);
    this.log.textContent = "";
    this.nodes = [];
    this.setTyping(false);
    if (this.socket) {
      // A new socket session: the server gives a new conversation id.
      this.socket.disconnect();
      this.socket.connect();
    }
    this.input.focus();
  };

  Widget.prototype.greetIfNew = function () {
    if (this.greeted || this.state.messages.length || !this.config.initialPayload) { return; }
    if (!this.online || !this.state.sessionId || this.panel.hidden) { return; }
    this.greeted = true;
    this.emit(this.config.initialPayload);
  };

  // ---- connection ----
  Widget.prototype.loadSocketClient = function () {
    var self = this;
    if (window.io) { this.connect(); return; }
    var tag = el("script", { src: base + "vendor/socket.io.min.js" });
    tag.addEventListener("load", function () { self.connect(); });
    tag.addEventListener("error", function () { self.setOnline(false); });
    document.head.appendChild(tag);
  };

  Widget.prototype.connect = function () {
    var self = this;
    var socket = window.io(this.config.serverUrl, {
      path: this.config.socketPath,
      transports: this.config.transports,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000
    });
    this.socket = socket;
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: self.state.sessionId });
    });
    socket.on("session_confirm", function (sessionId) {
      self.state.sessionId = typeof sessionId === "string" ? sessionId : (sessionId || {}).session_id;
      saveState(self.state);
      self.setOnline(true);
      self.greetIfNew();
      self.sendPending();
    });
    socket.on("bot_uttered", function (message) { self.receive(message); });
    socket.on("connect_error", function () { self.setOnline(false); });
    socket.on("disconnect", function (reason) {
      if (reason === "io client disconnect") { self.online = false; return; }  // "Start over"
      self.setOnline(false);
      if (reason === "io server disconnect") { socket.connect(); }
    });
  };

  Widget.prototype.setOnline = function (online) {
    this.online = online;
    this.root.classList.toggle("sij-offline", !online);
    if (online) {
      this.status.hidden = true;
      this.status.textContent = "";
      this.offlineShown = false;
      return;
    }
    this.setTyping(false);
    if (!this.offlineShown) {
      this.offlineShown = true;
      this.showOffline("The assistant is offline right now. It will reconnect by itself.");
    }
  };

  Widget.prototype.loadContacts = function () {
    var self = this;
    if (!window.fetch) { return; }
    fetch(this.config.contactsUrl, { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (contacts) {
        self.contacts = contacts;
        if (self.offlineShown && !self.online) { self.showOffline(self.lastOfflineText); }
      })
      .catch(function () { /* the offline note then has no phone numbers */ });
  };

  Widget.prototype.contactLine = function () {
    var offices = (this.contacts && this.contacts.offices) || [];
    if (!offices.length) { return ""; }
    return " Please call the clinic: " + offices.map(function (o) {
      return o.phone + " (" + (o.shortName || o.name) + ")";
    }).join(" or ") + ".";
  };

  Widget.prototype.showOffline = function (text) {
    this.lastOfflineText = text;
    this.status.textContent = "";
    var emergency = (this.contacts && this.contacts.emergencyNumber) || "911";
    appendRichText(this.status, text + this.contactLine() + " In an emergency, call " + emergency + ".");
    this.status.hidden = false;
  };

  // ---- sending ----
  Widget.prototype.submitInput = function () {
    var text = this.input.value.trim();
    if (!text) { this.input.focus(); return; }
    if (text.length > MAX_INPUT) {
      this.updateCounter();
      this.input.focus();
      return;
    }
    if (!this.online) {
      // Kept in the box and sent once the assistant is back (sendPending).
      this.pending = text;
      this.showOffline("Not sent yet: the assistant is offline. Your message stays in the box and is sent when it reconnects.");
      return;
    }
    this.input.value = "";
    this.updateCounter();
    this.sendUser(text, text);
  };

  /* Back online: send what the visitor tried to send, if it is still in the box. */
  Widget.prototype.sendPending = function () {
    var text = this.pending;
    this.pending = null;
    if (text && this.input.value.trim() === text) {
      this.input.value = "";
      this.updateCounter();
      this.sendUser(text, text);
    }
  };

  Widget.prototype.updateCounter = function () {
    var length = this.input.value.trim().length;
    var over = length > MAX_INPUT;
    this.counter.hidden = length < COUNTER_FROM;
    this.counter.textContent = over
      ? "Too long to send: " + length + " of " + MAX_INPUT + " characters. Please shorten your message."
      : length + " / " + MAX_INPUT + " characters";
    this.counter.classList.toggle("sij-over", over);
    this.sendButton.disabled = over;
    if (over) { this.input.setAttribute("aria-invalid", "true"); } else { this.input.removeAttribute("aria-invalid"); }
  };

  Widget.prototype.sendUser = function (shown, payload) {
    this.retireButtons();
    this.addMessage({ from: "user", text: shown });
    this.emit(payload);
  };

  Widget.prototype.emit = function (payload) {
    if (!this.socket || !this.online) {
      this.showOffline("Not sent: the assistant is offline right now.");
      return;
    }
    this.socket.emit("user_uttered", { message: payload, session_id: this.state.sessionId });
    this.setTyping(true);
  };

  Widget.prototype.setTyping = function (on) {
    var self = this;
    clearTimeout(this.replyTimer);
    this.typing.hidden = !on;
    if (on) {
      this.replyTimer = setTimeout(function () {
        self.typing.hidden = true;
        self.showOffline("The assistant did not answer in time.");
      }, REPLY_TIMEOUT_MS);
    }
  };

  // ---- receiving and rendering ----
  Widget.prototype.receive = function (message) {
    if (!message || typeof message !== "object") { return; }
    this.setTyping(false);
    this.status.hidden = true;
    var custom = message.custom && typeof message.custom === "object" ? message.custom : null;
    if (custom && typeof message.text !== "string" && !Array.isArray(message.buttons) && this.attachCustom(custom)) {
      return;
    }
    this.addMessage({
      from: "bot",
      text: typeof message.text === "string" ? message.text : "",
      buttons: Array.isArray(message.buttons) ? message.buttons : [],
      custom: message.custom && typeof message.custom === "object" ? message.custom : null
    });
  };

  /* A {custom} event completes the latest bot message (an answer gets its
   * quotes and sources), also when the visitor has typed again before it
   * arrived; false when there is no such message to complete. */
  Widget.prototype.attachCustom = function (custom) {
    var index = this.state.messages.length - 1;
    while (index >= 0 && this.state.messages[index].from !== "bot") { index -= 1; }
    var target = this.state.messages[index];
    var shown = this.nodes[index];
    if (!target || target.custom || !shown || shown.parentNode !== this.log) { return false; }
    target.custom = custom;
    saveState(this.state);
    var node = this.renderMessage(target, index);
    this.log.replaceChild(node, shown);
    this.nodes[index] = node;
    if (index === this.state.messages.length - 1) { this.reveal(node); }
    return true;
  };

  Widget.prototype.addMessage = function (message) {
    this.state.messages.push(message);
    saveState(this.state);
    var node = this.renderMessage(message, this.state.messages.length - 1);
    this.log.appendChild(node);
    this.nodes.push(node);
    this.reveal(node);
  };

  /* Show a new message; a long answer is shown from its start, not its end. */
  Widget.prototype.reveal = function (node) {
    if (node.classList.contains("sij-bot") && node.offsetHeight > this.log.clientHeight) {
      this.log.scrollTop = node.offsetTop - 8;
    } else {
      this.scrollToEnd();
    }
  };

  Widget.prototype.renderHistory = function () {
    var self = this;
    this.log.textContent = "";
    this.nodes = [];
    this.state.messages.forEach(function (message, index) {
      self.nodes.push(self.log.appendChild(self.renderMessage(message, index)));
    });
  };

  Widget.prototype.renderMessage = function (message, index) {
    var bubble = el("div", { className: "sij-msg sij-" + (message.from === "user" ? "user" : "bot") });
    var who = el("span", { className: "sij-visually-hidden", text: message.from === "user" ? "You said: " : "Assistant: " });
    bubble.appendChild(who);
    var custom = message.custom || {};
    if (custom.kind) { bubble.classList.add("sij-kind-" + String(custom.kind).replace(/[^a-z_]/g, "")); }
    if (custom.level) { bubble.classList.add("sij-level-" + String(custom.level).replace(/[^a-z_]/g, "")); }
    if (custom.kind === "answer" && Array.isArray(custom.sources) && typeof custom.answer === "string") {
      this.renderAnswer(bubble, custom, message);
    } else if (message.text) {
      String(message.text).split(/\n{2,}/).forEach(function (part) {
        bubble.appendChild(textBlock("sij-text", part));
      });
    }
    if (message.buttons && message.buttons.length) {
      bubble.appendChild(this.renderButtons(message, index));
    }
    return bubble;
  };

  /* The answer first; its quotes under "Sources (n)", open when there is one short one. */
  Widget.prototype.renderAnswer = function (bubble, custom, message) {
    var self = this;
    custom.answer.split(/\n{2,}/).forEach(function (part) {
      bubble.appendChild(textBlock("sij-text", part));
    });
    var sources = custom.sources.filter(function (s) { return s && typeof s.quote === "string"; });
    if (sources.length) {
      var details = el("details", { className: "sij-sources" }, [
        el("summary", { text: "Sources (" + sources.length + ")" })
      ]);
      details.open = sources.length === 1 && sources[0].quote.length <= OPEN_SOURCES_UP_TO;
      sources.forEach(function (source) { details.appendChild(self.renderSource(source)); });
      bubble.appendChild(details);
    }
    if (typeof custom.topic === "string" && message) {
      bubble.appendChild(this.renderFeedback(message, custom.topic));
    }
  };

  Widget.prototype.renderSource = function (source) {
    var quote = el("blockquote", { className: "sij-quote" });
    appendRichText(quote, source.quote);
    var label = typeof source.label === "string" ? source.label : "";
    var cite = el("p", { className: "sij-cite" }, [el("span", { text: "Source: " })]);
    appendRichText(cite, label);
    cite.appendChild(document.createTextNode(" · "));
    cite.appendChild(this.articleLink(source.quote));
    return el("figure", { className: "sij-source" }, [quote, cite]);
  };

  /* "Show in the article": the article with the quoted passage marked.

     On the article's own site it opens in this tab, so the conversation goes on
     (this tab's sessionStorage holds it, and the page it opens resumes it); on a
     phone the chat is closed first, or the open panel would cover the article
     (the launcher brings the same chat back). From another site it opens a new
     tab, where the chat cannot follow: storage is per site. */
  Widget.prototype.articleLink = function (quote) {
    var self = this;
    var href = this.config.articleUrl + "?quote=" + encodeURIComponent(quote) + "#passage";
    var sameSite = new URL(href, location.href).origin === location.origin;
    var link = el("a", sameSite ? { href: href, className: "sij-in-article", text: "Show in the article" }
      : { href: href, target: "_blank", rel: "noopener noreferrer", className: "sij-in-article",
          text: "Show in the article" });
    if (sameSite) {
      link.addEventListener("click", function () {
        if (window.matchMedia && window.matchMedia("(max-width: 480px)").matches) {
          self.state.open = false;
          saveState(self.state);
        }
      });
    }
    return link;
  };

  /* "Was this helpful?" Yes / No; a second click changes the answer. */
  Widget.prototype.renderFeedback = function (message, topic) {
    var self = this;
    var group = el("div", { className: "sij-feedback", role: "group", "aria-label": "Was this answer helpful?" }, [
      el("span", { className: "sij-feedback-question", text: "Was this helpful?" })
    ]);
    var note = el("span", { className: "sij-feedback-note", role: "status" });
    [[true, "Yes"], [false, "No"]].forEach(function (choice) {
      var button = el("button", {
        type: "button", className: "sij-rate", text: choice[1],
        "aria-pressed": message.feedback === choice[0] ? "true" : "false"
      });
      button.addEventListener("click", function () { self.sendFeedback(message, topic, choice[0], group, note); });
      group.appendChild(button);
    });
    group.appendChild(note);
    if (message.feedback === true || message.feedback === false) { note.textContent = this.feedbackThanks(message.feedback); }
    return group;
  };

  Widget.prototype.feedbackThanks = function (helpful) {
    return helpful ? "Thank you." : "Thank you. Staff read this to improve the answers; you can also rephrase your question or call the clinic.";
  };

  Widget.prototype.sendFeedback = function (message, topic, helpful, group, note) {
    var self = this;
    if (!window.fetch || !this.state.sessionId) { note.textContent = "Your feedback could not be sent."; return; }
    note.textContent = "Sending…";
    fetch(this.config.feedbackUrl, {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: this.state.sessionId, topic: topic, helpful: helpful })
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      message.feedback = helpful;
      saveState(self.state);
      Array.prototype.forEach.call(group.querySelectorAll(".sij-rate"), function (button, i) {
        button.setAttribute("aria-pressed", (i === 0) === helpful ? "true" : "false");
      });
      note.textContent = self.feedbackThanks(helpful);
    }).catch(function () {
      note.textContent = "Your feedback could not be sent. Please try again later.";
    });
  };

  Widget.prototype.renderButtons = function (message, index) {
    var self = this;
    var group = el("div", { className: "sij-buttons", role: "group", "aria-label": "Suggested replies" });
    message.buttons.forEach(function (button) {
      if (!button || typeof button.title !== "string" || typeof button.payload !== "string") { return; }
      var node = el("button", { type: "button", className: "sij-choice", text: button.title });
      node.disabled = Boolean(message.used);
      node.addEventListener("click", function () {
        if (!self.online) { self.showOffline("Not sent: the assistant is offline right now."); return; }
        self.sendUser(button.title, button.payload);
        self.input.focus();
      });
      group.appendChild(node);
    });
    return group;
  };

  /* Buttons of earlier messages stop working once the visitor has moved on. */
  Widget.prototype.retireButtons = function () {
    var changed = false;
    this.state.messages.forEach(function (message) {
      if (message.buttons && message.buttons.length && !message.used) { message.used = true; changed = true; }
    });
    if (changed) {
      Array.prototype.forEach.call(this.log.querySelectorAll(".sij-choice"), function (node) {
        node.disabled = true;
      });
    }
  };

  Widget.prototype.scrollToEnd = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  function start() {
    if (window.sijChat) { return; }
    window.sijChat = new Widget(readConfig());
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
