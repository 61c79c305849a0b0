/*
 * chat.js: puts the assistant's chat widget (rasa-webchat, served locally at /vendor/) on the page.
 * Include it after tracker.js and the widget bundle, all three with `defer`.
 *
 * - Same id for chat and tracking: rasa-webchat asks Rasa's socket.io channel for the session
 *   id it keeps in localStorage ("chat_session"), and Rasa (session_persistence: true) uses that
 *   id as the conversation's sender id. Writing the visitor id (from /api/chat/config, the
 *   HttpOnly cookie's) there before the widget starts makes the sender id the id the page
 *   events are stored under. The conversation is kept there too, so it survives page loads.
 * - Proof: the channel accepts that session id only with its proof, which the widget sends in
 *   the socket.io connect query (`visitor_proof`, added to the socket URL); without it the
 *   channel hands out a fresh id instead of this visitor's.
 * - Metadata: every message carries {timezone, page} (the widget's customData, which Rasa
 *   passes on as message metadata with `metadata_key: customData` in credentials.yml).
 * - Proactive opening: when the web app says this visitor is high-intent and they have not
 *   chatted yet, the chat opens by itself and its first message (/greet) carries
 *   `proactive_opening` (the opening line's topic, scoring.opening), so the assistant can
 *   open with a fitting line.
 * - Elements with `data-chat-open` open the chat when clicked ("Talk to sales").
 * - Links in messages open only when they are http(s) or mailto: the widget renders the bot's
 *   markdown without filtering link targets (the page's CSP blocks javascript: URLs as well).
 */
(function () {
  "use strict";

  var SESSION_KEY = "chat_session"; // rasa-webchat's localStorage key
  var FIRST_MESSAGE = "/greet";
  var CONNECTING_TEXT = "Connecting…";
  var SAFE_LINK_PROTOCOLS = ["http:", "https:", "mailto:"];
  // tracker.js sends this page's view within a second; the opening check waits for it, so
  // that the third pricing view already counts.
  var OPENING_CHECK_DELAY_MS = 1500;
  var LAUNCHER_WAIT_MS = 30000; // the widget shows its launcher once connected to Rasa

  var mounted = false;
  var openWhenMounted = false;

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (response) {
      if (!response.ok) throw new Error(url + " answered " + response.status);
      return response.json();
    });
  }

  function warn(message, detail) {
    if (window.console) console.warn("chat: " + message, detail || "");
  }

  function readSession() {
    try {
      return JSON.parse(window.localStorage.getItem(SESSION_KEY));
    } catch (unreadable) {
      return null;
    }
  }

  // rasa-webchat replaces its whole state with a stored session's `params`, so a session written
  // here carries the widget's initial state (rasa-webchat 1.0.1, src/store/reducers/behaviorReducer.js).
  function freshSession(visitorId, widgetVersion) {
    return {
      session_id: visitorId,
      version: widgetVersion, // the widget discards a stored session of another version
      params: {
        connected: false, initialized: false, isChatVisible: true, isChatOpen: false, disabledInput: true,
        docViewer: false, connectingText: CONNECTING_TEXT, unreadCount: 0, messageDelayed: false,
        oldUrl: "", pageChangeCallbacks: {}
      }
    };
  }

  // Returns whether this visitor already has a conversation in this browser.
  function useVisitorIdAsSession(visitorId, widgetVersion) {
    var session = readSession();
    if (session && session.session_id === visitorId && session.version === widgetVersion) {
      return Boolean(session.conversation && session.conversation.length);
    }
    // No session, or another visitor's (the cookie was cleared but localStorage was not).
    window.localStorage.setItem(SESSION_KEY, JSON.stringify(freshSession(visitorId, widgetVersion)));
    return false;
  }

  function timezone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
    } catch (unsupported) {
      return null;
    }
  }

  function checkOpening(visitorId) {
    window.leadTracker.flush();
    return new Promise(function (resolve) { setTimeout(resolve, OPENING_CHECK_DELAY_MS); })
      .then(function () { return getJSON("/api/visitor/" + encodeURIComponent(visitorId) + "/opening"); })
      .catch(function (error) {
        warn("opening check failed", error);
        return { open: false };
      });
  }

  function whenPresent(selector, then) {
    var waited = 0;
    var timer = setInterval(function () {
      waited += 100;
      var element = document.querySelector(selector);
      if (element || waited >= LAUNCHER_WAIT_MS) {
        clearInterval(timer);
        if (element) then(element);
      }
    }, 100);
  }

  function openChat() {
    if (!mounted) {
      openWhenMounted = true;
      return;
    }
    whenPresent(".rw-launcher", function (launcher) {
      if (!document.querySelector(".rw-conversation-container")) launcher.click();
    });
  }

  function mount(config, customData) {
    window.WebChat.default({
      socketUrl: config.socket_url + "?visitor_proof=" + encodeURIComponent(config.visitor_proof),
      socketPath: config.socket_path,
      initPayload: FIRST_MESSAGE,
      customData: customData,
      title: "Beacon",
      subtitle: "Questions about Beacon? Ask away.",
      inputTextFieldHint: "Type your message…",
      connectingText: CONNECTING_TEXT,
      withRules: false, // no rules from a Botfront server
      mainColor: "#2746c7",
      userBackgroundColor: "#2746c7",
      userTextColor: "#ffffff",
      params: { storage: "local" }
    }, null);
    mounted = true;
    if (openWhenMounted) openChat();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (link && link.closest(".rw-conversation-container") && SAFE_LINK_PROTOCOLS.indexOf(link.protocol) < 0) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-chat-open]")) openChat();
  });

  function start() {
    if (!window.leadTracker || !window.WebChat) {
      warn("tracker.js or the chat widget did not load; no chat on this page");
      return;
    }
    var customData = { timezone: timezone(), page: window.location.pathname };
    getJSON("/api/chat/config").then(function (config) {
      var visitorId = config.visitor_id;
      if (useVisitorIdAsSession(visitorId, config.widget_version)) {
        mount(config, customData);
        return null;
      }
      return checkOpening(visitorId).then(function (opening) {
        if (opening.open) {
          customData.proactive_opening = opening.opening || "high_intent";
          openWhenMounted = true;
        }
        mount(config, customData);
      });
    }).catch(function (error) {
      warn("not started", error);
    });
  }

  start();
})();
